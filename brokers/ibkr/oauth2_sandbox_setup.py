"""Set up a sandbox `ibkr-oauth2` profile without the trader: what `keys init` and IBKR's answer do by hand.

The sandbox's control endpoint stands in for sending IBKR the public key: it registers the key under the
profile's client id and key id for its username and account. The key is generated once and kept in the
vault like a real profile's; each new sandbox process starts empty, so the key is registered again.
"""

from __future__ import annotations

import httpx

from brokers.core.secrets import SecretStore
from brokers.ibkr.keys import public_key_pem
from brokers.ibkr.oauth2_credentials import generate_oauth2_key, load_oauth2_key, store_oauth2_key
from brokers.ibkr.oauth2_profile import IbkrOAuth2Profile

CLIENTS_PATH = "/sandbox/ibkr/oauth2/clients"


def client_registration(
    public_pem: str, *, client_id: str, key_id: str, credential: str, accounts: list[str] | None = None
) -> dict[str, object]:
    """The body of a sandbox client registration: the public key IBKR would be sent, and what it issues."""
    body: dict[str, object] = {
        "public_key_pem": public_pem,
        "client_id": client_id,
        "key_id": key_id,
        "credential": credential,
    }
    if accounts:  # without them the sandbox assigns its own account
        body["accounts"] = list(accounts)
    return body


def provision_sandbox_ibkr_oauth2(vault: SecretStore, profile: IbkrOAuth2Profile, service_url: str) -> None:
    """Register `profile`'s public key (made and stored once) with the sandbox's IBKR service. Blocking."""
    key = load_oauth2_key(vault, profile.name)
    if key is None:
        key = generate_oauth2_key()
        store_oauth2_key(vault, profile.name, key)
    request = client_registration(
        public_key_pem(key),
        client_id=profile.client_id,
        key_id=profile.key_id,
        credential=profile.credential,
        accounts=[profile.account] if profile.account else None,
    )
    response = httpx.post(f"{service_url.rstrip('/')}{CLIENTS_PATH}", json=request, timeout=10)
    response.raise_for_status()
