"""The sandbox Robinhood service ("robinhood"): authorization server and MCP endpoint on one origin.

As at agent.robinhood.com, the issuer IS the MCP URL (`{base}/mcp/trading`), so its RFC 8414 metadata sits at
the path-inserted `/.well-known/oauth-authorization-server/mcp/trading` and, as Robinhood also serves it, at
the root document. Clients register dynamically as public clients, use S256 PKCE, must name the MCP URL as
`resource` on every request, ask for the one scope `internal`, and get single-use rotating refresh tokens
whose reuse revokes the grant. The authority, consent page and token rules are the generic sandbox
authorization server's, parameterized.

Controls: `/sandbox/oauth2/*` (expire-access, revoke-all, state, settings) as for the generic server;
`POST /sandbox/robinhood/settings` (waitlisted, refuse_tokens, throttle, throttle_calls, throttle_tool,
retry_after, lose_after_place, agentic = 0|1|2, and the order desk's auto_advance_s, advanced_allowed),
`POST /sandbox/robinhood/restart` (forget every MCP session; `{"stateless": bool}` switches the mode),
`GET /sandbox/robinhood/state` (the MCP request journal and the tool calls with their ref_id),
`GET /sandbox/robinhood/orders` (every order and OCO group), `POST /sandbox/robinhood/orders/advance`
(`{"order_id"?, "steps"?}`: move order states on, no waiting) and `POST /sandbox/robinhood/reset` (no orders,
default settings, an empty journal).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from brokers.sandbox.oauth2.authority import Authority
from brokers.sandbox.oauth2.control import Journal, control_routes
from brokers.sandbox.oauth2.server import AuthorizationRoutes
from brokers.sandbox.oauth2.settings import Settings
from brokers.sandbox.robinhood.book import Book
from brokers.sandbox.robinhood.gate import SCOPE, McpGate, json_body
from brokers.sandbox.robinhood.host import SessionHost
from brokers.sandbox.robinhood.order_desk import OrderDesk
from brokers.sandbox.robinhood.order_tools import add_order_tools
from brokers.sandbox.robinhood.tools import build_tools, low_level
from brokers.sandbox.services import SandboxContext

SERVICE = "robinhood"
MCP_PATH = "/mcp/trading"
RESOURCE_METADATA_PATH = "/.well-known/oauth-protected-resource" + MCP_PATH
SERVER_METADATA_PATH = "/.well-known/oauth-authorization-server"
AUTHORIZE_PATH = "/oauth"
DECISION_PATH = "/oauth/decision"
TOKEN_PATH = "/oauth2/token/"  # noqa: S105 (a path, not a secret)
REGISTER_PATH = "/oauth/trading/register"


def mcp_url(urls: Mapping[str, str]) -> str:
    return urls[SERVICE] + MCP_PATH


class RobinhoodEmulator:
    """The Robinhood-like MCP server and its authorization server."""

    name = SERVICE

    def build_app(self, context: SandboxContext) -> Starlette:
        base = context.services[SERVICE]
        url = mcp_url(context.services)
        authority = Authority(
            url,
            url,
            Settings(),
            scopes=(SCOPE,),
            endpoints={
                "authorization_endpoint": base + AUTHORIZE_PATH,
                "token_endpoint": base + TOKEN_PATH,
                "registration_endpoint": base + REGISTER_PATH,
                "revocation_endpoint": "",
            },
            resource_required=True,
        )
        journal = Journal()
        oauth = AuthorizationRoutes(authority, journal, DECISION_PATH)
        book = Book()
        desk = OrderDesk(book)
        tools = build_tools(book)
        add_order_tools(tools, desk)
        host = SessionHost(low_level(tools))
        gate = McpGate(authority, host, base + RESOURCE_METADATA_PATH)

        async def resource_metadata(_: Request) -> JSONResponse:
            return JSONResponse(
                {
                    "resource": url,
                    "authorization_servers": [url],
                    "bearer_methods_supported": ["header"],
                    "scopes_supported": [SCOPE],
                }
            )

        async def not_found(_: Request) -> JSONResponse:
            return JSONResponse({"error": "not_found"}, status_code=404)

        async def settings(request: Request) -> JSONResponse:
            try:
                body = json_body(await request.body())
                if not isinstance(body, dict):
                    raise ValueError("the body must be a JSON object")
                agentic = body.pop("agentic", None)
                ours = {k: body.pop(k) for k in ("auto_advance_s", "advanced_allowed") if k in body}
                gate.update(body)  # first: it refuses unknown names before anything changes
                desk.update(ours)
                if agentic is not None:
                    book.set_agentic_count(agentic)
            except ValueError as exc:
                return JSONResponse({"error": "bad_setting", "message": str(exc)}, status_code=400)
            return await state(request)

        async def restart(request: Request) -> JSONResponse:
            try:
                body = json_body(await request.body())
                stateless = body.get("stateless") if isinstance(body, dict) else None
                if stateless is not None and not isinstance(stateless, bool):
                    raise ValueError("'stateless' must be true or false")
            except ValueError as exc:
                return JSONResponse({"error": "bad_request", "message": str(exc)}, status_code=400)
            await host.restart(stateless=stateless)
            return JSONResponse(gate.describe())

        async def state(_: Request) -> JSONResponse:
            desk_settings = dataclasses.asdict(desk.settings)
            return JSONResponse(gate.describe() | desk_settings | {"agentic": len(book.agentic)})

        async def orders(_: Request) -> JSONResponse:
            return JSONResponse(desk.describe())

        async def advance(request: Request) -> JSONResponse:
            try:
                body = json_body(await request.body())
                order_id, steps = body.get("order_id"), body.get("steps", 1)
                if order_id is not None and not isinstance(order_id, str):
                    raise ValueError("'order_id' must be an order id")
                if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= 10:
                    raise ValueError("'steps' must be a whole number from 1 to 10")
                moves = desk.advance(order_id, steps)
            except (ValueError, AttributeError) as exc:
                return JSONResponse({"error": "bad_request", "message": str(exc)}, status_code=400)
            return JSONResponse(desk.describe() | {"moves": moves})

        async def reset(request: Request) -> JSONResponse:
            desk.reset()
            gate.reset()
            book.set_agentic_count(1)
            return await state(request)

        @contextlib.asynccontextmanager
        async def lifespan(_: Starlette) -> AsyncIterator[None]:
            await host.start()
            try:
                yield
            finally:
                await host.stop()

        return Starlette(
            routes=[
                Route(RESOURCE_METADATA_PATH, resource_metadata, methods=["GET"]),
                Route(SERVER_METADATA_PATH + MCP_PATH, oauth.metadata, methods=["GET"]),
                Route(SERVER_METADATA_PATH, oauth.metadata, methods=["GET"]),
                Route("/.well-known/{rest:path}", not_found),
                Route(MCP_PATH, gate),
                Route(REGISTER_PATH, oauth.register, methods=["POST"]),
                Route(AUTHORIZE_PATH, oauth.authorize, methods=["GET"]),
                Route(DECISION_PATH, oauth.decision, methods=["POST"]),
                Route(TOKEN_PATH, oauth.token, methods=["POST"]),
                Route("/sandbox/robinhood/settings", settings, methods=["POST"]),
                Route("/sandbox/robinhood/restart", restart, methods=["POST"]),
                Route("/sandbox/robinhood/state", state, methods=["GET"]),
                Route("/sandbox/robinhood/orders", orders, methods=["GET"]),
                Route("/sandbox/robinhood/orders/advance", advance, methods=["POST"]),
                Route("/sandbox/robinhood/reset", reset, methods=["POST"]),
                *control_routes(authority, journal),
            ],
            lifespan=lifespan,
        )

    def profiles(self, urls: Mapping[str, str]) -> list[dict[str, Any]]:
        return [
            {"name": "sandbox-robinhood", "kind": "robinhood-mcp", "label": "Robinhood (sandbox)", "url": mcp_url(urls)}
        ]
