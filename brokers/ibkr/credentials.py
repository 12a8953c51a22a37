"""An IBKR profile's OAuth 1.0a material, kept in the vault and nowhere else.

Key material (two RSA private keys and the DH parameters) is created once by `keys init` and must
survive re-runs: the public halves are registered with IBKR. The access token and its encrypted
secret come from IBKR's self-service portal and are replaced when the trader rotates them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import rsa

from brokers.core.secrets import SecretStore
from brokers.ibkr.credential_set import CredentialSet
from brokers.ibkr.keys import dh_params_pem, load_dh_prime, load_private_key, private_key_pem
from brokers.ibkr.profile import IbkrProfile
from brokers.ibkr.rotation_journal import read_settled
from brokers.ibkr.vault_entries import ACCESS_TOKEN, DH_PARAMS, ENCRYPTION_KEY, SIGNATURE_KEY


@dataclass(frozen=True)
class KeyMaterial:
    signature_key: rsa.RSAPrivateKey = field(repr=False)
    encryption_key: rsa.RSAPrivateKey = field(repr=False)
    dh_prime: int = field(repr=False)


@dataclass(frozen=True)
class IbkrCredentials:
    """Everything needed to mint a live session token. Its repr shows no secret."""

    consumer_key: str
    realm: str
    access_token: str = field(repr=False)
    access_token_secret: str = field(repr=False)
    keys: KeyMaterial = field(repr=False)


def store_key_material(vault: SecretStore, profile: str, keys: KeyMaterial) -> None:
    vault.put(profile, SIGNATURE_KEY, private_key_pem(keys.signature_key))
    vault.put(profile, ENCRYPTION_KEY, private_key_pem(keys.encryption_key))
    vault.put(profile, DH_PARAMS, dh_params_pem(keys.dh_prime).encode("ascii"))


def load_key_material(vault: SecretStore, profile: str) -> KeyMaterial | None:
    signature = vault.get(profile, SIGNATURE_KEY)
    encryption = vault.get(profile, ENCRYPTION_KEY)
    dh_params = vault.get(profile, DH_PARAMS)
    if signature is None or encryption is None or dh_params is None:
        return None
    return KeyMaterial(load_private_key(signature), load_private_key(encryption), load_dh_prime(dh_params))


def access_token_record(access_token: str, access_token_secret: str) -> str:
    """The access token entry's text: the token and its encrypted secret, as the portal issued them."""
    return json.dumps({"access_token": access_token, "access_token_secret": access_token_secret})


def store_access_token(vault: SecretStore, profile: str, access_token: str, access_token_secret: str) -> None:
    vault.put(profile, ACCESS_TOKEN, access_token_record(access_token, access_token_secret).encode("utf-8"))


def stored_access_token(vault: SecretStore, profile: str) -> str | None:
    """Only the stored access token (not a secret on its own): what a running session compares to notice that
    a rotation replaced the credentials. Blocking."""
    access = vault.get(profile, ACCESS_TOKEN)
    return None if access is None else str(json.loads(access)["access_token"])


def load_credentials(vault: SecretStore, profile: IbkrProfile) -> IbkrCredentials | None:
    """The complete credentials of `profile`, or None while setup is unfinished. A key rotation cut off in the
    middle of its switch is finished first, so this never sees half of the old set and half of the new."""
    stored = read_settled(vault, profile.name, profile.consumer_key)
    return None if stored is None else credentials_of(profile, stored)


def credentials_of(profile: IbkrProfile, stored: CredentialSet) -> IbkrCredentials:
    """The credentials a complete set stands for, for `profile` (its realm; the set's consumer key)."""
    keys = KeyMaterial(
        load_private_key(stored.entries[SIGNATURE_KEY]),
        load_private_key(stored.entries[ENCRYPTION_KEY]),
        load_dh_prime(stored.entries[DH_PARAMS]),
    )
    record = json.loads(stored.entries[ACCESS_TOKEN])
    return IbkrCredentials(
        consumer_key=stored.consumer_key,
        realm=profile.realm,
        access_token=record["access_token"],
        access_token_secret=record["access_token_secret"],
        keys=keys,
    )
