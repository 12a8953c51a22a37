"""IBKR's OAuth 1.0a dialect (first-party / self-service), as pure functions.

No I/O and no network here, so every byte that goes into a signature or the live session token (LST)
can be checked against published vectors. The dialect differs from RFC 5849 in three ways that
each fail silently when wrong: the LST request's base string starts with the decrypted access
token secret ("prepend") with no separator; the Diffie-Hellman shared secret K is encoded the way
Java's BigInteger.toByteArray does (a leading 0x00 when the top bit of a byte is set); and query
parameters are left out of the base string of ordinary requests.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import string
import time
from collections.abc import Mapping
from urllib.parse import quote, quote_plus

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from brokers.core.actions import NextAction
from brokers.core.errors import BrokerError
from brokers.ibkr.auth import USER_AGENT

RSA_SHA256 = "RSA-SHA256"
HMAC_SHA256 = "HMAC-SHA256"
NONCE_ALPHABET = string.ascii_letters + string.digits
NONCE_LENGTH = 16


class OAuth1aInputError(BrokerError, ValueError):
    """Input that cannot be signed with; `str(error)` says what to do about it."""

    action = NextAction.SETUP_KEYS


def java_bigint_bytes(value: int) -> bytes:
    """Big-endian bytes of `value` as Java's BigInteger.toByteArray gives them.

    IBKR's server keys the LST HMAC with these bytes: a 0x00 sign byte is added whenever the
    bit length is a multiple of 8, and dropping it changes the key (about half of all mints).
    """
    if value < 0:
        raise ValueError("only non-negative integers are encoded here")
    return value.to_bytes(value.bit_length() // 8 + 1, "big")


def new_dh_secret() -> int:
    """A fresh random 256-bit Diffie-Hellman exponent (the client's `a`), never 0 or 1."""
    while True:
        secret = secrets.randbits(256)
        if secret > 1:
            return secret


def dh_challenge(secret: int, prime: int, generator: int = 2) -> str:
    """The `diffie_hellman_challenge` A = g^a mod p, as lowercase hex without 0x or padding."""
    return format(pow(generator, secret, prime), "x")


def decrypt_prepend(encryption_key: rsa.RSAPrivateKey, access_token_secret_b64: str) -> str:
    """Decrypt the access token secret (RSA PKCS#1 v1.5) to the hex "prepend" of the LST request.

    OpenSSL 3.2+ answers a wrong key with a synthetic random plaintext instead of an error
    (implicit rejection), so the padding is checked here with one raw RSA operation; otherwise a
    wrong key would surface only later as an unexplained 401 from IBKR. No padding oracle arises:
    the ciphertext is the user's own, decrypted locally.
    """
    try:
        ciphertext = base64.b64decode("".join(access_token_secret_b64.split()), validate=True)
    except (binascii.Error, ValueError) as error:
        raise OAuth1aInputError(
            "The access token secret is not valid base64: copy it again from IBKR's self-service portal, "
            "all of it and nothing around it."
        ) from error
    if not _has_pkcs1v15_encryption_padding(encryption_key, ciphertext):
        raise OAuth1aInputError(
            "The access token secret does not decrypt with this encryption key: it was issued for another key, "
            "or was copied incompletely. Check that the profile uses the encryption key whose public half was "
            "uploaded to IBKR, or copy the access token secret again."
        )
    return encryption_key.decrypt(ciphertext, padding.PKCS1v15()).hex()


def _has_pkcs1v15_encryption_padding(key: rsa.RSAPrivateKey, ciphertext: bytes) -> bool:
    """Whether `ciphertext` decrypts under `key` to 0x00 0x02 PS(>= 8 non-zero bytes) 0x00 M."""
    size = (key.key_size + 7) // 8
    numbers = key.private_numbers()
    modulus = numbers.public_numbers.n
    value = int.from_bytes(ciphertext, "big")
    if len(ciphertext) != size or value >= modulus:
        return False
    encoded = pow(value, numbers.d, modulus).to_bytes(size, "big")
    separator = encoded.find(b"\x00", 2)
    return encoded[:2] == b"\x00\x02" and separator >= 10


def _without_query(url: str) -> str:
    """The URL up to its query or fragment: IBKR signs the bare resource URL."""
    return url.split("#", 1)[0].split("?", 1)[0]


def base_string(method: str, url: str, params: Mapping[str, str], prepend: str = "") -> str:
    """The signature base string: `prepend` raw, then METHOD&enc(url)&enc(sorted k=v pairs).

    The prepend (hex, LST request only) is concatenated without '&' and unencoded, as IBKR does.
    The query of `url` is dropped: its parameters are not part of what IBKR verifies.
    """
    pairs = "&".join(f"{key}={params[key]}" for key in sorted(params))
    return f"{prepend}{method.upper()}&{quote_plus(_without_query(url))}&{quote(pairs, safe='')}"


def rsa_sha256_signature(signature_key: rsa.RSAPrivateKey, base: str) -> str:
    """The LST request's `oauth_signature`: RSA PKCS#1 v1.5 SHA-256, base64, then form-encoded."""
    signature = signature_key.sign(base.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return quote_plus(base64.b64encode(signature).decode("ascii"))


def hmac_sha256_signature(live_session_token_b64: str, base: str) -> str:
    """An ordinary request's `oauth_signature`: HMAC-SHA256 keyed by the decoded LST, base64, form-encoded."""
    digest = hmac.new(base64.b64decode(live_session_token_b64), base.encode("utf-8"), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode("ascii"))


def authorization_header(params: Mapping[str, str], realm: str) -> str:
    """`OAuth realm="…", k="v", …` with realm first and the rest sorted, as IBKR's servers accept."""
    fields = [f'realm="{realm}"', *(f'{key}="{params[key]}"' for key in sorted(params))]
    return "OAuth " + ", ".join(fields)


def compute_live_session_token(prime_hex: str, a_hex: str, b_response_hex: str, prepend_hex: str) -> str:
    """The LST: base64 HMAC-SHA1 keyed by the Java bytes of K = B^a mod p, over the decrypted secret."""
    shared = pow(int(b_response_hex, 16), int(a_hex, 16), int(prime_hex, 16))
    digest = hmac.new(java_bigint_bytes(shared), bytes.fromhex(prepend_hex), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def validate_live_session_token(lst_b64: str, signature_hex: str, consumer_key: str) -> bool:
    """Whether IBKR's `live_session_token_signature` matches our LST (HMAC-SHA1 over the consumer key).

    A mismatch means the LST was derived wrongly, so every request signed with it would be refused.
    """
    try:
        key = base64.b64decode(lst_b64, validate=True)
    except (binascii.Error, ValueError):
        return False
    expected = hmac.new(key, consumer_key.encode("utf-8"), hashlib.sha1).hexdigest()
    return hmac.compare_digest(expected.encode("ascii"), signature_hex.strip().lower().encode("utf-8"))


def oauth_params(
    consumer_key: str,
    access_token: str,
    signature_method: str,
    *,
    nonce: str | None = None,
    timestamp: int | None = None,
) -> dict[str, str]:
    """The oauth_* parameters IBKR expects (no oauth_version, no oauth_callback)."""
    if nonce is None:
        nonce = "".join(secrets.choice(NONCE_ALPHABET) for _ in range(NONCE_LENGTH))
    return {
        "oauth_consumer_key": consumer_key,
        "oauth_nonce": nonce,
        "oauth_signature_method": signature_method,
        "oauth_timestamp": str(timestamp if timestamp is not None else int(time.time())),
        "oauth_token": access_token,
    }


def lst_request_headers(
    url: str,
    *,
    consumer_key: str,
    access_token: str,
    prepend: str,
    signature_key: rsa.RSAPrivateKey,
    realm: str,
    dh_prime: int,
    dh_secret: int,
) -> dict[str, str]:
    """Headers for `POST {url}` (the full live_session_token URL), signed with RSA-SHA256.

    The DH challenge travels only in the Authorization header, and is covered by the signature.
    """
    params = oauth_params(consumer_key, access_token, RSA_SHA256)
    params["diffie_hellman_challenge"] = dh_challenge(dh_secret, dh_prime)
    params["oauth_signature"] = rsa_sha256_signature(signature_key, base_string("POST", url, params, prepend))
    return _headers(params, realm)


def signed_request_headers(
    method: str,
    url: str,
    *,
    consumer_key: str,
    access_token: str,
    live_session_token: str,
    realm: str,
) -> dict[str, str]:
    """Headers for an ordinary request, signed with HMAC-SHA256 over the URL without its query."""
    params = oauth_params(consumer_key, access_token, HMAC_SHA256)
    params["oauth_signature"] = hmac_sha256_signature(live_session_token, base_string(method, url, params))
    return _headers(params, realm)


def _headers(params: Mapping[str, str], realm: str) -> dict[str, str]:
    """IBKR refuses requests without a User-Agent, so every signed request carries one."""
    return {"Authorization": authorization_header(params, realm), "Accept": "*/*", "User-Agent": USER_AGENT}
