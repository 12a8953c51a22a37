"""An `ibkr-oauth2` profile's credentials: identifiers from the profile, the RSA private key from the vault.

IBKR accepts only RSA keys of 3072 bits or more for OAuth 2.0, so a smaller key is refused here, when it
is made or loaded, with the fix, rather than met later as an opaque refusal of every assertion.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import rsa

from brokers.core.secrets import SecretStore
from brokers.ibkr.keys import KeyMaterialError, load_private_key, private_key_pem
from brokers.ibkr.oauth2_profile import IbkrOAuth2Profile
from brokers.ibkr.vault_entries import OAUTH2_PRIVATE_KEY

MIN_OAUTH2_RSA_BITS = 3072


@dataclass(frozen=True)
class IbkrOAuth2Credentials:
    """Everything an OAuth 2.0 session needs to get its tokens. Its repr shows no secret."""

    client_id: str
    key_id: str
    credential: str  # the IBKR username the brokerage session is for
    public_ip: str
    private_key: rsa.RSAPrivateKey = field(repr=False)


def checked_key_size(key: rsa.RSAPrivateKey) -> rsa.RSAPrivateKey:
    """`key`, if IBKR's OAuth 2.0 accepts its size."""
    if key.key_size < MIN_OAUTH2_RSA_BITS:
        raise KeyMaterialError(
            f"The RSA key has {key.key_size} bits; IBKR's OAuth 2.0 requires at least {MIN_OAUTH2_RSA_BITS}. "
            "Run `brokerdeck keys init PROFILE --new-keys` and send IBKR the new public key."
        )
    return key


def generate_oauth2_key(bits: int = MIN_OAUTH2_RSA_BITS) -> rsa.RSAPrivateKey:
    """A new RSA key for IBKR's OAuth 2.0 (3072 bits unless more is asked for)."""
    if bits < MIN_OAUTH2_RSA_BITS:
        raise KeyMaterialError(
            f"IBKR's OAuth 2.0 requires RSA keys of at least {MIN_OAUTH2_RSA_BITS} bits, not {bits}."
        )
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def store_oauth2_key(vault: SecretStore, profile: str, key: rsa.RSAPrivateKey) -> None:
    vault.put(profile, OAUTH2_PRIVATE_KEY, private_key_pem(checked_key_size(key)))


def load_oauth2_key(vault: SecretStore, profile: str) -> rsa.RSAPrivateKey | None:
    """The stored private key, or None when there is none yet; a key IBKR would refuse raises."""
    pem = vault.get(profile, OAUTH2_PRIVATE_KEY)
    return None if pem is None else checked_key_size(load_private_key(pem))


def load_oauth2_credentials(vault: SecretStore, profile: IbkrOAuth2Profile) -> IbkrOAuth2Credentials | None:
    """The complete credentials of `profile`, or None while no key is stored."""
    key = load_oauth2_key(vault, profile.name)
    if key is None:
        return None
    return IbkrOAuth2Credentials(profile.client_id, profile.key_id, profile.credential, profile.public_ip, key)
