"""PKCE (RFC 7636) and the per-request state: the two secrets that bind a callback to its request."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field

#: RFC 7636 §4.1: 43 to 128 characters of [A-Za-z0-9-._~]
VERIFIER_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def s256_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class Pkce:
    """A fresh verifier from the OS CSPRNG (86 characters) and its S256 challenge."""

    verifier: str = field(default_factory=lambda: secrets.token_urlsafe(64), repr=False)

    @property
    def challenge(self) -> str:
        return s256_challenge(self.verifier)

    method = "S256"


def new_state() -> str:
    """256 bits from the CSPRNG: unguessable, and never reused across requests."""
    return secrets.token_urlsafe(32)
