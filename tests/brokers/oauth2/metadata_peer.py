"""A resource and its authorization server as MCP servers publish them, for the item-17 issuer tests.

The addresses are templates filled in once the peer's port is known (`spell`), so a test can say in
one string which spelling of the issuer the resource lists.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from mcp.server.auth.routes import create_protected_resource_routes
from pydantic import AnyHttpUrl
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from brokers.oauth2.discovery import discover, well_known_url
from brokers.oauth2.transport import new_http_client


def spell(template: str, base: str) -> str:
    """A URL template filled in for the peer at `base` (`{localhost}`, `{https}`, `{BASE}`: misspellings)."""
    host = base.removeprefix("http://")
    return template.format(
        base=base, localhost=base.replace("127.0.0.1", "localhost"), https=f"https://{host}", BASE=base.upper()
    )


def metadata_peer(as_issuer: str, authorization_servers: list[str] | None = None) -> Callable[[str], Starlette]:
    """A resource at `<base>/mcp` and its authorization server `as_issuer` (templates for `spell`).

    With `authorization_servers` the resource metadata lists them as written; without, it is published
    by the MCP Python SDK's own route, which names the server as its URL type renders it."""

    def build(base: str) -> Starlette:
        issuer = spell(as_issuer, base)
        resource = f"{base}/mcp"

        async def server_metadata(_: Request) -> JSONResponse:
            endpoints = {"authorization_endpoint": f"{base}/authorize", "token_endpoint": f"{base}/token"}
            return JSONResponse({"issuer": issuer, **endpoints, "code_challenge_methods_supported": ["S256"]})

        async def resource_metadata(_: Request) -> JSONResponse:
            servers = [spell(entry, base) for entry in authorization_servers or []]
            return JSONResponse({"resource": resource, "authorization_servers": servers})

        async def protected(_: Request) -> PlainTextResponse:
            return PlainTextResponse("sign in first", status_code=401)

        if authorization_servers is None:
            published = create_protected_resource_routes(AnyHttpUrl(resource), [AnyHttpUrl(issuer)])
        else:
            published = [Route(urlsplit(well_known_url(resource, "oauth-protected-resource")).path, resource_metadata)]
        return Starlette(
            routes=[
                *published,
                Route(urlsplit(well_known_url(issuer, "oauth-authorization-server")).path, server_metadata),
                Route("/mcp", protected),
            ]
        )

    return build


async def discovered(base: str, issuer: str) -> str:
    async with new_http_client() as http:
        return (await discover(http, spell(issuer, base), f"{base}/mcp")).server.issuer
