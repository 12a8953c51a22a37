"""`brokerdeck keys init` for an `ibkr-oauth2` profile: the key pair, what to send IBKR, then proof.

IBKR has no self-service portal for OAuth 2.0: the firm sends the public key to IBKR and receives a
client id and a key id for it. The key is made once (3072 bits) and kept in the vault, since its public
half is what IBKR registers; the proof is an access token IBKR issues for the profile's client id and
key id. No secret is printed or logged.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from brokers.core.actions import NextAction
from brokers.core.connector import Dialogue
from brokers.core.secrets import SecretStore
from brokers.ibkr.errors import IbkrError
from brokers.ibkr.keys import public_key_fingerprint, public_key_pem
from brokers.ibkr.oauth2_auth import OAuth2Auth, api_origin
from brokers.ibkr.oauth2_credentials import (
    IbkrOAuth2Credentials,
    generate_oauth2_key,
    load_oauth2_key,
    store_oauth2_key,
)
from brokers.ibkr.oauth2_profile import IbkrOAuth2Profile
from brokers.ibkr.session import IbkrSession

IBKR_API_SOLUTIONS = "api-solutions@interactivebrokers.com"


class IbkrClientNotProven(IbkrError):
    """IBKR issued no access token for the profile's client id and key id (yet)."""

    action = NextAction.SETUP_KEYS


@dataclass(frozen=True)
class OAuth2KeySetup:
    key: rsa.RSAPrivateKey
    created: bool  # False: the key already sent to IBKR was kept


def ensure_oauth2_key(vault: SecretStore, profile: IbkrOAuth2Profile, *, replace: bool = False) -> OAuth2KeySetup:
    """The profile's key: the stored one, or a new one when there is none or `replace` is set."""
    existing = None if replace else load_oauth2_key(vault, profile.name)
    if existing is not None:
        return OAuth2KeySetup(existing, created=False)
    key = generate_oauth2_key()
    store_oauth2_key(vault, profile.name, key)
    return OAuth2KeySetup(key, created=True)


def registration_instructions(profile: IbkrOAuth2Profile, key: rsa.RSAPrivateKey) -> str:
    """What to send IBKR: the public key only, with its fingerprint to compare with IBKR's answer."""
    return "\n".join(
        [
            f"Send this public key to IBKR for OAuth 2.0 (profile {profile.name}): write to {IBKR_API_SOLUTIONS},",
            "then submit the key through IBKR's Secure Message Center, from a user on the live account.",
            "IBKR answers with a client id and a key id: set them as client_id and key_id in profiles.toml.",
            "",
            f"Public key (RSA {key.key_size} bits, SHA-256 {public_key_fingerprint(key)}):",
            public_key_pem(key).rstrip(),
        ]
    )


async def prove_client(
    profile: IbkrOAuth2Profile, key: rsa.RSAPrivateKey, http: httpx.AsyncClient | None = None
) -> float:
    """Get an access token for the profile's client id and key id with `key` (step 1 only: no brokerage
    session, which could end one the trader has open elsewhere); when it expires."""
    auth = OAuth2Auth(
        IbkrOAuth2Credentials(profile.client_id, profile.key_id, profile.credential, profile.public_ip, key)
    )
    session = IbkrSession(profile.base_url, auth, http=http)
    try:
        return await auth.get_access_token(session.transport, api_origin(profile.base_url), time.time())
    finally:
        await session.close()


async def keys_init_oauth2(
    vault: SecretStore,
    profile: IbkrOAuth2Profile,
    dialogue: Dialogue,
    *,
    replace: bool,
    http: httpx.AsyncClient | None = None,
) -> str:
    """`brokerdeck keys init`: the key pair, the public key to send IBKR, then an access token as proof."""
    if replace or load_oauth2_key(vault, profile.name) is None:
        dialogue.warn("Generating a 3072-bit RSA key…")
    setup = ensure_oauth2_key(vault, profile, replace=replace)
    dialogue.say(("Created a new key." if setup.created else "Using the key already stored for this profile.") + "\n")
    dialogue.say(registration_instructions(profile, setup.key) + "\n")
    try:
        expires_at = await prove_client(profile, setup.key, http)
    except IbkrError as error:
        raise IbkrClientNotProven(
            f"{error} The key is stored; once IBKR has registered it and the profile names the client id and key "
            f"id IBKR issued, run `brokerdeck keys init {profile.name}` again to prove them."
        ) from None
    expires = datetime.fromtimestamp(expires_at).strftime("%Y-%m-%d %H:%M:%S")
    return (
        f"IBKR issued an access token for client id {profile.client_id} with key id {profile.key_id} "
        f"(valid until {expires}): the key is registered and the profile is ready to connect."
    )
