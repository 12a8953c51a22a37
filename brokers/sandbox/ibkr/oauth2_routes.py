"""IBKR's OAuth 2.0 endpoints over HTTP, and the sandbox control that stands in for emailing IBKR a key.

`POST /oauth2/api/v1/token` (form-encoded, a signed client assertion) gives an access token;
`POST /gw/api/v1/sso-sessions` (that token as Bearer, a signed JWS as the body) gives the SSO
token `/v1/api` and its WebSocket accept. Both answer errors as RFC 9457 problem+json, as IBKR's
gateway does; the reason for a refusal goes to the sandbox's log, never into the body.

The controls (not IBKR): `POST /sandbox/ibkr/oauth2/clients` registers a client or adds a key to
it, `GET` lists them without keys, `POST /sandbox/ibkr/oauth2/settings` shortens lifetimes.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from brokers.sandbox.ibkr.oauth2_clients import AssertionRejected, Oauth2Clients
from brokers.sandbox.ibkr.oauth2_sessions import SSO_SCOPE, Oauth2Sessions

TOKEN_PATH = "/oauth2/api/v1/token"  # noqa: S105 - a route, not a secret
SSO_SESSIONS_PATH = "/gw/api/v1/sso-sessions"
GRANT_TYPE = "client_credentials"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SCOPES = frozenset({SSO_SCOPE, "sso-browser-sessions.write", "echo.read", "echo.write"})
_TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden"}
_INVALID_REQUEST = "The access token request is invalid"
_INSUFFICIENT_SCOPE = "The access token fails to have sufficient scope"
_SIGNED_JWT_ONLY = "Invalid payload for security policy: SIGNED_JWT"
_REQUIRED_FORM = ("grant_type", "client_assertion_type", "client_assertion", "scope")

log = logging.getLogger(__name__)


def problem(status: int, detail: str | None = None, kind: str = "/simple", **extra: Any) -> JSONResponse:
    """An RFC 9457 body in IBKR's shape: type, title, status, then detail or other members if any."""
    body: dict[str, Any] = {"type": kind, "title": _TITLES[status], "status": status}
    if detail is not None:
        body["detail"] = detail
    return JSONResponse(body | extra, status_code=status, media_type="application/problem+json")


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").partition(";")[0].strip().lower()


def _refused(where: str, reason: str) -> JSONResponse:
    log.info("%s refused: %s", where, reason)
    return problem(401, _INVALID_REQUEST)


class Oauth2Endpoints:
    """The token and sso-sessions endpoints of one sandbox, and their controls."""

    def __init__(self, clients: Oauth2Clients, sessions: Oauth2Sessions) -> None:
        self.clients, self.sessions = clients, sessions

    async def token(self, request: Request) -> Response:
        if _media_type(request) != "application/x-www-form-urlencoded":
            return problem(400)
        try:
            form = dict(parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True, strict_parsing=False))
        except UnicodeDecodeError:
            return problem(400)
        missing = [name for name in _REQUIRED_FORM if not form.get(name)]
        if missing:
            invalid = [{"field": name, "description": "Missing required parameter"} for name in missing]
            return problem(400, kind="/invalid-argument", invalidArguments=invalid)
        scopes = form["scope"].split()
        if form["grant_type"] != GRANT_TYPE or form["client_assertion_type"] != ASSERTION_TYPE:
            return problem(400)
        if not scopes or not set(scopes) <= SCOPES:
            return problem(400)
        try:
            client = self.clients.token_assertion(form["client_assertion"], time.time())
        except AssertionRejected as exc:
            return _refused("token request", str(exc))
        if form.get("client_id", client.client_id) != client.client_id:
            return _refused("token request", f"client_id {form['client_id']!r} is not the assertion's iss")
        scope = " ".join(scopes)
        body = {
            "access_token": self.sessions.access_token(client, scope, time.time()),
            "token_type": "Bearer",
            "scope": scope,
            "expires_in": self.sessions.lifetimes.access_token_lifetime_s,
        }
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    async def sso_sessions(self, request: Request) -> Response:
        scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
        now = time.time()
        claims = self.sessions.access_claims(token.strip(), now) if scheme.lower() == "bearer" else None
        if claims is None:
            return _refused("sso-sessions", "no unexpired access token from this sandbox was presented")
        if SSO_SCOPE not in str(claims.get("scope", "")).split():
            return problem(403, _INSUFFICIENT_SCOPE)
        if _media_type(request) != "application/jwt":
            return problem(400, _SIGNED_JWT_ONLY)
        try:
            assertion = (await request.body()).decode("ascii")
            peer = request.client.host if request.client is not None else None
            client = self.clients.session_assertion(assertion, str(claims["sub"]), peer, now)
        except UnicodeDecodeError:
            return problem(400, _SIGNED_JWT_ONLY)
        except AssertionRejected as exc:
            return _refused("sso-sessions", str(exc))
        return JSONResponse(
            {"access_token": self.sessions.open_sso(client, now), "active": True, "token_type": "Bearer"}
        )

    # ---- controls ------------------------------------------------------------------------------

    async def registered_clients(self, request: Request) -> JSONResponse:
        if request.method == "GET":
            return JSONResponse([client.describe() for client in self.clients.all()])
        try:
            client, key_id = self.clients.register(json.loads(await request.body()))
        except ValueError as exc:  # json.JSONDecodeError is a ValueError too
            return JSONResponse({"error": str(exc), "statusCode": 400}, status_code=400)
        return JSONResponse(
            {
                "client_id": client.client_id,
                "key_id": key_id,
                "credential": client.credential,
                "accounts": list(client.accounts),
            }
        )

    async def settings(self, request: Request) -> JSONResponse:
        try:
            return JSONResponse(self.sessions.lifetimes.update(json.loads(await request.body())))
        except ValueError as exc:
            return JSONResponse({"error": str(exc), "statusCode": 400}, status_code=400)

    def routes(self) -> list[Route]:
        return [
            Route(TOKEN_PATH, self.token, methods=["POST"]),
            Route(SSO_SESSIONS_PATH, self.sso_sessions, methods=["POST"]),
            Route("/sandbox/ibkr/oauth2/clients", self.registered_clients, methods=["GET", "POST"]),
            Route("/sandbox/ibkr/oauth2/settings", self.settings, methods=["POST"]),
        ]
