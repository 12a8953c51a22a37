"""Run the sandbox IBKR gateway in-process and register a consumer through its portal, as a trader would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from brokers.core.profiles import ProfileOrigin
from brokers.ibkr.credentials import IbkrCredentials, KeyMaterial
from brokers.ibkr.keys import generate_rsa_key, public_key_pem
from brokers.ibkr.profile import IbkrProfile
from brokers.ibkr.sandbox_setup import PORTAL_PATH, RFC3526_GROUP14_PRIME, portal_request
from brokers.sandbox.ibkr.gateway import IbkrEmulator
from brokers.sandbox.server import SandboxServer

CONSUMER_KEY = "BDTESTER1"
_KEYS: list[KeyMaterial] = []


def shared_keys() -> KeyMaterial:
    """One set of key material per test session: RSA generation is the slow part."""
    if not _KEYS:
        _KEYS.append(KeyMaterial(generate_rsa_key(), generate_rsa_key(), RFC3526_GROUP14_PRIME))
    return _KEYS[0]


@dataclass
class Gateway:
    url: str  # service root: http://127.0.0.1:PORT
    http: httpx.AsyncClient

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1/api"

    def profile(self, consumer_key: str = CONSUMER_KEY) -> IbkrProfile:
        return IbkrProfile(
            name="ibkr-test",
            base_url=self.base_url,
            consumer_key=consumer_key,
            account="DU1234567",
            origin=ProfileOrigin.SANDBOX,
        )

    async def register(self, keys: KeyMaterial | None = None, **options: Any) -> dict[str, str]:
        keys = keys or shared_keys()
        body = portal_request(
            options.pop("consumer_key", CONSUMER_KEY),
            public_key_pem(keys.signature_key),
            public_key_pem(keys.encryption_key),
            keys.dh_prime,
            accounts=["DU1234567"],
            **options,
        )
        response = await self.http.post(f"{self.url}{PORTAL_PATH}", json=body)
        response.raise_for_status()
        return response.json()

    async def credentials(self, **options: Any) -> IbkrCredentials:
        issued = await self.register(**options)
        return IbkrCredentials(
            consumer_key=issued["consumer_key"],
            realm="limited_poa",
            access_token=issued["access_token"],
            access_token_secret=issued["access_token_secret"],
            keys=shared_keys(),
        )

    async def fault(self, **fault: Any) -> None:
        (await self.http.post(f"{self.url}/sandbox/ibkr/faults", json=fault)).raise_for_status()

    async def expire_tokens(self, consumer_key: str = CONSUMER_KEY) -> None:
        response = await self.http.post(f"{self.url}/sandbox/ibkr/expire", json={"consumer_key": consumer_key})
        response.raise_for_status()


@asynccontextmanager
async def running_gateway() -> AsyncIterator[Gateway]:
    async with SandboxServer(emulators=(IbkrEmulator(),)) as sandbox, httpx.AsyncClient(timeout=10) as http:
        yield Gateway(sandbox.endpoints.services["ibkr"], http)
