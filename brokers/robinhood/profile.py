"""The `robinhood-mcp` profile: Robinhood's agentic-trading MCP server."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from brokers.core.profiles import Profile, declared, parse_url


@dataclass(frozen=True, kw_only=True)
class RobinhoodProfile(Profile):
    kind: ClassVar[str] = "robinhood-mcp"
    url: str = declared(parse_url)
