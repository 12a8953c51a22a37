"""Set up a sandbox IBKR profile without the trader: what `keys init` + IBKR's portal do by hand.

This is client code that talks to the sandbox's emulated self-service portal over HTTP, as a trader's
browser would talk to IBKR's. Keys are generated once and kept in the vault like a real profile's; each
new sandbox process starts with an empty portal, so the public keys are registered again and a fresh
access token is stored. A staged key rotation's portal step is done the same way (`register_rotation`).
"""

from __future__ import annotations

import httpx

from brokers.core.rotation import RotationStatus, RotationStep
from brokers.core.secrets import SecretStore
from brokers.ibkr.credentials import KeyMaterial, load_key_material, store_access_token, store_key_material
from brokers.ibkr.keys import generate_rsa_key, load_dh_prime, public_key_pem
from brokers.ibkr.profile import IbkrProfile

# RFC 3526 group 14 (2048-bit MODP). Generating fresh DH parameters takes minutes; the sandbox needs none.
RFC3526_GROUP14_PRIME = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AACAA68FFFFFFFFFFFFFFFF",
    16,
)
PORTAL_PATH = "/sandbox/portal/consumers"
ROTATE_PATH = PORTAL_PATH + "/{consumer_key}/rotate"


def portal_request(
    consumer_key: str,
    signature_public_pem: str,
    encryption_public_pem: str,
    dh_prime: int,
    *,
    realm: str = "limited_poa",
    accounts: list[str] | None = None,
    **options: object,
) -> dict[str, object]:
    """The body of a sandbox portal registration: what a trader uploads in IBKR's self-service portal."""
    body: dict[str, object] = {
        "consumer_key": consumer_key,
        "signature_public_key": signature_public_pem,
        "encryption_public_key": encryption_public_pem,
        "dh_prime_hex": format(dh_prime, "x"),
        "realm": realm,
        **options,
    }
    if accounts:  # the portal refuses an empty list; without one it assigns the sandbox's account
        body["accounts"] = list(accounts)
    return body


def provision_sandbox_ibkr(vault: SecretStore, profile: IbkrProfile, service_url: str, lst_lifetime_s: int = 0) -> None:
    """Register `profile`'s keys with the sandbox portal and store the access token it issues. Blocking."""
    keys = load_key_material(vault, profile.name)
    if keys is None:
        keys = KeyMaterial(generate_rsa_key(), generate_rsa_key(), RFC3526_GROUP14_PRIME)
        store_key_material(vault, profile.name, keys)
    request = portal_request(
        profile.consumer_key,
        public_key_pem(keys.signature_key),
        public_key_pem(keys.encryption_key),
        keys.dh_prime,
        realm=profile.realm,
        accounts=[profile.account] if profile.account else None,
        **({"lst_lifetime_s": lst_lifetime_s} if lst_lifetime_s else {}),
    )
    response = httpx.post(f"{service_url.rstrip('/')}{PORTAL_PATH}", json=request, timeout=10)
    response.raise_for_status()
    issued = response.json()
    store_access_token(vault, profile.name, issued["access_token"], issued["access_token_secret"])


def register_rotation(service_url: str, consumer_key: str, status: RotationStatus) -> dict[str, str]:
    """The portal step of a staged rotation, as a trader's browser does it: upload the public keys and DH
    parameters the status shows for the existing consumer; the portal's answers, keyed as `confirm` takes
    them. Blocking."""
    if status.step != RotationStep.STAGED:
        raise ValueError(f"the rotation is {status.step.value}, not staged: nothing to register")
    parts = {part.label.split(",")[0]: part.text for part in status.register}
    body = {
        "signature_public_key": parts["Public signature key"],
        "encryption_public_key": parts["Public encryption key"],
        "dh_prime_hex": format(load_dh_prime(parts["Diffie-Hellman parameters"]), "x"),
    }
    url = f"{service_url.rstrip('/')}{ROTATE_PATH.format(consumer_key=consumer_key)}"
    response = httpx.post(url, json=body, timeout=10)
    response.raise_for_status()
    issued = response.json()
    return {
        "consumer_key": issued["consumer_key"],
        "access_token": issued["access_token"],
        "access_token_secret": issued["access_token_secret"],
    }
