"""The Schwab service ("schwab"): `/v1/oauth/authorize` with its sign-in page, `/v1/oauth/token`, the Trader
API's account paths, and `/sandbox/schwab/*` controls for tests and for provisioning the sandbox profile.

The app's callback port is picked free when the sandbox starts and registered exactly, as a trader
registers `https://127.0.0.1:PORT/path` with Schwab; the app secret is handed out only by the control
route, which the connector calls once for the sandbox profile instead of the trader typing it. Two more
controls play the developer portal's part in a secret rotation: issue a new secret (the old one keeps working
for a grace period) and end the grace period now.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
import socket
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from brokers.sandbox.oauth2.model import OAuthError
from brokers.sandbox.oauth2.pages import SECURITY_HEADERS, consent_page, error_page
from brokers.sandbox.oauth2.server import basic_credentials, parse_pairs, read_form
from brokers.sandbox.schwab.accounts import SandboxAccount, sandbox_accounts
from brokers.sandbox.schwab.authority import SchwabApp, SchwabAuthority, SchwabOAuthError
from brokers.sandbox.services import SandboxContext

SERVICE = "schwab"
PROFILE = "sandbox-schwab"
APP_KEY = "BDSandboxSchwabAppKey01"
CALLBACK_PATH = "/schwab/callback"
DECISION_PATH = "/v1/oauth/authorize/decision"
CONTROL = "/sandbox/schwab"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _html(text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status, headers=SECURITY_HEADERS)


def _api_error(status: int, message: str, *errors: str) -> JSONResponse:
    return JSONResponse({"message": message, "errors": list(errors or (message,))}, status_code=status)


class _Routes:
    def __init__(self, authority: SchwabAuthority, accounts: tuple[SandboxAccount, ...]) -> None:
        self.authority = authority
        self.accounts = accounts

    # -- OAuth ---------------------------------------------------------------------------------

    async def authorize(self, request: Request) -> Response:
        try:
            params, _ = parse_pairs(request.url.query)
            pending = self.authority.start(
                params.get("client_id", ""), params.get("redirect_uri", ""), params.get("state", "")
            )
        except ValueError as exc:
            return _html(error_page(str(exc) or "The request's parameters are not valid."), 400)
        return self._consent(pending.request_id, pending.redirect_uri)

    def _consent(self, request_id: str, redirect_uri: str, error: str | None = None) -> HTMLResponse:
        page = consent_page(
            request_id=request_id,
            client_label="Brokerdeck (Schwab app)",
            scopes=("api",),
            redirect_host=redirect_uri,
            error=error,
            action=DECISION_PATH,
            title="Charles Schwab (sandbox) — log in",
        )
        return _html(page, 400 if error else 200)

    async def decision(self, request: Request) -> Response:
        try:
            form = await read_form(request)
        except OAuthError:
            return _html(error_page("The sign-in form was not sent as a form."), 400)
        pending = self.authority.pending(form.get("request_id", ""))
        if pending is None:
            return _html(error_page("This login request is unknown, has expired, or was already used."), 400)
        if not form.get("username", "").strip() or not form.get("password"):
            return self._consent(pending.request_id, pending.redirect_uri, "Enter your login ID and password.")
        if form.get("decision") not in ("allow", "deny"):
            return self._consent(pending.request_id, pending.redirect_uri, "Choose Allow or Deny.")
        query = urlencode(self.authority.decide(pending.request_id, form["decision"] == "allow"))
        return Response(status_code=302, headers={"Location": f"{pending.redirect_uri}?{query}", **SECURITY_HEADERS})

    async def token(self, request: Request) -> JSONResponse:
        record = {"grant_type": "", "outcome": "", "app_secret": ""}
        try:
            form = await read_form(request)
            record["grant_type"] = form.get("grant_type", "")
            try:
                basic = basic_credentials(request.headers.get("authorization"))
            except OAuthError:
                basic = None
            record["app_secret"] = self.authority.authenticate(basic)
            body = self.authority.token(form)
        except OAuthError as exc:
            record["outcome"] = exc.error
            return JSONResponse({"error": exc.error, "error_description": exc.description}, 400, headers=NO_STORE)
        except SchwabOAuthError as exc:
            record["outcome"] = exc.error
            return JSONResponse(exc.body(), status_code=exc.status, headers=NO_STORE)
        finally:
            self.authority.token_requests.append(record)
        record["outcome"] = "ok"
        return JSONResponse(body, headers=NO_STORE)

    # -- Trader API ----------------------------------------------------------------------------

    def _refused(self, request: Request) -> JSONResponse | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and self.authority.access_valid(token.strip()):
            return None
        return _api_error(
            401,
            "Unauthorized",
            "Either authorization token is invalid or there are no accounts the caller is allowed to view or use "
            "for trading that are registered with the provided third party application",
        )

    async def account_numbers(self, request: Request) -> JSONResponse:
        refused = self._refused(request)
        if refused is not None:
            return refused
        return JSONResponse([{"accountNumber": a.number, "hashValue": a.hash_value} for a in self.accounts])

    async def all_accounts(self, request: Request) -> JSONResponse:
        refused = self._refused(request)
        if refused is not None:
            return refused
        positions = request.query_params.get("fields") == "positions"
        return JSONResponse([a.view(positions=positions) for a in self.accounts])

    async def one_account(self, request: Request) -> JSONResponse:
        refused = self._refused(request)
        if refused is not None:
            return refused
        wanted = request.path_params["hash_value"]
        for account in self.accounts:
            if account.hash_value == wanted:
                return JSONResponse(account.view(positions=request.query_params.get("fields") == "positions"))
        if any(a.number == wanted for a in self.accounts):
            return JSONResponse({"message": "Invalid account number"}, status_code=400)
        return _api_error(404, "Not Found", f"no account with the encrypted id {wanted}")

    # -- controls ------------------------------------------------------------------------------

    async def app(self, _: Request) -> JSONResponse:
        app = self.authority.app
        body = {"app_key": app.key, "app_secret": app.secret, "callback": app.callback}
        return JSONResponse(body | {"app_secrets": self.authority.accepted_secrets()}, headers=NO_STORE)

    async def new_secret(self, request: Request) -> JSONResponse:
        """The developer portal's "new secret": `{"grace_s": …}` overrides how long the old one keeps working."""
        body = await request.json() if await request.body() else {}
        grace = body.get("grace_s") if isinstance(body, dict) else None
        secret, until = self.authority.issue_secret(float(grace) if grace is not None else None)
        return JSONResponse({"app_secret": secret, "old_secret_until": until}, headers=NO_STORE)

    async def end_grace(self, _: Request) -> JSONResponse:
        return JSONResponse({"ended": self.authority.end_grace()})

    async def advance(self, request: Request) -> JSONResponse:
        seconds = float((await request.json()).get("seconds", 0))
        self.authority.offset_s += max(0.0, seconds)
        return JSONResponse({"offset_s": self.authority.offset_s, "now": self.authority.now()})

    async def settings(self, request: Request) -> JSONResponse:
        lifetimes = self.authority.lifetimes
        for name, value in (await request.json()).items():
            if name in ("code_s", "access_s", "refresh_s") and float(value) > 0:
                setattr(lifetimes, name, float(value))
            if name == "secret_grace_s" and float(value) >= 0:
                lifetimes.secret_grace_s = float(value)
        return JSONResponse(dataclasses.asdict(lifetimes))

    async def expire_access(self, _: Request) -> JSONResponse:
        self.authority.expire_access()
        return JSONResponse({})

    async def revoke_all(self, _: Request) -> JSONResponse:
        self.authority.revoke_all()
        return JSONResponse({})

    async def state(self, _: Request) -> Response:
        """Every token request: grant type, outcome, and which app secret authenticated it."""
        body = {"token_requests": self.authority.token_requests, "now": self.authority.now()}
        return Response(json.dumps(body), media_type="application/json")


class SchwabEmulator:
    """Charles Schwab's OAuth server and Trader API on one origin, as `api.schwabapi.com` serves both."""

    name = SERVICE

    def __init__(self) -> None:
        self._callback = ""

    def build_app(self, context: SandboxContext) -> Starlette:
        self._callback = f"https://127.0.0.1:{_free_port()}{CALLBACK_PATH}"
        authority = SchwabAuthority(SchwabApp(APP_KEY, secrets.token_urlsafe(24), self._callback))
        context.shared[SERVICE] = authority
        routes = _Routes(authority, sandbox_accounts(context.seed))
        return Starlette(
            routes=[
                Route("/v1/oauth/authorize", routes.authorize, methods=["GET"]),
                Route(DECISION_PATH, routes.decision, methods=["POST"]),
                Route("/v1/oauth/token", routes.token, methods=["POST"]),
                Route("/trader/v1/accounts/accountNumbers", routes.account_numbers, methods=["GET"]),
                Route("/trader/v1/accounts", routes.all_accounts, methods=["GET"]),
                Route("/trader/v1/accounts/{hash_value}", routes.one_account, methods=["GET"]),
                Route(f"{CONTROL}/app", routes.app, methods=["GET"]),
                Route(f"{CONTROL}/app/secret", routes.new_secret, methods=["POST"]),
                Route(f"{CONTROL}/app/end-grace", routes.end_grace, methods=["POST"]),
                Route(f"{CONTROL}/advance", routes.advance, methods=["POST"]),
                Route(f"{CONTROL}/settings", routes.settings, methods=["POST"]),
                Route(f"{CONTROL}/expire-access", routes.expire_access, methods=["POST"]),
                Route(f"{CONTROL}/revoke-all", routes.revoke_all, methods=["POST"]),
                Route(f"{CONTROL}/state", routes.state, methods=["GET"]),
            ]
        )

    def profiles(self, urls: Mapping[str, str]) -> list[dict[str, Any]]:
        return [
            {
                "name": PROFILE,
                "kind": "schwab",
                "label": "Charles Schwab (sandbox)",
                "app_key": APP_KEY,
                "callback": self._callback,
                "api": urls[self.name],
            }
        ]
