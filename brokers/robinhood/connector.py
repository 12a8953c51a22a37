"""The `robinhood-mcp` connector: profiles load and show plainly that connecting is not available yet."""

from __future__ import annotations

from brokers.core.connector import UnavailableConnector
from brokers.robinhood.profile import RobinhoodProfile


class RobinhoodConnector(UnavailableConnector):
    profile_class = RobinhoodProfile
    title = "Robinhood agentic trading (MCP server, OAuth 2.1)"
