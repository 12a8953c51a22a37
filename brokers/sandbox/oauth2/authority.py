"""The authorization server's protocol state and checks, with no HTTP: clients, codes, grants, tokens.

A grant is what one user consent produces: its refresh token (rotated or not) and every access
token minted from it share its fate, so reuse detection, a replayed code and revocation can take
the whole family down at once. Its refresh horizon is absolute from the authorization, as brokers
with a 7-day refresh token do: refreshing does not extend it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

from brokers.sandbox.oauth2.clients import (
    SCOPES,
    Client,
    RegistrationError,
    parse_scope,
    redirect_matches,
    register_client,
)
from brokers.sandbox.oauth2.model import (
    AccessToken,
    AuthorizationCode,
    AuthorizePage,
    AuthorizeRedirect,
    Grant,
    OAuthError,
    PendingAuthorization,
    TokenInfo,
    invalid_client,
)
from brokers.sandbox.oauth2.settings import Settings

__all__ = ["Authority", "AuthorizePage", "AuthorizeRedirect", "OAuthError", "RegistrationError", "TokenInfo"]

PENDING_TTL_S = 600.0
CODE_TTL_S = 60.0
_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")
_VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")


class Authority:
    """All the state of one sandbox's authorization server, and every protocol rule it enforces."""

    def __init__(
        self,
        issuer: str,
        resource: str,
        settings: Settings,
        *,
        scopes: tuple[str, ...] = SCOPES,
        endpoints: Mapping[str, str] | None = None,
        resource_required: bool = False,
    ) -> None:
        """`endpoints` overrides where the metadata points (by metadata key); the default puts every endpoint
        under the issuer. `resource_required`: refuse authorization and token requests without a resource."""
        self.issuer = issuer
        self.resource = resource
        self.settings = settings
        self.scopes = scopes
        self.endpoints = {
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "registration_endpoint": f"{issuer}/register",
            "revocation_endpoint": f"{issuer}/revoke",
        } | dict(endpoints or {})
        self.resource_required = resource_required
        self.clients: dict[str, Client] = {}
        self.revocations = 0
        self._pending: dict[str, PendingAuthorization] = {}
        self._codes: dict[str, AuthorizationCode] = {}
        self._grants: dict[str, Grant] = {}
        # Every refresh token ever issued, current or rotated out, to its grant id: reuse is detectable.
        self._refresh_grants: dict[str, str] = {}
        self._access: dict[str, AccessToken] = {}

    # ---- registration and authorization -------------------------------------------------------

    def register(self, body: Any, now: float) -> Client:
        client = register_client(body, now, self.scopes)
        self.clients[client.client_id] = client
        return client

    def start_authorization(self, params: dict[str, str], duplicated: set[str], now: float) -> PendingAuthorization:
        """Validate an authorization request; raise AuthorizePage or AuthorizeRedirect to refuse it."""
        self._purge(now)
        client = self.clients.get(params.get("client_id", ""))
        if client is None or "client_id" in duplicated:
            raise AuthorizePage("The application asking for access is not registered with this server.")
        redirect_uri = params.get("redirect_uri")
        if redirect_uri is None or "redirect_uri" in duplicated:
            raise AuthorizePage("The request carries no redirect_uri (or more than one); it is required here.")
        any_port = self.settings.any_port_loopback
        if not any(redirect_matches(r, redirect_uri, any_port_loopback=any_port) for r in client.redirect_uris):
            raise AuthorizePage("The redirect_uri is not one this application registered.")
        state = params.get("state")

        def refuse(error: str, description: str) -> AuthorizeRedirect:
            extra = {"state": state} if state is not None and "state" not in duplicated else {}
            return AuthorizeRedirect(
                error, self.redirect_location(redirect_uri, error=error, description=description, **extra)
            )

        if "resource" in duplicated:
            raise refuse("invalid_target", "this server accepts a single resource indicator")
        if duplicated:
            raise refuse("invalid_request", f"parameter {sorted(duplicated)[0]!r} is repeated")
        if params.get("response_type") != "code" or "code" not in client.response_types:
            raise refuse("unsupported_response_type", "only response_type=code is supported")
        challenge, method = params.get("code_challenge"), params.get("code_challenge_method")
        if challenge is None:
            raise refuse("invalid_request", "PKCE is required: send code_challenge and code_challenge_method=S256")
        if method != "S256":
            raise refuse("invalid_request", "code_challenge_method must be S256")
        if not _CHALLENGE.fullmatch(challenge):
            raise refuse("invalid_request", "code_challenge must be 43 characters of base64url (no padding)")
        resource = params.get("resource")
        if resource is None and self.resource_required:
            raise refuse("invalid_target", f"this server requires the resource indicator {self.resource}")
        if resource is not None:
            problem = self._resource_problem(resource)
            if problem:
                raise refuse("invalid_target", problem)
        try:
            scope = (
                parse_scope(params["scope"], self.scopes) if "scope" in params else (client.scope or self.scopes[:1])
            )
        except ValueError as exc:
            raise refuse("invalid_scope", str(exc)) from None
        if client.scope is not None and not set(scope) <= set(client.scope):
            raise refuse("invalid_scope", "the scope asks for more than this client registered")
        pending = PendingAuthorization(
            request_id=secrets.token_urlsafe(24),
            client=client,
            redirect_uri=redirect_uri,
            state=state,
            code_challenge=challenge,
            resource=resource,
            scope=scope,
            expires_at=now + PENDING_TTL_S,
        )
        self._pending[pending.request_id] = pending
        return pending

    def pending(self, request_id: str | None, now: float) -> PendingAuthorization | None:
        """The pending authorization, unless it is unknown, expired or already decided."""
        self._purge(now)
        return self._pending.get(request_id or "")

    def decide(self, request_id: str, allow: bool, now: float) -> str:
        """Spend the pending authorization and return where the browser goes next."""
        pending = self._pending.pop(request_id)
        extra = {"state": pending.state} if pending.state is not None else {}
        if not allow:
            return self.redirect_location(
                pending.redirect_uri, error="access_denied", description="the user denied the request", **extra
            )
        code = secrets.token_urlsafe(32)
        self._codes[code] = AuthorizationCode(
            client_id=pending.client.client_id,
            redirect_uri=pending.redirect_uri,
            code_challenge=pending.code_challenge,
            resource=pending.resource,
            scope=pending.scope,
            expires_at=now + CODE_TTL_S,
        )
        return self.redirect_location(pending.redirect_uri, code=code, **extra)

    def redirect_location(
        self, redirect_uri: str, *, error: str | None = None, description: str | None = None, **params: str
    ) -> str:
        """The redirect URI with response parameters appended, `iss` as the settings say (RFC 9207)."""
        values = {"error": error, "error_description": description} if error else {}
        values |= params
        if not self.settings.omit_iss:
            values["iss"] = self.settings.iss_override if self.settings.iss_override is not None else self.issuer
        query = urlsplit(redirect_uri).query
        joiner = "&" if query else ("" if redirect_uri.endswith("?") else "?")
        return redirect_uri + joiner + urlencode({k: v for k, v in values.items() if v is not None})

    # ---- token endpoint -----------------------------------------------------------------------

    def authenticate(self, form: dict[str, str], basic: tuple[str, str] | None) -> Client:
        """The client making a token or revocation request (RFC 6749 §2.3), or invalid_client."""
        if basic is not None:
            client_id, secret = basic
            if "client_secret" in form:
                raise OAuthError("invalid_request", "use one client authentication method, not two")
            client = self.clients.get(client_id)
            if form.get("client_id", client_id) != client_id or client is None:
                raise invalid_client("client authentication failed", basic=True)
            if client.auth_method != "client_secret_basic" or not _same(secret, client.secret):
                raise invalid_client("client authentication failed", basic=True)
            return client
        client = self.clients.get(form.get("client_id", ""))
        if client is None:
            raise invalid_client("unknown client, or no client_id sent")
        posted = form.get("client_secret")
        if client.auth_method == "client_secret_basic":
            raise invalid_client("this client authenticates with HTTP Basic", basic=True)
        if client.auth_method == "client_secret_post" and not _same(posted, client.secret):
            raise invalid_client("client authentication failed")
        if client.auth_method == "none" and posted is not None:
            raise invalid_client("this client is public: it has no secret to send")
        return client

    def token(self, client: Client, form: dict[str, str], now: float) -> dict[str, Any]:
        grant_type = form.get("grant_type")
        if grant_type is None:
            raise OAuthError("invalid_request", "grant_type is required")
        if grant_type not in ("authorization_code", "refresh_token"):
            raise OAuthError("unsupported_grant_type", "supported: authorization_code, refresh_token")
        if grant_type not in client.grant_types:
            raise OAuthError("unauthorized_client", f"this client did not register the {grant_type} grant type")
        if grant_type == "authorization_code":
            return self._exchange_code(client, form, now)
        return self._refresh(client, form, now)

    def _exchange_code(self, client: Client, form: dict[str, str], now: float) -> dict[str, Any]:
        code_value, redirect_uri = form.get("code"), form.get("redirect_uri")
        if code_value is None:
            raise OAuthError("invalid_request", "code is required")
        code = self._codes.get(code_value)
        if code is None or code.client_id != client.client_id:
            raise OAuthError("invalid_grant", "the code is unknown or was issued to another client")
        if code.used:
            # RFC 6749 §4.1.2: a replayed code means it leaked; everything issued from it goes.
            if code.grant_id is not None:
                self._revoke_grant(self._grants[code.grant_id])
            raise OAuthError("invalid_grant", "the code was already used; the tokens issued from it are revoked")
        code.used = True
        if now >= code.expires_at:
            raise OAuthError("invalid_grant", "the code has expired")
        if redirect_uri is None:
            raise OAuthError("invalid_request", "redirect_uri is required: the authorization request had one")
        if redirect_uri != code.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri differs from the one in the authorization request")
        verifier = form.get("code_verifier")
        if verifier is None:
            raise OAuthError("invalid_grant", "code_verifier is required: the code was issued for a PKCE challenge")
        if not _VERIFIER.fullmatch(verifier) or not hmac.compare_digest(_s256(verifier), code.code_challenge):
            raise OAuthError("invalid_grant", "PKCE verification failed: code_verifier does not match code_challenge")
        resource = form.get("resource")
        if resource is None and self.resource_required:
            raise OAuthError("invalid_target", f"this server requires the resource indicator {self.resource}")
        if resource is not None and resource != code.resource:
            raise OAuthError("invalid_target", "resource differs from the one in the authorization request")
        grant = Grant(
            grant_id=secrets.token_urlsafe(12),
            client_id=client.client_id,
            scope=code.scope,
            resource=code.resource,
            refresh_expires_at=now + self.settings.refresh_ttl_s,
        )
        self._grants[grant.grant_id] = grant
        code.grant_id = grant.grant_id
        body = self._mint_access(grant, grant.scope, now)
        if "refresh_token" in client.grant_types:
            body |= self._new_refresh(grant, now)
        return body

    def _refresh(self, client: Client, form: dict[str, str], now: float) -> dict[str, Any]:
        presented = form.get("refresh_token")
        if presented is None:
            raise OAuthError("invalid_request", "refresh_token is required")
        grant = self._grants.get(self._refresh_grants.get(presented, ""))
        if grant is None or grant.client_id != client.client_id:
            raise OAuthError("invalid_grant", "the refresh token is unknown or was issued to another client")
        if grant.revoked:
            raise OAuthError("invalid_grant", "the refresh token was revoked")
        if presented != grant.refresh_token:
            # RFC 9700 §4.14.2: a rotated-out token came back, so one copy is stolen; end the family.
            self._revoke_grant(grant)
            raise OAuthError("invalid_grant", "the refresh token was already rotated out; the grant is revoked")
        if now >= grant.refresh_expires_at:
            raise OAuthError("invalid_grant", "refresh token expired")
        # Strict RFC 8707: a grant bound to a resource refreshes only for that resource, named again.
        resource = form.get("resource")
        if resource != grant.resource:
            raise OAuthError(
                "invalid_target", "send the same resource indicator on refresh as in the authorization request"
            )
        scope = grant.scope
        if "scope" in form:
            try:
                scope = parse_scope(form["scope"], self.scopes)
            except ValueError as exc:
                raise OAuthError("invalid_scope", str(exc)) from None
            if not set(scope) <= set(grant.scope):
                raise OAuthError("invalid_scope", "a refresh may narrow the scope, never widen it")
        body = self._mint_access(grant, scope, now)
        rotation = self.settings.rotation
        if rotation == "rotate":
            body |= self._new_refresh(grant, now)
        elif rotation == "same" and grant.refresh_token is not None:
            body |= {"refresh_token": grant.refresh_token, "refresh_token_expires_in": _seconds(grant, now)}
        return body

    def _mint_access(self, grant: Grant, scope: tuple[str, ...], now: float) -> dict[str, Any]:
        token = secrets.token_urlsafe(32)
        ttl = self.settings.access_ttl_s
        self._access[token] = AccessToken(grant.grant_id, grant.client_id, scope, grant.resource, now + ttl)
        grant.access_tokens.add(token)
        return {"access_token": token, "token_type": "Bearer", "expires_in": math.ceil(ttl), "scope": " ".join(scope)}

    def _new_refresh(self, grant: Grant, now: float) -> dict[str, Any]:
        grant.refresh_token = secrets.token_urlsafe(32)
        self._refresh_grants[grant.refresh_token] = grant.grant_id
        return {"refresh_token": grant.refresh_token, "refresh_token_expires_in": _seconds(grant, now)}

    # ---- revocation and checks ----------------------------------------------------------------

    def revoke(self, client: Client, token: str) -> None:
        """RFC 7009: a refresh token takes its whole grant; an access token only itself."""
        self.revocations += 1
        grant = self._grants.get(self._refresh_grants.get(token, ""))
        if grant is not None and grant.client_id == client.client_id:
            self._revoke_grant(grant)
            return
        access = self._access.get(token)
        if access is not None and access.client_id == client.client_id:
            access.revoked = True

    def check_access_token(self, token: str, resource: str, now: float) -> TokenInfo | None:
        """The token's facts if it is live and meant for `resource` (audience), else None."""
        access = self._access.get(token)
        if access is None or access.revoked or now >= access.expires_at or access.resource != resource:
            return None
        grant = self._grants.get(access.grant_id)
        if grant is None or grant.revoked:
            return None
        return TokenInfo(access.client_id, access.scope, resource, access.expires_at)

    def revoke_all(self) -> int:
        live = [g for g in self._grants.values() if not g.revoked]
        for grant in live:
            self._revoke_grant(grant)
        return len(live)

    def expire_access(self, now: float) -> int:
        live = [a for a in self._access.values() if now < a.expires_at]
        for access in live:
            access.expires_at = now
        return len(live)

    def advance(self, seconds: float, now: float) -> dict[str, int]:
        """Move this server's clock `seconds` on for everything it has issued: pending authorizations,
        codes, access tokens and refresh horizons are that much older. The checks stay as they are;
        the counts say what was live at `now` and no longer is."""
        live_access = [a for a in self._access.values() if not a.revoked and now < a.expires_at]
        live_grants = [g for g in self._grants.values() if not g.revoked and now < g.refresh_expires_at]
        for pending in self._pending.values():
            pending.expires_at -= seconds
        for code in self._codes.values():
            code.expires_at -= seconds
        for access in self._access.values():
            access.expires_at -= seconds
        for grant in self._grants.values():
            grant.refresh_expires_at -= seconds
        return {
            "expired_access_tokens": sum(now >= a.expires_at for a in live_access),
            "ended_refresh_horizons": sum(now >= g.refresh_expires_at for g in live_grants),
        }

    def active_grants(self, now: float) -> int:
        return sum(1 for g in self._grants.values() if not g.revoked and now < g.refresh_expires_at)

    def metadata(self) -> dict[str, Any]:
        """The RFC 8414 document; the settings may falsify the issuer or drop the PKCE methods."""
        issuer = self.issuer
        auth_methods = ["none", "client_secret_basic", "client_secret_post"]
        document: dict[str, Any] = {
            "issuer": self.settings.issuer_override if self.settings.issuer_override is not None else issuer,
            **{k: v for k, v in self.endpoints.items() if v},
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_methods_supported": auth_methods,
            "revocation_endpoint_auth_methods_supported": auth_methods,
            "scopes_supported": list(self.scopes),
            "authorization_response_iss_parameter_supported": True,
        }
        if self.settings.pkce_methods is not None:
            document["code_challenge_methods_supported"] = list(self.settings.pkce_methods)
        return document

    def _resource_problem(self, resource: str) -> str | None:
        parts = urlsplit(resource)
        if not parts.scheme or not parts.netloc:
            return "resource must be an absolute URI"
        if "#" in resource:
            return "resource must not have a fragment"
        if resource != self.resource:
            return f"this server issues tokens only for {self.resource}"
        return None

    def _revoke_grant(self, grant: Grant) -> None:
        grant.revoked = True
        for token in grant.access_tokens:
            self._access[token].revoked = True

    def _purge(self, now: float) -> None:
        """Forget pending requests and codes that can no longer be used, so memory stays bounded."""
        self._pending = {k: p for k, p in self._pending.items() if now < p.expires_at}
        self._codes = {k: c for k, c in self._codes.items() if now < c.expires_at + CODE_TTL_S or c.grant_id}


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode("ascii")


def _same(given: str | None, expected: str | None) -> bool:
    return given is not None and expected is not None and hmac.compare_digest(given.encode(), expected.encode())


def _seconds(grant: Grant, now: float) -> int:
    return max(0, math.ceil(grant.refresh_expires_at - now))
