"""Tokens with absolute times, and the three token-endpoint calls: exchange, refresh, revoke.

Expiry is stored as an absolute time so it survives a restart (a relative `expires_in` read back
after a day means nothing). A refresh response may bring no refresh token, the same one, or a new
one; `TokenSet.refreshed` keeps the chain intact in all three cases.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import httpx

from brokers.oauth2.discovery import ServerMetadata
from brokers.oauth2.errors import ClientRefused, LoginRequired, TokenRequestFailed
from brokers.oauth2.registration import ClientRegistration
from brokers.oauth2.transport import error_body, json_object, send

#: token-endpoint errors that mean the grant is dead and only a new login helps (except the client errors on
#: the refresh of a client that holds its own secret: `holds_its_own_secret`)
DEAD_GRANT_ERRORS = ("invalid_grant", "invalid_client", "unauthorized_client")
#: on a refresh, also Schwab's answer to a dead refresh token (expired, or replaced by a login elsewhere)
DEAD_REFRESH_ERRORS = (*DEAD_GRANT_ERRORS, "unsupported_token_type")
#: token-endpoint errors about the client itself (RFC 6749 §5.2), not the grant it presents
CLIENT_ERRORS = ("invalid_client", "unauthorized_client")

_NO_STORE = {"Accept": "application/json"}


@dataclass(frozen=True)
class TokenSet:
    """A profile's tokens; its repr shows no secret."""

    access_token: str = field(repr=False)
    token_type: str
    expires_at: float | None  # None: the server gave no lifetime
    refresh_token: str = field(default="", repr=False)
    refresh_expires_at: float | None = None  # when the server announced a refresh horizon
    authorized_at: float = 0.0  # the browser login this chain started from (the refresh token's age)
    refreshed_at: float | None = None
    scope: str = ""
    resource: str = ""

    @classmethod
    def from_response(cls, body: dict[str, Any], now: float, resource: str) -> TokenSet:
        access = body.get("access_token")
        token_type = body.get("token_type", "")
        if not isinstance(access, str) or not access:
            raise TokenRequestFailed("the token endpoint answered without an access token; try again")
        if not isinstance(token_type, str) or token_type.lower() != "bearer":
            raise TokenRequestFailed(f"the token endpoint issued a {token_type!r} token; only Bearer tokens are used")
        refresh = body.get("refresh_token")
        return cls(
            access_token=access,
            token_type="Bearer",  # noqa: S106 - the token type's name, not a secret
            expires_at=_deadline(body.get("expires_in"), now),
            refresh_token=refresh if isinstance(refresh, str) else "",
            refresh_expires_at=_deadline(body.get("refresh_token_expires_in"), now),
            authorized_at=now,
            scope=scope if isinstance(scope := body.get("scope"), str) else "",
            resource=resource,
        )

    def refreshed(self, body: dict[str, Any], now: float) -> TokenSet:
        """The set after a refresh: a missing refresh token or scope keeps the old one."""
        new = TokenSet.from_response(body, now, self.resource)
        return replace(
            new,
            refresh_token=new.refresh_token or self.refresh_token,
            refresh_expires_at=new.refresh_expires_at or self.refresh_expires_at,
            authorized_at=self.authorized_at,
            refreshed_at=now,
            scope=new.scope or self.scope,
        )

    def access_valid(self, now: float, leeway: float = 0.0) -> bool:
        return self.expires_at is None or self.expires_at - leeway > now

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TokenSet:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def _deadline(seconds: Any, now: float) -> float | None:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0:
        return None
    return now + float(seconds)


@dataclass(frozen=True)
class TokenRecord:
    """What the vault keeps for a profile: its tokens, where to refresh them, and whether they died."""

    server: ServerMetadata
    client: ClientRegistration
    tokens: TokenSet | None
    login_required: str = ""  # why the grant died; empty while it lives
    client_refused: str = ""  # why the client's secret was refused; the tokens are kept but unused meanwhile

    def to_bytes(self) -> bytes:
        return json.dumps(
            {
                "server": self.server.to_json(),
                "client": json.loads(self.client.to_bytes()),
                "tokens": self.tokens.to_json() if self.tokens else None,
                "login_required": self.login_required,
                "client_refused": self.client_refused,
            }
        ).encode("utf-8")

    @classmethod
    def from_bytes(cls, raw: bytes) -> TokenRecord:
        data = json.loads(raw)
        return cls(
            server=ServerMetadata.from_json(data["server"]),
            client=ClientRegistration.from_bytes(json.dumps(data["client"]).encode("utf-8")),
            tokens=TokenSet.from_json(data["tokens"]) if data.get("tokens") else None,
            login_required=data.get("login_required", ""),
            client_refused=data.get("client_refused", ""),
        )


async def exchange_code(
    http: httpx.AsyncClient,
    server: ServerMetadata,
    client: ClientRegistration,
    *,
    code: str,
    redirect_uri: str,
    verifier: str,
    resource: str,
    now: float,
) -> TokenSet:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier}
    body = await _token_request(http, server, client, form, resource, refreshing=False)
    return TokenSet.from_response(body, now, resource)


async def refresh_tokens(
    http: httpx.AsyncClient, server: ServerMetadata, client: ClientRegistration, tokens: TokenSet, now: float
) -> TokenSet:
    if not tokens.refresh_token:
        raise LoginRequired("the server gave no refresh token, so the session cannot be renewed: sign in again")
    form = {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token}
    body = await _token_request(http, server, client, form, tokens.resource, refreshing=True)
    return tokens.refreshed(body, now)


async def revoke(http: httpx.AsyncClient, server: ServerMetadata, client: ClientRegistration, tokens: TokenSet) -> None:
    """RFC 7009: revoke the refresh token (which ends the grant) and the access token; raises on refusal."""
    fields, auth = client.auth()
    pairs = [(tokens.refresh_token, "refresh_token"), (tokens.access_token, "access_token")]
    for token, hint in pairs:
        if not token:
            continue
        form = {"token": token, "token_type_hint": hint, **fields}
        response = await send(http, "POST", server.revocation_endpoint, data=form, auth=auth, headers=_NO_STORE)
        if response.status_code != 200:
            what = hint.replace("_", " ")
            raise TokenRequestFailed(f"{server.issuer} refused to revoke the {what} ({error_body(response)})")


def holds_its_own_secret(client: ClientRegistration) -> bool:
    """A confidential client whose secret the trader holds and replaces (Schwab's app secret).

    Only for such a client does invalid_client on a refresh say nothing about the refresh token: the secret is
    refused, and a new one proves with the same grant. For a public client (RFC 6749 §5.2: client
    authentication is its client_id alone) invalid_client means the client is unknown, its registration gone;
    a dynamically registered client's secret is the registration's own, and an expired or revoked one ends it
    too. A refresh token is bound to the client it was issued to (§6), so either way only a new registration
    and a new sign-in help, and the dead grant is dropped as before."""
    return client.auth_method != "none" and not client.dynamic and bool(client.client_secret)


async def _token_request(
    http: httpx.AsyncClient,
    server: ServerMetadata,
    client: ClientRegistration,
    form: dict[str, str],
    resource: str,
    *,
    refreshing: bool,
) -> dict[str, Any]:
    fields, auth = client.auth()
    data = {**form, **fields}
    if resource:
        data["resource"] = resource  # RFC 8707 on every token request, refreshes included
    response = await send(http, "POST", server.token_endpoint, data=data, auth=auth, headers=_NO_STORE)
    if response.status_code == 200:
        body = json_object(response)
        if body is None:
            raise TokenRequestFailed(f"{server.issuer} answered the token request with something other than JSON")
        return body
    if json_object(response) is None:
        raise TokenRequestFailed(
            f"the token endpoint of {server.issuer} answered HTTP {response.status_code} without an OAuth error (a "
            "gateway's or firewall's page, or nothing), so nothing was changed; try again later"
        )
    error = error_body(response)
    reply = str(error)
    if refreshing and error.error in CLIENT_ERRORS and holds_its_own_secret(client):
        raise ClientRefused(f"the app secret was refused by {server.issuer} ({error})", reply=reply)
    if refreshing and error.error in DEAD_REFRESH_ERRORS:
        raise LoginRequired(f"{server.issuer} no longer accepts the stored grant ({error}): sign in again", reply=reply)
    if error.error in DEAD_GRANT_ERRORS:
        raise TokenRequestFailed(f"{server.issuer} refused the login ({error}); connect again", reply=reply)
    raise TokenRequestFailed(f"the token request to {server.issuer} failed ({error}); try again", reply=reply)
