"""Robinhood's MCP tools as the `brokerdeck mcp` command sees them: listed, and called when read-only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from brokers.core.tools import ToolInfo
from brokers.oauth2.session import OAuthSession
from brokers.robinhood.connection import McpConnection


class McpTools:
    """A `ToolSession` over one MCP connection."""

    def __init__(self, connection: McpConnection) -> None:
        self._connection = connection

    @classmethod
    @asynccontextmanager
    async def open(cls, url: str, tokens: OAuthSession) -> AsyncIterator[McpTools]:
        async with McpConnection(url, tokens) as connection:
            yield cls(connection)

    @property
    def tool_list(self) -> tuple[ToolInfo, ...]:
        return tuple(
            ToolInfo(t.name, self._connection.read_only(t.name), (t.description or "").strip())
            for t in self._connection.tools
        )

    async def read(self, tool: str, arguments: dict[str, Any] | None = None) -> Any:
        return await self._connection.read(tool, arguments)
