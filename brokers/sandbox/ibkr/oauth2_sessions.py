"""What the emulated IBKR issues over OAuth 2.0: access tokens, and SSO tokens for `/v1/api`.

An SSO session is a principal in the same `ConsumerRegistry` OAuth 1.0a consumers live in, keyed
`oauth2:<username>`, so tickle, ssodh/init, accounts, orders and the stream treat both alike. Each
SSO token is kept as one of the principal's issued tokens (by its SHA-256), which lets the existing
`/sandbox/ibkr/expire` and `/sandbox/ibkr/age` controls age SSO tokens as they age LSTs.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import math
import secrets
from dataclasses import asdict, dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from brokers.sandbox.ibkr.consumers import Consumer, ConsumerRegistry, OAuthRejected
from brokers.sandbox.ibkr.jws import JwsError, parse, sign_rs256
from brokers.sandbox.ibkr.oauth2_clients import Oauth2Client

ISSUER = "/token"
SSO_SCOPE = "sso-sessions.write"
PRINCIPAL_PREFIX = "oauth2:"
MAX_LIFETIME_S = 7 * 86400
_ISSUER_KEY_BITS = 2048
_NOT_AUTHENTICATED = "not authenticated"


@dataclass
class Lifetimes:
    """How long what the sandbox issues lives; tests shorten them over the settings control."""

    access_token_lifetime_s: int = 86399
    sso_lifetime_s: int = 86400

    def update(self, body: Any) -> dict[str, int]:
        """Apply a settings request (every field optional); ValueError names the wrong one."""
        if not isinstance(body, dict) or not body:
            raise ValueError("give 'access_token_lifetime_s' and/or 'sso_lifetime_s'")
        for name, value in body.items():
            if name not in ("access_token_lifetime_s", "sso_lifetime_s"):
                raise ValueError(f"unknown setting {name!r}; use 'access_token_lifetime_s' or 'sso_lifetime_s'")
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_LIFETIME_S:
                raise ValueError(f"'{name}' must be a whole number of seconds from 1 to {MAX_LIFETIME_S}")
        for name, value in body.items():
            setattr(self, name, value)
        return asdict(self)


def principal_key(credential: str) -> str:
    """The registry key of a username's SSO principal; no OAuth 1.0a consumer key looks like it."""
    return PRINCIPAL_PREFIX + credential


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


class Oauth2Sessions:
    """The sandbox's token issuer and its SSO sessions."""

    def __init__(self, registry: ConsumerRegistry) -> None:
        self.registry = registry
        self.lifetimes = Lifetimes()
        self.kid = secrets.token_hex(16)
        self._sso_holders: dict[bytes, str] = {}  # SSO token digest -> principal key

    @functools.cached_property
    def _key(self) -> rsa.RSAPrivateKey:
        """The issuer's signing key, made the first time the sandbox issues a token (not at every start)."""
        return rsa.generate_private_key(public_exponent=65537, key_size=_ISSUER_KEY_BITS)

    def _sign(self, claims: dict[str, Any]) -> str:
        return sign_rs256({"typ": "JWT", "kid": self.kid}, claims, self._key)

    # ---- access tokens -------------------------------------------------------------------------

    def access_token(self, client: Oauth2Client, scope: str, now: float) -> str:
        """An RS256 JWT with the claims IBKR's tokens carry."""
        issued = math.floor(now)
        claims = {
            "iss": ISSUER,
            "sub": client.client_id,
            "exp": issued + self.lifetimes.access_token_lifetime_s,
            "iat": issued,
            "scope": scope,
            "csid": client.client_id,
            "accountId": client.accounts[0],
        }
        return self._sign(claims)

    def access_claims(self, token: str, now: float) -> dict[str, Any] | None:
        """The claims of an unexpired access token this sandbox issued; None for any other token."""
        try:
            jws = parse(token)
        except JwsError:
            return None
        claims = jws.claims
        if (
            jws.header.get("alg") != "RS256"
            or jws.header.get("kid") != self.kid
            or not jws.signed_by(self._key.public_key())
            or claims.get("iss") != ISSUER
            or not isinstance(claims.get("exp"), int)
            or claims["exp"] <= now
        ):
            return None
        return claims

    # ---- SSO sessions --------------------------------------------------------------------------

    def open_sso(self, client: Oauth2Client, now: float) -> str:
        """A new SSO token for the client's username; its principal (and any session it has) is kept."""
        key = principal_key(client.credential)
        principal = self.registry.get(key)
        if principal is None:
            public = self._key.public_key()
            principal = Consumer(
                consumer_key=key,
                realm="",
                signature_key=public,  # the sandbox's own key: no client can sign an LST request as it
                encryption_key=public,
                dh_prime=0,
                credential=client.credential,
            )
            self.registry.register(principal)
        principal.accounts = client.accounts
        principal.lst_lifetime_s = self.lifetimes.sso_lifetime_s
        issued = math.floor(now)
        token = self._sign(
            {"iss": "/gw", "sub": client.credential, "iat": issued, "exp": issued + principal.lst_lifetime_s}
            | {"jti": secrets.token_urlsafe(16)}
        )
        principal.issue(_digest(token), now)
        self._sso_holders[_digest(token)] = key
        return token

    def principal(self, token: str, now: float) -> Consumer | None:
        """The principal a live SSO token stands for; None if the token is unknown or has expired."""
        digest = _digest(token)
        holder = self._sso_holders.get(digest)
        principal = self.registry.get(holder) if holder is not None else None
        if principal is None:
            return None
        issued = next((t for t in principal.tokens if hmac.compare_digest(t.key, digest)), None)
        return principal if issued is not None and issued.expires_at > now else None

    def bearer(self, authorization: str, now: float) -> Consumer:
        """The principal an `Authorization: Bearer <SSO token>` header stands for, or IBKR's 401."""
        scheme, _, token = authorization.strip().partition(" ")
        principal = self.principal(token.strip(), now) if scheme.lower() == "bearer" else None
        if principal is None:
            raise OAuthRejected(_NOT_AUTHENTICATED)
        return principal


def is_bearer(authorization: str) -> bool:
    """Whether a request presents a bearer token (OAuth 2.0) rather than an OAuth 1.0a signature."""
    return authorization.strip().lower().startswith("bearer ")
