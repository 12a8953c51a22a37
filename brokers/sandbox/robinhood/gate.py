"""The guard in front of the MCP endpoint: what Robinhood answers before a request reaches an MCP session.

A GET is 405 (no standalone SSE stream); a request without a live token for this resource is 401 naming the
protected-resource metadata; a granted token of a trader still on the waitlist is 403; a burst the test
arms is 429 with Retry-After (`throttle`: any request; `throttle_calls`: tool calls, of `throttle_tool` when
named). `lose_after_place` lets the next place tool call run (the order is made) and then drops the TCP
connection without an answer, as a network failure at the worst moment would. Every request is journalled
as non-secret facts (which headers came, which tool with which ref_id, never a token), so tests can check
what the client sent.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send

from brokers.sandbox.oauth2.authority import Authority
from brokers.sandbox.robinhood.host import SessionHost

SCOPE = "internal"
JOURNAL_LENGTH = 200
WAITLIST_MESSAGE = (
    "Agentic trading is not enabled for this Robinhood account yet: the account is on the waitlist. "
    "Robinhood emails you when access opens."
)


@dataclass
class GateSettings:
    """What a test may change about the endpoint (`POST /sandbox/robinhood/settings`)."""

    waitlisted: bool = False
    refuse_tokens: bool = False  # 401 for every token: access withdrawn at the MCP server, the grant still renews
    throttle: int = 0  # answer this many next requests with 429
    retry_after: int = 0  # the Retry-After of those answers, in seconds
    throttle_calls: int = 0  # answer this many next tool calls with 429
    throttle_tool: str = ""  # only calls of this tool count for throttle_calls ("" = any tool)
    lose_after_place: bool = False  # run the next place_* call, then drop the connection unanswered


_FLAGS = ("waitlisted", "refuse_tokens", "lose_after_place")
_COUNTS = ("throttle", "retry_after", "throttle_calls")


class McpGate:
    """The ASGI app at the MCP URL."""

    def __init__(self, authority: Authority, host: SessionHost, metadata_url: str) -> None:
        self.authority = authority
        self.host = host
        self.metadata_url = metadata_url
        self.settings = GateSettings()
        self.journal: deque[dict[str, Any]] = deque(maxlen=JOURNAL_LENGTH)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        body = await request.body()
        headers = request.headers
        record: dict[str, Any] = {
            "method": request.method,
            "session_id": headers.get("mcp-session-id"),
            "protocol_version": headers.get("mcp-protocol-version"),
            "timezone": headers.get("x-timezone-id"),
            "accept": headers.get("accept"),
            "bearer": headers.get("authorization", "").lower().startswith("bearer "),
            "token_in_url": "access_token" in request.query_params or "token" in request.query_params,
            "status": None,
        } | _rpc_facts(body)
        self.journal.append(record)

        async def noting(message: Message) -> None:
            if message["type"] == "http.response.start":
                record["status"] = message["status"]
            await send(message)

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        refusal = self._refusal(request, record)
        if refusal is not None:
            await refusal(scope, replay, noting)
            return
        if self.settings.lose_after_place and str(record["tool"]).startswith("place_"):
            self.settings.lose_after_place = False
            await self.host.handle(scope, replay, _unanswered)
            record["status"] = "lost"
            await _drop_connection(receive)
            return
        await self.host.handle(scope, replay, noting)

    def _refusal(self, request: Request, record: dict[str, Any]) -> Response | None:
        if request.method == "GET":
            return Response(status_code=405, headers={"Allow": "POST, DELETE"})
        header = request.headers.get("authorization", "")
        scheme, _, token = header.strip().partition(" ")
        info = None
        if scheme.lower() == "bearer" and not self.settings.refuse_tokens:
            info = self.authority.check_access_token(token.strip(), self.authority.resource, time.time())
        if info is None:
            description = "authentication required" if not header else "JWT verification failed"
            return JSONResponse(
                {"error": "invalid_token", "error_description": description},
                status_code=401,
                headers={"WWW-Authenticate": f'Bearer resource_metadata="{self.metadata_url}"'},
            )
        if SCOPE not in info.scope:
            return JSONResponse({"error": "insufficient_scope"}, status_code=403)
        if self.settings.waitlisted:
            return JSONResponse({"error": "access_denied", "error_description": WAITLIST_MESSAGE}, status_code=403)
        if self.settings.throttle > 0 or self._throttles_call(record):
            if self.settings.throttle > 0:
                self.settings.throttle -= 1
            else:
                self.settings.throttle_calls -= 1
            body = {"error": "RATE_LIMITED", "message": "Too many requests. Retry after a pause."}
            return JSONResponse(body, status_code=429, headers={"Retry-After": str(self.settings.retry_after)})
        user = AccessToken(
            token=token.strip(),
            client_id=info.client_id,
            scopes=list(info.scope),
            expires_at=int(info.expires_at),
            resource=info.resource,
        )
        request.scope["user"] = AuthenticatedUser(user)
        return None

    def _throttles_call(self, record: dict[str, Any]) -> bool:
        wanted = self.settings.throttle_tool
        return self.settings.throttle_calls > 0 and record["tool"] is not None and wanted in ("", record["tool"])

    def update(self, body: Any) -> None:
        """Apply a subset of the settings, all or nothing; ValueError says which value is wrong."""
        names = {*_FLAGS, *_COUNTS, "throttle_tool"}
        if not isinstance(body, dict) or set(body) - names:
            raise ValueError(f"the body must be a JSON object of {', '.join(sorted(names))} (and the desk's)")
        values = dataclasses.asdict(self.settings) | body
        for name in _FLAGS:
            if not isinstance(values[name], bool):
                raise ValueError(f"'{name}' must be true or false")
        for name in _COUNTS:
            value = values[name]
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
                raise ValueError(f"'{name}' must be a whole number from 0 to 100")
        if not isinstance(values["throttle_tool"], str):
            raise ValueError("'throttle_tool' must be a tool name, or empty for any tool")
        self.settings = GateSettings(**values)

    def reset(self) -> None:
        self.settings = GateSettings()
        self.journal.clear()

    def describe(self) -> dict[str, Any]:
        return dataclasses.asdict(self.settings) | {
            "stateless": self.host.stateless,
            "restarts": self.host.restarts,
            "requests": list(self.journal),
            "calls": [
                {"tool": r["tool"], "ref_id": r["ref_id"], "status": r["status"]} for r in self.journal if r["tool"]
            ],
        }


def _rpc_facts(body: bytes) -> dict[str, Any]:
    """What the journal shows of a request body: its JSON-RPC method and, for a tool call, the tool and ref_id."""
    try:
        message = json.loads(body) if body else None
    except ValueError:
        message = None
    method = message.get("method") if isinstance(message, dict) else None
    params = message.get("params") if isinstance(message, dict) else None
    tool = params.get("name") if method == "tools/call" and isinstance(params, dict) else None
    arguments = params.get("arguments") if isinstance(params, dict) else None
    ref_id = arguments.get("ref_id") if isinstance(arguments, dict) else None
    return {
        "rpc": method if isinstance(method, str) else None,
        "tool": tool if isinstance(tool, str) else None,
        "ref_id": ref_id if isinstance(ref_id, str) else None,
    }


async def _unanswered(message: Message) -> None:
    """Where the answer to a call whose connection is lost goes: nowhere."""


async def _drop_connection(receive: Receive) -> None:
    """Close the client's TCP connection with no answer at all, and wait until the server has noticed.

    ASGI has no message for this; uvicorn's `receive` is a method of its request cycle, which holds the
    connection's transport, and the sandbox always runs on uvicorn."""
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if not isinstance(transport, asyncio.Transport):
        raise RuntimeError("the sandbox cannot reach the connection to drop it (it expects to run on uvicorn)")
    transport.abort()
    while (await receive())["type"] != "http.disconnect":
        continue


def json_body(raw: bytes) -> Any:
    """A control request's JSON body; an empty body is an empty object."""
    return json.loads(raw) if raw.strip() else {}
