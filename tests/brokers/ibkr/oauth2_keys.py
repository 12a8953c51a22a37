"""One 3072-bit key pair per test session for the OAuth 2.0 tests: generating one takes a second or more."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import rsa

from brokers.ibkr.oauth2_credentials import generate_oauth2_key

_KEYS: dict[str, rsa.RSAPrivateKey] = {}


def shared_oauth2_key(name: str = "main") -> rsa.RSAPrivateKey:
    """The session's key called `name` (a second name gives a second, different key)."""
    if name not in _KEYS:
        _KEYS[name] = generate_oauth2_key()
    return _KEYS[name]
