"""The protected resource ("oauth2-api"): a small broker API that accepts only bearer tokens meant for it.

It answers the way a resource server that follows RFC 6750 and RFC 9728 does: a 401 names the
protected resource metadata document in `WWW-Authenticate`, so a client can discover the
authorization server from its first failed call; a token in the URL is refused outright; and a
token issued for another audience (or for none) is as good as no token.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from brokers.sandbox.oauth2.authority import Authority, TokenInfo
from brokers.sandbox.oauth2.clients import SCOPES
from brokers.sandbox.oauth2.server import SERVICE as AUTH_SERVICE
from brokers.sandbox.oauth2.server import issuer_of, resource_of
from brokers.sandbox.services import SandboxContext

SERVICE = "oauth2-api"
API_PATH = "/api"
METADATA_PATH = "/.well-known/oauth-protected-resource" + API_PATH
READ_SCOPE = "read"
_POSITION_SIZES = (100, 250, 2, 50_000)


@dataclass
class ResourceSettings:
    """What the metadata document claims; null restores the true value."""

    resource_override: str | None = None
    authorization_servers_override: list[str] | None = None

    def update(self, body: Any) -> None:
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object of settings")
        unknown = sorted(set(body) - {"resource_override", "authorization_servers_override"})
        if unknown:
            raise ValueError(
                f"unknown setting {unknown[0]!r}: the settings are resource_override, authorization_servers_override"
            )
        resource = body.get("resource_override", self.resource_override)
        servers = body.get("authorization_servers_override", self.authorization_servers_override)
        if resource is not None and not isinstance(resource, str):
            raise ValueError("'resource_override' must be a string, or null for the true resource")
        if servers is not None and (not isinstance(servers, list) or not all(isinstance(s, str) for s in servers)):
            raise ValueError("'authorization_servers_override' must be a list of strings, or null for the true issuer")
        self.resource_override, self.authorization_servers_override = resource, servers


class _Api:
    """The handlers of one sandbox's protected resource."""

    def __init__(self, context: SandboxContext, authority: Authority) -> None:
        base = context.services[SERVICE]
        self.context = context
        self.authority = authority
        self.resource = resource_of(context.services)
        self.metadata_url = base + METADATA_PATH
        self.settings = ResourceSettings()

    async def metadata(self, _: Request) -> JSONResponse:
        s = self.settings
        return JSONResponse(
            {
                "resource": s.resource_override if s.resource_override is not None else self.resource,
                "authorization_servers": (
                    s.authorization_servers_override
                    if s.authorization_servers_override is not None
                    else [self.authority.issuer]
                ),
                "scopes_supported": list(SCOPES),
                "bearer_methods_supported": ["header"],
                "resource_name": "Sandbox Broker API",
            }
        )

    async def not_found(self, _: Request) -> JSONResponse:
        body = {"error": "not_found", "error_description": f"resource metadata is served only at {METADATA_PATH}"}
        return JSONResponse(body, status_code=404)

    async def update_settings(self, request: Request) -> JSONResponse:
        try:
            self.settings.update(json.loads(await request.body()))
        except ValueError as exc:
            return JSONResponse({"error": "bad_setting", "message": str(exc)}, status_code=400)
        return JSONResponse(asdict(self.settings))

    def _challenge(self, status: int, error: str | None = None, description: str = "", scope: str = "") -> Response:
        """An RFC 6750 §3 answer; with no error code when the request carried no token at all."""
        params: list[str] = []
        body: dict[str, str] = {"message": "a bearer token is required"}
        if error is not None:
            params += [f'error="{error}"', f'error_description="{description}"']
            body = {"error": error, "error_description": description}
        if scope:
            params.append(f'scope="{scope}"')
        params.append(f'resource_metadata="{self.metadata_url}"')
        headers = {"WWW-Authenticate": "Bearer " + ", ".join(params), "Cache-Control": "no-store"}
        return JSONResponse(body, status_code=status, headers=headers)

    def _authorize(self, request: Request) -> TokenInfo | Response:
        if "access_token" in request.query_params:
            body = {
                "error": "invalid_request",
                "error_description": "send the token in the Authorization header, never in the URL",
            }
            return JSONResponse(body, status_code=400, headers={"Cache-Control": "no-store"})
        header = request.headers.get("authorization")
        scheme, _, token = (header or "").strip().partition(" ")
        if header is None or scheme.lower() != "bearer":
            return self._challenge(401)
        info = self.authority.check_access_token(token.strip(), self.resource, time.time())
        if info is None:
            return self._challenge(
                401, "invalid_token", "the access token is unknown, expired, revoked or meant for another resource"
            )
        if READ_SCOPE not in info.scope:
            return self._challenge(403, "insufficient_scope", f"this call needs the {READ_SCOPE} scope", READ_SCOPE)
        return info

    async def index(self, request: Request) -> Response:
        """The resource identifier itself: what a client's token check asks; it proves the token and lists the API."""
        info = self._authorize(request)
        if isinstance(info, Response):
            return info
        endpoints = [f"{self.resource}/account", f"{self.resource}/positions"]
        return JSONResponse(
            {"resource": self.resource, "client_id": info.client_id, "endpoints": endpoints},
            headers={"Cache-Control": "no-store"},
        )

    async def account(self, request: Request) -> Response:
        info = self._authorize(request)
        if isinstance(info, Response):
            return info
        return JSONResponse(
            {
                "account_id": "SBX-0001",
                "name": "Sandbox Trader",
                "client_id": info.client_id,
                "scope": " ".join(info.scope),
            },
            headers={"Cache-Control": "no-store"},
        )

    async def positions(self, request: Request) -> Response:
        info = self._authorize(request)
        if isinstance(info, Response):
            return info
        instruments = self.context.market.instruments
        rows = [{"symbol": i.symbol, "quantity": q} for i, q in zip(instruments, _POSITION_SIZES, strict=False)]
        return JSONResponse({"account_id": "SBX-0001", "positions": rows}, headers={"Cache-Control": "no-store"})


class ProtectedResourceEmulator:
    """The protected resource service ("oauth2-api"); build it after the OAuth server it trusts."""

    name = SERVICE

    def build_app(self, context: SandboxContext) -> Starlette:
        authority = context.shared.get(AUTH_SERVICE)
        if not isinstance(authority, Authority):
            raise RuntimeError(f"build the {AUTH_SERVICE!r} service before {SERVICE!r}: its tokens are checked here")
        api = _Api(context, authority)
        return Starlette(
            routes=[
                Route(METADATA_PATH, api.metadata, methods=["GET"]),
                Route("/.well-known/{rest:path}", api.not_found),
                Route(API_PATH, api.index, methods=["GET"]),
                Route(f"{API_PATH}/account", api.account, methods=["GET"]),
                Route(f"{API_PATH}/positions", api.positions, methods=["GET"]),
                Route("/sandbox/oauth2-api/settings", api.update_settings, methods=["POST"]),
            ]
        )

    def profiles(self, urls: Mapping[str, str]) -> list[dict[str, Any]]:
        return [
            {
                "name": "sandbox-oauth2",
                "kind": "oauth2",
                "label": "OAuth 2.1 (sandbox)",
                "issuer": issuer_of(urls),
                "resource": resource_of(urls),
                "scopes": list(SCOPES),
            }
        ]
