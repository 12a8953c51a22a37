"""Key material for IBKR's self-service OAuth setup: generate, load, and check what the trader pastes.

Everything IBKR's portal or the LST handshake would reject later, with an opaque 403 or 401, is
rejected here instead, with a message that names the fix. No network.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dh, dsa, ec, ed448, ed25519, rsa
from cryptography.utils import CryptographyDeprecationWarning

from brokers.core.actions import NextAction
from brokers.core.errors import BrokerError

MIN_RSA_BITS = 2048
DH_GENERATOR = 2
#: a 2048-bit RSA ciphertext is 256 bytes, which is 344 base64 characters
SECRET_BYTES = 256
SECRET_CHARS = 344
CONSUMER_KEY_LENGTH = 9

_PEM_LABEL = re.compile(r"-----BEGIN ([A-Z0-9 .]+)-----")
_PRIVATE_LABELS = ("PRIVATE KEY", "RSA PRIVATE KEY")
_DH_LABEL = "DH PARAMETERS"


class KeyMaterialError(BrokerError, ValueError):
    """Key material that IBKR would reject; `str(error)` says what is wrong and what to do."""

    action = NextAction.SETUP_KEYS


@contextmanager
def _ffdh_allowed() -> Iterator[None]:
    """cryptography deprecates finite-field DH, but IBKR's handshake is FFDH: silence only that warning."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Diffie-Hellman over finite fields", category=CryptographyDeprecationWarning
        )
        yield


def generate_rsa_key(bits: int = MIN_RSA_BITS) -> rsa.RSAPrivateKey:
    """A new RSA key for signing or encryption; IBKR requires at least 2048 bits."""
    if bits < MIN_RSA_BITS:
        raise KeyMaterialError(f"IBKR requires RSA keys of at least {MIN_RSA_BITS} bits, not {bits}.")
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def private_key_pem(key: rsa.RSAPrivateKey) -> bytes:
    """PKCS#8 PEM, unencrypted on purpose: it is only ever stored inside the encrypted vault."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_key_pem(key: rsa.RSAPrivateKey) -> str:
    """The SubjectPublicKeyInfo PEM to upload to IBKR's portal, with LF line endings (CRLF is refused)."""
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem.decode("ascii").replace("\r\n", "\n")


def public_key_fingerprint(key: rsa.RSAPrivateKey) -> str:
    """SHA-256 of the DER public key as AA:BB:…, so the trader can match it to what the portal shows."""
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return ":".join(f"{byte:02X}" for byte in hashlib.sha256(der).digest())


def _pem_bytes(pem: bytes | str, what: str, expected: str) -> tuple[bytes, str]:
    """The PEM as bytes plus its BEGIN label, after the checks common to every file the trader supplies."""
    data = pem.encode("utf-8") if isinstance(pem, str) else pem
    if b"\r\n" in data:
        raise KeyMaterialError(
            f"The {what} file has Windows line endings (CRLF), which IBKR's portal rejects. "
            "Convert it with `dos2unix FILE`, then retry."
        )
    match = _PEM_LABEL.search(data.decode("utf-8", errors="replace"))
    if match is None:
        raise KeyMaterialError(
            f"The {what} file is not a PEM file (no '-----BEGIN …-----' line); expected a PEM '{expected}' block."
        )
    return data, match.group(1)


def load_private_key(pem: bytes | str) -> rsa.RSAPrivateKey:
    """An unencrypted RSA private key of at least 2048 bits, from PKCS#8 or PKCS#1 PEM."""
    data, label = _pem_bytes(pem, "private key", "PRIVATE KEY")
    if label not in _PRIVATE_LABELS:
        hint = " (it is passphrase-protected; export it without a passphrase)" if "ENCRYPTED" in label else ""
        raise KeyMaterialError(
            f"The private key file holds a PEM '{label}' block{hint}; expected an unencrypted "
            "'PRIVATE KEY' or 'RSA PRIVATE KEY' block. Choose the private key file, not the public key or "
            "the DH parameters."
        )
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise KeyMaterialError(
            "The private key file is damaged and cannot be read; generate the key again or restore the file."
        ) from error
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyMaterialError(
            f"The private key is {_key_kind(key)} key; IBKR needs an RSA key. Generate an RSA key of 2048 bits."
        )
    if key.key_size < MIN_RSA_BITS:
        raise KeyMaterialError(
            f"The RSA key has {key.key_size} bits; IBKR requires at least {MIN_RSA_BITS}. Generate a new key."
        )
    return key


def _key_kind(key: object) -> str:
    """A readable name for a non-RSA private key type, with its article."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return "an elliptic-curve (EC)"
    if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        return "an EdDSA"
    if isinstance(key, dsa.DSAPrivateKey):
        return "a DSA"
    return f"a {type(key).__name__}"


def load_dh_prime(pem: bytes | str) -> int:
    """The prime p of a PEM 'DH PARAMETERS' file (`openssl dhparam`); IBKR's handshake uses generator 2."""
    data, label = _pem_bytes(pem, "DH parameters", _DH_LABEL)
    if label != _DH_LABEL:
        raise KeyMaterialError(
            f"The DH parameters file holds a PEM '{label}' block; expected a '{_DH_LABEL}' block "
            "(as written by `openssl dhparam -out dhparam.pem 2048`)."
        )
    try:
        with _ffdh_allowed():
            numbers = serialization.load_pem_parameters(data).parameter_numbers()
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise KeyMaterialError(
            "The DH parameters file is damaged or holds invalid parameters; generate it again or restore the file."
        ) from error
    if numbers.g != DH_GENERATOR:
        raise KeyMaterialError(
            f"The DH parameters use generator {numbers.g}; IBKR uses generator {DH_GENERATOR}. "
            "Generate them again with `openssl dhparam -out dhparam.pem 2048`."
        )
    return numbers.p


def dh_params_pem(prime: int) -> str:
    """The PKCS#3 PEM 'DH PARAMETERS' for `prime` and generator 2, as `openssl dhparam` writes it.

    Encoded here rather than by cryptography, which writes the X9.42 form for well-known primes
    such as RFC 3526's; IBKR's portal expects the PKCS#3 form.
    """
    body = base64.b64encode(_dh_params_der(prime)).decode("ascii")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "\n".join([f"-----BEGIN {_DH_LABEL}-----", *lines, f"-----END {_DH_LABEL}-----", ""])


def dh_params_fingerprint(prime: int) -> str:
    """SHA-256 of the DH parameters' DER as AA:BB:…, to tell one dhparam.pem from another at a glance."""
    return ":".join(f"{byte:02X}" for byte in hashlib.sha256(_dh_params_der(prime)).digest())


def _dh_params_der(prime: int) -> bytes:
    """PKCS#3 DHParameter: SEQUENCE { prime INTEGER, generator INTEGER }."""
    if prime < 3:
        raise ValueError("a DH prime is an odd number above 2")
    return _der(0x30, _der(0x02, _der_uint(prime)) + _der(0x02, _der_uint(DH_GENERATOR)))


def _der_uint(value: int) -> bytes:
    """A non-negative DER INTEGER's content: minimal big-endian with a 0x00 when the top bit is set."""
    return value.to_bytes(value.bit_length() // 8 + 1, "big")


def _der(tag: int, content: bytes) -> bytes:
    """One DER tag-length-value; lengths of 128 and more use the long form."""
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def generate_dh_prime(bits: int = 2048) -> int:
    """A new safe prime for generator 2. Slow: 2048 bits takes seconds to minutes, so run it off the UI."""
    with _ffdh_allowed():
        return dh.generate_parameters(generator=DH_GENERATOR, key_size=bits).parameter_numbers().p


def parse_access_token_secret(text: str) -> str:
    """The pasted access token secret, whitespace removed, checked to be a complete 2048-bit RSA ciphertext.

    A secret cut off while copying only fails later, at the LST request, so its length is checked here.
    """
    secret = "".join(text.split())
    if not secret:
        raise KeyMaterialError("The access token secret is empty: copy it from IBKR's self-service portal.")
    bad = next((char for char in secret if not (char.isascii() and (char.isalnum() or char in "+/="))), None)
    if bad is not None:
        raise KeyMaterialError(
            f"The access token secret contains {bad!r}, which base64 never uses: copy it again from the IBKR "
            "portal, only the secret itself."
        )
    if len(secret) != SECRET_CHARS:
        cause = "cut off when copied" if len(secret) < SECRET_CHARS else "copied together with text around it"
        raise KeyMaterialError(
            f"The access token secret is {len(secret)} characters long, a complete one is {SECRET_CHARS}: it was "
            f"probably {cause}; copy it again from the IBKR portal."
        )
    try:
        decoded = base64.b64decode(secret, validate=True)
    except (binascii.Error, ValueError) as error:
        raise KeyMaterialError(
            "The access token secret is garbled (it is not valid base64): copy it again from the IBKR portal."
        ) from error
    if len(decoded) != SECRET_BYTES:
        raise KeyMaterialError(
            f"The access token secret decodes to {len(decoded)} bytes, a complete one has {SECRET_BYTES}: copy it "
            "again from the IBKR portal."
        )
    return secret


def parse_consumer_key(text: str) -> str:
    """The 9-character consumer key chosen in IBKR's self-service portal, upper-cased."""
    key = text.strip().upper()
    if not key:
        raise KeyMaterialError("The consumer key is empty: enter the 9-character key from IBKR's self-service portal.")
    if len(key) != CONSUMER_KEY_LENGTH:
        raise KeyMaterialError(
            f"The consumer key {key!r} is {len(key)} characters long; IBKR consumer keys have exactly "
            f"{CONSUMER_KEY_LENGTH} (letters A-Z and digits). Copy it again from IBKR's self-service portal."
        )
    bad = next((char for char in key if not ("A" <= char <= "Z" or "0" <= char <= "9")), None)
    if bad is not None:
        raise KeyMaterialError(
            f"The consumer key contains {bad!r}; IBKR consumer keys consist of letters A-Z and digits only."
        )
    return key


def parse_access_token(text: str) -> str:
    """The access token from IBKR's portal (letters and digits, e.g. 20 hex characters)."""
    token = text.strip()
    if not token:
        raise KeyMaterialError("The access token is empty: copy it from IBKR's self-service portal.")
    bad = next((char for char in token if not (char.isascii() and char.isalnum())), None)
    if bad is not None:
        raise KeyMaterialError(
            f"The access token contains {bad!r}; IBKR access tokens consist of letters and digits only. "
            "Copy it again from IBKR's self-service portal."
        )
    return token
