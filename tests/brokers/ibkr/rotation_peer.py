"""What the rotation tests share: the sandbox's IBKR profile set up as `keys init` would, the portal step a
trader's browser does, the sandbox's rotation controls, and a proof that a set works (an LST and the status)."""

from __future__ import annotations

from typing import Any

import httpx

from app.sandbox import sandbox_profiles
from brokers.core.secrets import SecretStore
from brokers.ibkr.credentials import IbkrCredentials, load_credentials
from brokers.ibkr.keys import load_private_key, public_key_fingerprint
from brokers.ibkr.profile import IbkrProfile
from brokers.ibkr.sandbox_setup import provision_sandbox_ibkr
from brokers.ibkr.session import IbkrSession
from brokers.ibkr.vault_entries import SIGNATURE_KEY
from brokers.registry import REGISTRY
from brokers.sandbox.endpoints import SandboxEndpoints

PROFILE = "sandbox-ibkr"
CONSUMER_KEY = "BDSANDBOX"


def sandbox_profile(endpoints: SandboxEndpoints) -> IbkrProfile:
    profile = next(p for p in sandbox_profiles(endpoints, REGISTRY.schema).profiles if p.name == PROFILE)
    assert isinstance(profile, IbkrProfile)
    return profile


def set_up(vault: SecretStore, endpoints: SandboxEndpoints) -> IbkrProfile:
    """A fresh working set for the sandbox profile: nothing else stored, the consumer registered anew."""
    for kind in vault.kinds(PROFILE):
        vault.delete(PROFILE, kind)
    profile = sandbox_profile(endpoints)
    provision_sandbox_ibkr(vault, profile, endpoints.services["ibkr"])
    return profile


def control(endpoints: SandboxEndpoints, **body: Any) -> dict[str, Any]:
    """The sandbox's rotation controls: `grace_s`, `fail_next_token`, `end_grace`."""
    url = f"{endpoints.services['ibkr']}/sandbox/ibkr/rotation/{CONSUMER_KEY}"
    response = httpx.post(url, json=body, timeout=10)
    response.raise_for_status()
    return dict(response.json())


def active(vault: SecretStore, profile: IbkrProfile) -> IbkrCredentials:
    credentials = load_credentials(vault, profile)
    assert credentials is not None, "no complete active set"
    return credentials


async def works(profile: IbkrProfile, credentials: IbkrCredentials) -> None:
    """Mint an LST and call /iserver/auth/status with `credentials`; raises when IBKR refuses them."""
    async with httpx.AsyncClient(timeout=10) as http:
        session = IbkrSession(profile.base_url, credentials, http=http)
        await session.authorize()
        status = await session.auth_status()
    assert "authenticated" in status


def signature_fingerprint(credentials: IbkrCredentials) -> str:
    return public_key_fingerprint(credentials.keys.signature_key)


def stored_signature_fingerprint(vault: SecretStore) -> str:
    raw = vault.get(PROFILE, SIGNATURE_KEY)
    assert raw is not None
    return public_key_fingerprint(load_private_key(raw))
