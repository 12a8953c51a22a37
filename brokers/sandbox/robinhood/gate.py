"""The guard in front of the MCP endpoint: what Robinhood answers before a request reaches an MCP session.

A GET is 405 (no standalone SSE stream); a request without a live token for this resource is 401 naming the
protected-resource metadata; a granted token of a trader still on the waitlist is 403; a burst the test
arms is 429 with Retry-After. Every request is journalled as non-secret facts (which headers came, never a
token), so tests can check what the client sent.
"""

from __future__ import annotations

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
            "rpc": _rpc_method(body),
            "status": None,
        }
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

        refusal = self._refusal(request)
        if refusal is not None:
            await refusal(scope, replay, noting)
            return
        await self.host.handle(scope, replay, noting)

    def _refusal(self, request: Request) -> Response | None:
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
        if self.settings.throttle > 0:
            self.settings.throttle -= 1
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

    def update(self, body: Any) -> None:
        """Apply a subset of the settings, all or nothing; ValueError says which value is wrong."""
        names = {"waitlisted", "refuse_tokens", "throttle", "retry_after"}
        if not isinstance(body, dict) or set(body) - names:
            raise ValueError(f"the body must be a JSON object of {', '.join(sorted(names))} (and agentic)")
        waitlisted = body.get("waitlisted", self.settings.waitlisted)
        refuse = body.get("refuse_tokens", self.settings.refuse_tokens)
        throttle = body.get("throttle", self.settings.throttle)
        retry_after = body.get("retry_after", self.settings.retry_after)
        if not isinstance(waitlisted, bool) or not isinstance(refuse, bool):
            raise ValueError("'waitlisted' and 'refuse_tokens' must be true or false")
        for name, value in (("throttle", throttle), ("retry_after", retry_after)):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
                raise ValueError(f"'{name}' must be a whole number from 0 to 100")
        self.settings = GateSettings(waitlisted, refuse, throttle, retry_after)

    def describe(self) -> dict[str, Any]:
        return {
            "waitlisted": self.settings.waitlisted,
            "refuse_tokens": self.settings.refuse_tokens,
            "throttle": self.settings.throttle,
            "retry_after": self.settings.retry_after,
            "stateless": self.host.stateless,
            "restarts": self.host.restarts,
            "requests": list(self.journal),
        }


def _rpc_method(body: bytes) -> str | None:
    """The JSON-RPC method of a request body (what the journal shows of it)."""
    try:
        message = json.loads(body) if body else None
    except ValueError:
        return None
    method = message.get("method") if isinstance(message, dict) else None
    return method if isinstance(method, str) else None


def json_body(raw: bytes) -> Any:
    """A control request's JSON body; an empty body is an empty object."""
    return json.loads(raw) if raw.strip() else {}
