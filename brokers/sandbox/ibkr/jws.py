"""Compact JWS (RFC 7515) as IBKR's OAuth 2.0 uses it: RS256 only, over the exact signing input.

Written without sharing code with `brokers/ibkr/`, for the same reason as `crypto.py`: the emulator
judges the client's assertions, so a client's encoding mistake must not be mirrored here.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

_B64URL = re.compile(r"[A-Za-z0-9_-]*")


class JwsError(ValueError):
    """A token is not a well-formed compact JWS; the message says which part."""


@dataclass(frozen=True)
class CompactJws:
    """A parsed token: its header and claims, the bytes its signature covers, and the signature."""

    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes

    def signed_by(self, key: rsa.RSAPublicKey) -> bool:
        """Whether the signature is RSASSA-PKCS1-v1_5 with SHA-256 by `key` over the signing input."""
        try:
            key.verify(self.signature, self.signing_input, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return False
        return True


def b64url(data: bytes) -> str:
    """Unpadded base64url, as JWS writes every part."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(part: str, name: str) -> bytes:
    """A part's bytes; padding and the standard alphabet's `+` and `/` are refused, as JWS demands."""
    if not _B64URL.fullmatch(part) or len(part) % 4 == 1:
        raise JwsError(f"the {name} is not unpadded base64url")
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except binascii.Error:
        raise JwsError(f"the {name} is not unpadded base64url") from None


def _json_object(part: str, name: str) -> dict[str, Any]:
    raw = _unb64url(part, name)
    try:
        value = json.loads(raw)
    except ValueError:  # UnicodeDecodeError and json.JSONDecodeError both are
        raise JwsError(f"the {name} is not JSON") from None
    if not isinstance(value, dict):
        raise JwsError(f"the {name} is not a JSON object")
    return value


def parse(token: str) -> CompactJws:
    """The three parts of a compact JWS; JwsError if it has not exactly three, or one does not decode."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise JwsError("a compact JWS has three dot-separated parts")
    header_part, claims_part, signature_part = parts
    return CompactJws(
        header=_json_object(header_part, "header"),
        claims=_json_object(claims_part, "claims"),
        signing_input=f"{header_part}.{claims_part}".encode("ascii"),
        signature=_unb64url(signature_part, "signature"),
    )


def sign_rs256(header: dict[str, Any], claims: dict[str, Any], key: rsa.RSAPrivateKey) -> str:
    """A compact JWS of `claims`, its header `header` with `alg` set to RS256."""
    head = b64url(json.dumps({**header, "alg": "RS256"}, separators=(",", ":")).encode("utf-8"))
    body = b64url(json.dumps(claims, separators=(",", ":")).encode("utf-8"))
    signature = key.sign(f"{head}.{body}".encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{head}.{body}.{b64url(signature)}"
