"""IBKR's OAuth 2.0 (private_key_jwt) messages, as pure functions.

Two RS256 compact JWS carry every claim IBKR checks: the client assertion that buys an access token
(`aud` is the literal "/token", `iat` ten seconds back, `exp` twenty ahead) and the SSO-session JWT that
buys the SSO bearer token (the IBKR username and the public IP, no `aud`, no `sub`). No I/O here, so
each byte can be checked against a verifier.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_AUDIENCE = "/token"  # noqa: S105 - the audience IBKR names, not a secret
SCOPE = "sso-sessions.write"
ASSERTION_BACKDATE_S = 10  # `iat` a little in the past, as IBKR's own samples do, for clock skew
ASSERTION_LIFETIME_S = 20
SSO_SESSION_LIFETIME_S = 86400
TOKEN_PATH = "/oauth2/api/v1/token"  # noqa: S105 - a path, not a secret
SSO_SESSIONS_PATH = "/gw/api/v1/sso-sessions"


def b64url(data: bytes) -> str:
    """Unpadded base64url, as JWS requires."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _compact_json(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode("utf-8")


def sign_jws(key: rsa.RSAPrivateKey, key_id: str, claims: Mapping[str, Any]) -> str:
    """`b64url(header).b64url(claims).b64url(RSASSA-PKCS1-v1_5 SHA-256 signature)`."""
    header = {"alg": "RS256", "typ": "JWT", "kid": key_id}
    signing_input = f"{b64url(_compact_json(header))}.{b64url(_compact_json(claims))}"
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url(signature)}"


def client_assertion(
    key: rsa.RSAPrivateKey, *, client_id: str, key_id: str, now: float, audience: str = TOKEN_AUDIENCE
) -> str:
    """The `client_assertion` of the access token request; `audience` differs from "/token" only in tests."""
    issued = int(now)
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "exp": issued + ASSERTION_LIFETIME_S,
        "iat": issued - ASSERTION_BACKDATE_S,
    }
    return sign_jws(key, key_id, claims)


def token_request_form(assertion: str, client_id: str) -> dict[str, str]:
    """The form body of `POST /oauth2/api/v1/token` (RFC 7523 field names, as IBKR's samples send)."""
    return {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
        "scope": SCOPE,
        "client_id": client_id,
    }


def sso_session_jwt(
    key: rsa.RSAPrivateKey, *, client_id: str, key_id: str, credential: str, ip: str, now: float
) -> str:
    """The raw body of `POST /gw/api/v1/sso-sessions`: whose brokerage session, from which public address."""
    issued = int(now)
    claims = {
        "ip": ip,
        "credential": credential,
        "iss": client_id,
        "exp": issued + SSO_SESSION_LIFETIME_S,
        "iat": issued,
    }
    return sign_jws(key, key_id, claims)


def unverified_expiry(token: str) -> float | None:
    """The `exp` claim of a JWT IBKR issued, read without verifying it: only to plan its renewal.

    None when the token is not a JWT or carries no numeric `exp` (IBKR does not promise either)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError):
        return None
    expiry = claims.get("exp") if isinstance(claims, dict) else None
    return float(expiry) if isinstance(expiry, int | float) and not isinstance(expiry, bool) else None
