"""One conversation with Robinhood's MCP server: the SDK's Streamable HTTP transport and `ClientSession`, on our
own `httpx.AsyncClient` whose `BearerAuth` carries the engine's tokens.

"Granted" means an authenticated `initialize` and `tools/list` both succeeded: that is what `open` proves. A
404 (the server forgot the session: a restart, an idle expiry) rebuilds transport and session and sends a
read again; a write (`call_write`) is never sent again. A server that gives no session id (stateless) or
answers GET with 405 (no server stream) works the same. Every failure comes out as a `brokers.robinhood.errors` type.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from email.utils import parsedate_to_datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import McpError as SdkMcpError
from mcp.types import CallToolResult, TextContent, Tool

from brokers.core.errors import BrokerError
from brokers.oauth2.session import OAuthSession
from brokers.oauth2.transport import where
from brokers.robinhood.bearer import BearerAuth
from brokers.robinhood.errors import McpUnavailable, ToolFailed, WriteRefused

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 30.0
READ_TIMEOUT_S = 300.0  # a tool call or an SSE response may take long; the SDK's own default
WRITE_TIMEOUT_S = 60.0  # a write whose answer never comes (a stream cut after its headers) ends here
DEFAULT_TIMEZONE = "America/New_York"  # what Robinhood assumes when no x-timezone-id comes
_SENT_AT = "brokerdeck_sent_at"  # the request extension our send time rides in


def local_timezone() -> str:
    """The IANA name of the local time zone, for Robinhood's `x-timezone-id` (times in disclosures)."""
    named = os.environ.get("TZ", "").lstrip(":")
    if "/" in named and not named.startswith("/"):
        return named
    with contextlib.suppress(OSError):
        target = str(Path("/etc/localtime").resolve())
        if "zoneinfo/" in target:
            return target.split("zoneinfo/", 1)[1]
    return DEFAULT_TIMEZONE


class McpConnection:
    """`async with McpConnection(url, tokens) as mcp:` is granted access; then `call` tools.

    Use it from one task: the SDK's transport lives in a task group entered by the task that opened it."""

    def __init__(self, url: str, tokens: OAuthSession, *, timezone: str | None = None) -> None:
        self.url = url
        self.tools: tuple[Tool, ...] = ()
        self.protocol_version = ""
        self.rebuilds = 0  # sessions opened again after the server forgot one
        self._read_only: frozenset[str] = frozenset()
        self.auth = BearerAuth(tokens, self._may_repeat)
        self._http = httpx.AsyncClient(
            auth=self.auth,
            timeout=httpx.Timeout(CONNECT_TIMEOUT_S, read=READ_TIMEOUT_S),
            headers={"x-timezone-id": timezone or local_timezone(), "User-Agent": "Brokerdeck"},
            follow_redirects=False,
            event_hooks={"request": [_stamp_sent], "response": [self._note_date]},
        )
        self.server_clock: tuple[float, float, float] | None = None  # the last answer's Date, our send and receipt
        self._stack: contextlib.AsyncExitStack | None = None
        self._session: ClientSession | None = None
        self._session_id: Callable[[], str | None] = lambda: None

    async def __aenter__(self) -> McpConnection:
        try:
            await self._open()
        except BaseException:
            await self._http.aclose()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            await self._close()
        finally:
            await self._http.aclose()

    @property
    def session_id(self) -> str | None:
        """The server's session id; None for a stateless server."""
        return self._session_id()

    def read_only(self, tool: str) -> bool:
        """Whether the server marks `tool` read-only (`readOnlyHint`); unknown tools are not."""
        return tool in self._read_only

    def tool(self, name: str) -> Tool | None:
        return next((t for t in self.tools if t.name == name), None)

    async def read(self, tool: str, arguments: dict[str, Any] | None = None) -> Any:
        """Call a read-only tool and return its result (`structuredContent`, else the JSON of its text)."""
        if not self.read_only(tool):
            raise WriteRefused(
                f"{tool} is not a read-only tool of this server; orders go through Brokerdeck's trading mode, "
                "never through this path"
            )
        rebuilt = False
        while True:
            session = await self._ready()
            try:
                result = await self._guarded(partial(session.call_tool, tool, arguments or {}))
            except SdkMcpError as exc:
                if rebuilt or not _session_gone(exc):
                    raise McpUnavailable(f"Robinhood's MCP server refused {tool}: {exc.error.message}") from exc
                log.info("Robinhood MCP: the server forgot the session; opening a new one")
                await self._close()
                self.rebuilds += 1
                rebuilt = True
                continue
            return tool_result(tool, result)

    async def call_write(self, tool: str, arguments: dict[str, Any]) -> Any:
        """Call `tool` once and return its result; never sent again here, whatever happens.

        A 429 raises `RateLimited` (with the server's Retry-After), a forgotten session, an HTTP error, a
        lost connection or no answer in time raise `McpUnavailable`: the call may or may not have reached
        the tool. The caller decides whether to send it again (an order only with the same ref_id)."""
        session = await self._ready()
        call = partial(session.call_tool, tool, arguments, read_timeout_seconds=timedelta(seconds=WRITE_TIMEOUT_S))
        try:
            result = await self._guarded(call)
        except SdkMcpError as exc:
            if _session_gone(exc):
                await self._close()
            raise McpUnavailable(f"Robinhood's MCP server did not answer {tool}: {exc.error.message}") from exc
        return tool_result(tool, result)

    # -- internals -----------------------------------------------------------------------------

    async def _ready(self) -> ClientSession:
        if self._session is None:
            await self._open()
        if self._session is None:
            raise McpUnavailable("the MCP session could not be opened")
        return self._session

    async def _open(self) -> None:
        stack = contextlib.AsyncExitStack()
        self._stack = stack
        try:
            await self._start(stack)
        except BaseException:
            if self._stack is stack:
                await self._close()
            raise

    async def _start(self, stack: contextlib.AsyncExitStack) -> None:
        read, write, session_id = await stack.enter_async_context(
            streamable_http_client(self.url, http_client=self._http)
        )
        self._session_id = session_id
        session = await stack.enter_async_context(ClientSession(read, write))
        initialized = await self._guarded(session.initialize)
        listed = await self._guarded(session.list_tools)
        self._session = session
        self.tools = tuple(listed.tools)
        self._read_only = frozenset(t.name for t in listed.tools if t.annotations and t.annotations.readOnlyHint)
        version = str(initialized.protocolVersion)
        if version != self.protocol_version:
            self.protocol_version = version
            log.info(
                "Robinhood MCP at %s: protocol %s, %s session, %d tools",
                where(self.url),
                version,
                "stateful" if session_id() else "stateless",
                len(listed.tools),
            )

    async def _close(self) -> None:
        stack, self._stack, self._session = self._stack, None, None
        if stack is not None:
            await stack.aclose()

    async def _guarded[T](self, step: Callable[[], Awaitable[T]]) -> T:
        """Run `step`; when the transport dies under it (the SDK cancels the caller), say why instead."""
        try:
            return await step()
        except asyncio.CancelledError as cancelled:
            stack, self._stack, self._session = self._stack, None, None
            if stack is None:
                raise
            try:
                await stack.__aexit__(type(cancelled), cancelled, cancelled.__traceback__)
            except BaseException as failure:
                raise _explained(failure, self.url) from failure
            raise

    async def _note_date(self, response: httpx.Response) -> None:
        """Keep the server's clock from an answer's `Date` (whole seconds) with when we sent and received it."""
        sent = response.request.extensions.get(_SENT_AT)
        try:
            second = parsedate_to_datetime(response.headers.get("date", "")).timestamp()
        except (TypeError, ValueError):
            return
        if isinstance(sent, float):
            self.server_clock = (second, sent, time.time())

    def _may_repeat(self, request: httpx.Request) -> bool:
        """A 429 may be retried for everything but a call of a tool that is not read-only."""
        try:
            message = json.loads(request.content) if request.content else {}
        except ValueError:
            return False
        if not isinstance(message, dict) or message.get("method") != "tools/call":
            return True
        params = message.get("params")
        return isinstance(params, dict) and self.read_only(str(params.get("name")))


async def _stamp_sent(request: httpx.Request) -> None:
    request.extensions[_SENT_AT] = time.time()


def tool_result(tool: str, result: CallToolResult) -> Any:
    """The result's JSON: `structuredContent` when the tool declares one, else its text parsed."""
    text = "\n".join(c.text for c in result.content if isinstance(c, TextContent))
    if result.isError:
        raise ToolFailed(f"Robinhood refused {tool}: {text.strip() or 'no reason given'}")
    if result.structuredContent is not None:
        return result.structuredContent
    try:
        return json.loads(text)
    except ValueError:
        raise McpUnavailable(f"{tool} answered something that is not JSON; the server may have changed") from None


def _session_gone(error: SdkMcpError) -> bool:
    return "session terminated" in error.error.message.lower() or "session not found" in error.error.message.lower()


def _explained(failure: BaseException, url: str) -> BaseException:
    """The error to show for a transport that died: ours from the auth flow first, then HTTP, then network."""
    leaves = list(_leaves(failure))
    for leaf in leaves:
        if isinstance(leaf, BrokerError):
            return leaf
    for leaf in leaves:
        if isinstance(leaf, httpx.HTTPStatusError):
            return McpUnavailable(f"{where(url)} answered HTTP {leaf.response.status_code}; try again later")
        if isinstance(leaf, httpx.TimeoutException):
            return McpUnavailable(f"{where(url)} did not answer in time; check the connection and try again")
        if isinstance(leaf, httpx.TransportError):
            return McpUnavailable(f"cannot reach {where(url)} ({type(leaf).__name__}); check the connection")
    return failure


def _leaves(error: BaseException) -> list[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in _leaves(inner)]
    return [error]
