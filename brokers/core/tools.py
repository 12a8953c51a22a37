"""A connector capability: a server whose tools can be listed and whose read-only tools can be called.

`brokerdeck mcp` works with any connector that has it (Robinhood's MCP server today) and never asks which
broker a profile is. Writes are not part of it: orders go through the trading core only.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from brokers.core.profiles import Profile
    from brokers.core.secrets import SecretStore


@dataclass(frozen=True)
class ToolInfo:
    name: str
    read_only: bool  # the server marks it read-only; every other tool may change something (an order)
    description: str = ""


class ToolSession(Protocol):
    """An open, authenticated connection to the tool server."""

    @property
    def tool_list(self) -> tuple[ToolInfo, ...]: ...

    async def read(self, tool: str, arguments: dict[str, Any] | None = None) -> Any:
        """Call a read-only tool and return its JSON result; a BrokerError when it cannot (a write tool, a
        refusal, the sign-in)."""
        ...


@runtime_checkable
class ToolProvider(Protocol):
    def open_tools(self, profile: Profile, vault: SecretStore) -> AbstractAsyncContextManager[ToolSession]:
        """A connection using the stored sign-in (renewed silently, never a browser)."""
        ...
