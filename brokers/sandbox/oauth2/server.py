"""The authorization server's HTTP face ("oauth2"): RFC 8414 metadata, RFC 7591 registration, the
authorization endpoint with its sign-in page, and the token and RFC 7009 revocation endpoints.

The issuer has a path (`{base}/auth`) on purpose: its metadata lives only at the path-inserted URL
`/.well-known/oauth-authorization-server/auth` (RFC 8414 §3.1), so a client that appends the
well-known suffix to the issuer, or asks for OpenID configuration, gets a 404 as it would in the wild.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from brokers.sandbox.oauth2.authority import (
    Authority,
    AuthorizePage,
    AuthorizeRedirect,
    OAuthError,
    RegistrationError,
)
from brokers.sandbox.oauth2.control import Journal, control_routes
from brokers.sandbox.oauth2.model import PendingAuthorization
from brokers.sandbox.oauth2.pages import DECISION_PATH, SECURITY_HEADERS, consent_page, error_page
from brokers.sandbox.oauth2.settings import Settings
from brokers.sandbox.services import SandboxContext

SERVICE = "oauth2"
RESOURCE_SERVICE = "oauth2-api"
ISSUER_PATH = "/auth"
METADATA_PATH = "/.well-known/oauth-authorization-server" + ISSUER_PATH
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def issuer_of(urls: Mapping[str, str]) -> str:
    return urls[SERVICE] + ISSUER_PATH


def resource_of(urls: Mapping[str, str]) -> str:
    return urls[RESOURCE_SERVICE] + "/api"


def parse_pairs(text: str) -> tuple[dict[str, str], set[str]]:
    """Form or query parameters, and the names sent more than once (RFC 6749 §3.1 forbids that).

    A parameter sent without a value counts as not sent (RFC 6749 §3.1, §3.2). ValueError when the
    encoding is not valid UTF-8.
    """
    values: dict[str, str] = {}
    duplicated: set[str] = set()
    for name, value in parse_qsl(text, keep_blank_values=True, errors="strict"):
        if not value:
            continue
        if name in values:
            duplicated.add(name)
        values[name] = value
    return values, duplicated


async def read_form(request: Request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body with each parameter at most once, or invalid_request."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/x-www-form-urlencoded":
        raise OAuthError("invalid_request", "the body must be application/x-www-form-urlencoded")
    try:
        form, duplicated = parse_pairs((await request.body()).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise OAuthError("invalid_request", "the body is not valid UTF-8 form data") from None
    if duplicated:
        raise OAuthError("invalid_request", f"parameter {sorted(duplicated)[0]!r} is repeated")
    return form


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """(client_id, secret) from `Authorization: Basic`, each form-decoded (RFC 6749 §2.3.1)."""
    if header is None:
        return None
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        raise OAuthError("invalid_client", "client authentication uses HTTP Basic", status=401, basic_challenge=True)
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        decoded = ""
    client_id, sep, secret = decoded.partition(":")
    if not sep or not client_id:
        raise OAuthError("invalid_client", "malformed HTTP Basic credentials", status=401, basic_challenge=True)
    return unquote_plus(client_id), unquote_plus(secret)


def oauth_error(exc: OAuthError) -> JSONResponse:
    headers = dict(NO_STORE)
    if exc.basic_challenge:
        headers["WWW-Authenticate"] = 'Basic realm="sandbox-oauth2"'
    body = {"error": exc.error, "error_description": exc.description}
    return JSONResponse(body, status_code=exc.status, headers=headers)


def _html(text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status, headers=SECURITY_HEADERS)


def _redirect(location: str) -> Response:
    # Sent as built: the parameters are already encoded, and the redirect URI must stay byte for byte.
    return Response(status_code=302, headers={"Location": location, **SECURITY_HEADERS})


def _consent(
    pending: PendingAuthorization, decision_path: str, error: str | None = None, username: str | None = None
) -> HTMLResponse:
    page = consent_page(
        action=decision_path,
        request_id=pending.request_id,
        client_label=pending.client.label,
        scopes=pending.scope,
        redirect_host=urlsplit(pending.redirect_uri).netloc,
        error=error,
        **({"username": username} if username is not None else {}),
    )
    return _html(page, 400 if error else 200)


class AuthorizationRoutes:
    """The handlers of one sandbox's authorization server; the consent form posts to `decision_path`."""

    def __init__(self, authority: Authority, journal: Journal, decision_path: str = DECISION_PATH) -> None:
        self.authority = authority
        self.journal = journal
        self.decision_path = decision_path

    async def metadata(self, _: Request) -> JSONResponse:
        return JSONResponse(self.authority.metadata())

    async def not_found(self, _: Request) -> JSONResponse:
        return JSONResponse(
            {"error": "not_found", "error_description": f"metadata is served only at {METADATA_PATH}"},
            status_code=404,
        )

    async def register(self, request: Request) -> JSONResponse:
        try:
            if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
                raise RegistrationError("invalid_client_metadata", "send the metadata as application/json")
            try:
                body = json.loads(await request.body())
            except ValueError:
                raise RegistrationError("invalid_client_metadata", "the body is not valid JSON") from None
            client = self.authority.register(body, time.time())
        except RegistrationError as exc:
            body = {"error": exc.error, "error_description": exc.description}
            return JSONResponse(body, status_code=400, headers=NO_STORE)
        return JSONResponse(client.registration_response(), status_code=201, headers=NO_STORE)

    async def authorize(self, request: Request) -> Response:
        try:
            params, duplicated = parse_pairs(request.url.query)
        except ValueError:
            self.journal.authorize({}, "bad_encoding")
            return _html(error_page("The request's parameters are not valid UTF-8."), 400)
        try:
            pending = self.authority.start_authorization(params, duplicated, time.time())
        except AuthorizePage as exc:
            self.journal.authorize(params, "refused_page")
            return _html(error_page(exc.message), 400)
        except AuthorizeRedirect as exc:
            self.journal.authorize(params, exc.error)
            return _redirect(exc.location)
        self.journal.authorize(params, "ok")
        return _consent(pending, self.decision_path)

    async def decision(self, request: Request) -> Response:
        try:
            form = await read_form(request)
        except OAuthError:
            return _html(error_page("The sign-in form was not sent as a form."), 400)
        now = time.time()
        pending = self.authority.pending(form.get("request_id"), now)
        if pending is None:
            return _html(error_page("This sign-in request is unknown, has expired, or was already used."), 400)
        username = form.get("username", "")
        if not username.strip() or not form.get("password"):
            return _consent(pending, self.decision_path, "Enter your username and password.", username)
        decision = form.get("decision")
        if decision not in ("allow", "deny"):
            return _consent(pending, self.decision_path, "Choose Allow or Deny.", username)
        return _redirect(self.authority.decide(pending.request_id, decision == "allow", now))

    async def token(self, request: Request) -> JSONResponse:
        settings = self.authority.settings
        if settings.token_delay_s > 0:
            await asyncio.sleep(settings.token_delay_s)
        problem: OAuthError | None = None
        try:
            form = await read_form(request)
        except OAuthError as exc:
            form, problem = {}, exc
        record = Journal.token_facts(form)
        try:
            fault = settings.take_token_fault()
            if fault is not None:
                record["outcome"] = fault.error or "server_error"
                return JSONResponse({"error": record["outcome"]}, status_code=fault.status, headers=NO_STORE)
            if problem is not None:
                raise problem
            client = self.authority.authenticate(form, basic_credentials(request.headers.get("authorization")))
            record["client_id"] = client.client_id
            body = self.authority.token(client, form, time.time())
            record["outcome"] = "ok"
            return JSONResponse(body, headers=NO_STORE)
        except OAuthError as exc:
            record["outcome"] = exc.error
            return oauth_error(exc)
        finally:
            self.journal.token_requests.append(record)

    async def revoke(self, request: Request) -> JSONResponse:
        try:
            form = await read_form(request)
            client = self.authority.authenticate(form, basic_credentials(request.headers.get("authorization")))
            token = form.get("token")
            if token is None:
                raise OAuthError("invalid_request", "token is required")
        except OAuthError as exc:
            return oauth_error(exc)
        self.authority.revoke(client, token)
        return JSONResponse({}, headers=NO_STORE)


class OAuthServerEmulator:
    """The authorization server service ("oauth2"). It publishes its `Authority` in
    `context.shared["oauth2"]` so the protected resource checks bearer tokens in-process."""

    name = SERVICE

    def build_app(self, context: SandboxContext) -> Starlette:
        if RESOURCE_SERVICE not in context.services:
            raise RuntimeError(f"the {SERVICE!r} service issues tokens for {RESOURCE_SERVICE!r}, which is not served")
        authority = Authority(issuer_of(context.services), resource_of(context.services), Settings())
        context.shared[SERVICE] = authority
        journal = Journal()
        routes = AuthorizationRoutes(authority, journal)
        return Starlette(
            routes=[
                Route(METADATA_PATH, routes.metadata, methods=["GET"]),
                Route("/.well-known/{rest:path}", routes.not_found),
                Route(f"{ISSUER_PATH}/register", routes.register, methods=["POST"]),
                Route(f"{ISSUER_PATH}/authorize", routes.authorize, methods=["GET"]),
                Route(f"{ISSUER_PATH}/authorize/decision", routes.decision, methods=["POST"]),
                Route(f"{ISSUER_PATH}/token", routes.token, methods=["POST"]),
                Route(f"{ISSUER_PATH}/revoke", routes.revoke, methods=["POST"]),
                *control_routes(authority, journal),
            ]
        )

    def profiles(self, urls: Mapping[str, str]) -> list[dict[str, Any]]:
        return []
