"""Server-side OAuth 1.0a for the IBKR emulator: header parsing, base strings, signatures, the DH.

Written from IBKR's published procedure without sharing code with `brokers/ibkr/`: the emulator
judges the client, so a mistake in the client must not be mirrored here and silently pass.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from urllib.parse import quote, unquote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

MIN_RSA_BITS = 2048
_PARAM = re.compile(r'\s*([A-Za-z0-9_]+)\s*=\s*(?:"([^"]*)"|([^",\s]*))\s*')
_HEX = re.compile(r"[0-9a-fA-F]+")
_NOT_SIGNED = frozenset({"realm", "oauth_signature"})


class OAuthError(ValueError):
    """A request's OAuth data is malformed or does not verify; the message says which part."""


def parse_authorization(header: str) -> dict[str, str]:
    """The OAuth parameters of an Authorization header, percent-decoded.

    Clients differ on where `realm` goes and whether it is quoted (IBKR's sample sorts it last,
    ibind puts it first, one C# client leaves it unquoted), so position and quotes do not matter.
    """
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "oauth" or not rest.strip():
        raise OAuthError("the Authorization header must be 'OAuth ' followed by its parameters")
    params: dict[str, str] = {}
    for part in rest.split(","):
        if not part.strip():
            continue
        match = _PARAM.fullmatch(part)
        if match is None:
            raise OAuthError(f"malformed OAuth parameter {part.strip()!r}")
        name = match.group(1)
        if name in params:
            raise OAuthError(f"OAuth parameter {name} appears twice")
        raw = match.group(2) if match.group(2) is not None else match.group(3)
        params[name] = unquote(raw)
    return params


def percent_encode(text: str) -> str:
    """RFC 3986 encoding (only A-Z a-z 0-9 - . _ ~ stay), as OAuth 1.0a prescribes."""
    return quote(text, safe="")


def base_strings(method: str, url: str, oauth_params: dict[str, str], query: list[tuple[str, str]]) -> list[str]:
    """Every base string the server accepts for one request, most common form first.

    ibind and IBKR's own sample leave query parameters out; other clients merge them with the
    OAuth parameters and sort. Both are accepted, with pair values taken raw (IBKR's sample) or
    percent-encoded first (RFC 5849); all forms coincide for the hex/alnum OAuth values.
    """
    signed = [(k, v) for k, v in oauth_params.items() if k not in _NOT_SIGNED]
    pair_sets = [signed, signed + query] if query else [signed]
    forms: dict[str, None] = {}
    for pairs in pair_sets:
        for encode_pairs in (False, True):
            normal = [(percent_encode(k), percent_encode(v)) for k, v in pairs] if encode_pairs else pairs
            forms["&".join(f"{k}={v}" for k, v in sorted(normal))] = None
    prefix = f"{method.upper()}&{percent_encode(url)}&"
    return [prefix + percent_encode(form) for form in forms]


def _b64_signature(signature: str) -> bytes | None:
    try:
        return base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return None


def rsa_sha256_matches(key: rsa.RSAPublicKey, signature: str, messages: Iterable[str]) -> bool:
    """Whether `signature` (base64) is an RSA-SHA256 PKCS#1 v1.5 signature of one of `messages`."""
    raw = _b64_signature(signature)
    if raw is None:
        return False
    for message in messages:
        try:
            key.verify(raw, message.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            continue
        return True
    return False


def hmac_sha256_matches(key: bytes, signature: str, messages: Iterable[str]) -> bool:
    """Whether `signature` (base64) is HMAC-SHA256(key, m) for one of `messages`."""
    raw = _b64_signature(signature)
    if raw is None:
        return False
    return any(hmac.compare_digest(hmac.new(key, m.encode("utf-8"), hashlib.sha256).digest(), raw) for m in messages)


def java_bytes(value: int) -> bytes:
    """Java's BigInteger.toByteArray() for a non-negative int: a 0x00 lead byte whenever the top bit is set.

    IBKR keys the LST HMAC with these bytes, so a client that drops the sign byte gets a different
    LST whenever K's bit length is a multiple of 8 (about half the time with an RFC 3526 prime).
    """
    return value.to_bytes(value.bit_length() // 8 + 1, "big")


def mint_live_session_token(challenge_hex: str, prime: int, secret: bytes) -> tuple[str, str]:
    """The server's half of the DH: `(diffie_hellman_response hex, LST base64)`."""
    if not _HEX.fullmatch(challenge_hex):
        raise OAuthError("diffie_hellman_challenge must be a hexadecimal number")
    challenge = int(challenge_hex, 16)
    if not 1 < challenge < prime - 1:
        raise OAuthError("diffie_hellman_challenge is out of range for the registered DH prime")
    exponent = secrets.randbits(256) or 1
    response = pow(2, exponent, prime)
    shared = pow(challenge, exponent, prime)
    lst = hmac.new(java_bytes(shared), secret, hashlib.sha1).digest()
    return format(response, "x"), base64.b64encode(lst).decode("ascii")


def lst_signature(lst: str, consumer_key: str) -> str:
    """`live_session_token_signature`: hex HMAC-SHA1 of the consumer key, keyed by the LST bytes."""
    return hmac.new(base64.b64decode(lst), consumer_key.encode("utf-8"), hashlib.sha1).hexdigest()


def encrypt_secret(key: rsa.RSAPublicKey, secret: bytes) -> str:
    """`access_token_secret`: the secret plaintext RSA-encrypted (PKCS#1 v1.5) for the consumer, base64."""
    return base64.b64encode(key.encrypt(secret, padding.PKCS1v15())).decode("ascii")


def load_rsa_public_key(pem: str) -> rsa.RSAPublicKey:
    """A public key as IBKR's portal accepts it; ValueError says why one is refused."""
    if "\r" in pem:
        raise ValueError("the PEM has CRLF line endings; IBKR's portal only accepts LF line endings")
    try:
        key = serialization.load_pem_public_key(pem.encode("utf-8"))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not a PEM public key: {exc}") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the key must be an RSA public key")
    if key.key_size < MIN_RSA_BITS:
        raise ValueError(f"the RSA key has {key.key_size} bits; at least {MIN_RSA_BITS} are required")
    return key


@functools.lru_cache(maxsize=32)
def is_probable_prime(n: int, rounds: int = 6) -> bool:
    """Miller-Rabin: catches a pasted DER dump or a truncated hex string before any client uses it.

    The verdict is cached: tests register the same 2048-bit prime again and again.
    """
    if n < 4:
        return n in (2, 3)
    if n % 2 == 0:
        return False
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for _ in range(rounds):
        x = pow(secrets.randbelow(n - 3) + 2, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True
