"""The sandbox IBKR gateway with an OAuth 2.0 client registered through its control, as IBKR would register
the public key a firm sends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from brokers.core.profiles import ProfileOrigin
from brokers.ibkr.keys import public_key_pem
from brokers.ibkr.oauth2_auth import OAuth2Auth
from brokers.ibkr.oauth2_credentials import IbkrOAuth2Credentials
from brokers.ibkr.oauth2_profile import IbkrOAuth2Profile
from brokers.ibkr.oauth2_sandbox_setup import CLIENTS_PATH, client_registration
from tests.brokers.ibkr.oauth2_keys import shared_oauth2_key
from tests.brokers.ibkr.sandbox_peer import Gateway

CLIENT_ID = "BDTESTOA2"
CREDENTIAL = "sandboxuser"
ACCOUNT = "DU1234567"


@dataclass
class OAuth2Peer:
    gw: Gateway

    @property
    def base_url(self) -> str:
        return self.gw.base_url

    def profile(self, key_id: str = "main") -> IbkrOAuth2Profile:
        return IbkrOAuth2Profile(
            name="ibkr-oauth2-test",
            base_url=self.base_url,
            client_id=CLIENT_ID,
            key_id=key_id,
            credential=CREDENTIAL,
            public_ip="127.0.0.1",
            account=ACCOUNT,
            origin=ProfileOrigin.SANDBOX,
        )

    async def register(self, key: rsa.RSAPrivateKey | None = None, key_id: str = "main") -> dict[str, Any]:
        body = client_registration(
            public_key_pem(key or shared_oauth2_key()), client_id=CLIENT_ID, key_id=key_id, credential=CREDENTIAL
        )
        response = await self.gw.http.post(f"{self.gw.url}{CLIENTS_PATH}", json=body)
        response.raise_for_status()
        return response.json()

    def auth(self, key: rsa.RSAPrivateKey | None = None, key_id: str = "main") -> OAuth2Auth:
        key = key or shared_oauth2_key()
        return OAuth2Auth(IbkrOAuth2Credentials(CLIENT_ID, key_id, CREDENTIAL, "127.0.0.1", key))

    async def settings(self, **lifetimes: float) -> None:
        response = await self.gw.http.post(f"{self.gw.url}/sandbox/ibkr/oauth2/settings", json=lifetimes)
        response.raise_for_status()
