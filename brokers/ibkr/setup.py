"""IBKR self-service setup: make the key material once, then prove the portal's tokens work.

The trader registers the public keys and DH parameters in IBKR's self-service portal and receives a
consumer key, an access token and an access token secret. Setup stores them only after a live session
token has been minted and validated with them, so a typo never replaces working credentials.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import httpx

from brokers.core.actions import NextAction
from brokers.core.connector import Dialogue
from brokers.core.errors import BrokerError
from brokers.core.rotation import RotationConflict, RotationStep
from brokers.core.secrets import SecretStore
from brokers.ibkr import oauth1a
from brokers.ibkr.credentials import (
    IbkrCredentials,
    KeyMaterial,
    load_key_material,
    store_access_token,
    store_key_material,
)
from brokers.ibkr.keys import (
    dh_params_pem,
    generate_dh_prime,
    generate_rsa_key,
    load_dh_prime,
    parse_access_token,
    parse_access_token_secret,
    parse_consumer_key,
    public_key_fingerprint,
    public_key_pem,
)
from brokers.ibkr.profile import IbkrProfile
from brokers.ibkr.rotation_journal import settle
from brokers.ibkr.session import IbkrSession, SessionSnapshot
from brokers.ibkr.vault_entries import ROTATION_JOURNAL


class ConsumerKeyMismatch(BrokerError):
    """The portal's consumer key is not the one the profile names."""

    action = NextAction.FIX_PROFILE


@dataclass(frozen=True)
class KeySetup:
    keys: KeyMaterial
    created: bool  # False: the keys already registered with IBKR were kept


def ensure_key_material(
    vault: SecretStore,
    profile: IbkrProfile,
    *,
    dhparam_pem: bytes | None = None,
    replace: bool = False,
    make_dh_prime: Callable[[], int] = generate_dh_prime,
) -> KeySetup:
    """The profile's keys: the stored ones, or new ones when there are none or `replace` is set."""
    existing = None if replace else load_key_material(vault, profile.name)
    if existing is not None:
        return KeySetup(existing, created=False)
    prime = load_dh_prime(dhparam_pem) if dhparam_pem is not None else make_dh_prime()
    keys = KeyMaterial(generate_rsa_key(), generate_rsa_key(), prime)
    store_key_material(vault, profile.name, keys)
    return KeySetup(keys, created=True)


def portal_instructions(profile: IbkrProfile, keys: KeyMaterial) -> str:
    """What to upload in IBKR's self-service portal: public halves only, with fingerprints to compare."""
    return "\n".join(
        [
            f"Register these for consumer key {profile.consumer_key} in IBKR's self-service OAuth portal.",
            "",
            f"Public signature key (SHA-256 {public_key_fingerprint(keys.signature_key)}):",
            public_key_pem(keys.signature_key).rstrip(),
            "",
            f"Public encryption key (SHA-256 {public_key_fingerprint(keys.encryption_key)}):",
            public_key_pem(keys.encryption_key).rstrip(),
            "",
            "Diffie-Hellman parameters (dhparam.pem):",
            dh_params_pem(keys.dh_prime).rstrip(),
        ]
    )


async def prove_and_store(
    vault: SecretStore,
    profile: IbkrProfile,
    keys: KeyMaterial,
    access_token: str,
    access_token_secret: str,
    http: httpx.AsyncClient | None = None,
) -> SessionSnapshot:
    """Mint and validate an LST with the portal's tokens; store them only if that works."""
    credentials = IbkrCredentials(
        consumer_key=profile.consumer_key,
        realm=profile.realm,
        access_token=parse_access_token(access_token),
        access_token_secret=parse_access_token_secret(access_token_secret),
        keys=keys,
    )
    oauth1a.decrypt_prepend(keys.encryption_key, credentials.access_token_secret)  # precise error early
    session = IbkrSession(profile.base_url, credentials, http=http)
    try:
        await session.authorize()
    finally:
        await session.close()
    store_access_token(vault, profile.name, credentials.access_token, credentials.access_token_secret)
    return session.snapshot


async def keys_init(
    vault: SecretStore, profile: IbkrProfile, dialogue: Dialogue, *, dhparam_pem: bytes | None, replace: bool
) -> str:
    """`brokerdeck keys init`: keys, what to register in the portal, then the portal's tokens proven and stored."""
    stored = vault.kinds(profile.name)
    journal = settle(vault, profile.name) if ROTATION_JOURNAL in stored else None
    if journal is not None and journal.step != RotationStep.IDLE:  # it would replace the set a rotation keeps
        raise RotationConflict(
            f"A key rotation of profile '{profile.name}' is under way ({journal.step.value}): finish it with "
            f"`brokerdeck keys rotate {profile.name} confirm`, or discard it with `… abort`, before setting keys up."
        )
    if dhparam_pem is None and not replace and stored == []:
        dialogue.warn("Generating 2048-bit DH parameters: this can take a few minutes…")
    setup = ensure_key_material(vault, profile, dhparam_pem=dhparam_pem, replace=replace)
    dialogue.say(("Created new keys." if setup.created else "Using the keys already stored for this profile.") + "\n")
    dialogue.say(portal_instructions(profile, setup.keys) + "\n")
    typed = dialogue.ask(f"Consumer key [{profile.consumer_key}]: ")
    consumer_key = parse_consumer_key(typed or profile.consumer_key)
    if consumer_key != profile.consumer_key:
        raise ConsumerKeyMismatch(
            f"the profile says consumer_key = {profile.consumer_key!r}; set it to {consumer_key!r} in profiles.toml "
            "first, then run this again."
        )
    access_token = dialogue.ask("Access token: ")
    secret = dialogue.ask("Access token secret: ", hidden=True)
    snapshot = await prove_and_store(vault, profile, setup.keys, access_token, secret)
    expires = datetime.fromtimestamp(snapshot.lst_expires_at or 0).strftime("%Y-%m-%d %H:%M:%S")
    return f"A live session token was minted and validated (valid until {expires}). Credentials stored."
