"""What can go wrong talking to Robinhood's MCP server, each a sentence for the trader plus its fix."""

from __future__ import annotations

from brokers.core.actions import NextAction
from brokers.core.errors import BrokerError


class McpError(BrokerError):
    """Base class: the MCP server could not be used for the reason the message gives."""

    action = NextAction.RETRY


class SignInRevoked(McpError):
    """Robinhood refuses even a freshly renewed token: the trader revoked the agent (or the grant ended)."""

    action = NextAction.RECONNECT


class Waitlisted(McpError):
    """The token is good but Robinhood has not opened agentic trading for this user (HTTP 403)."""

    action = NextAction.NONE


class RateLimited(McpError):
    """Robinhood answered 429 and the call is not one that may be sent again blindly (or kept failing);
    `retry_after_s` is how long the server asked to wait."""

    def __init__(self, message: str, retry_after_s: float = 0.0) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class McpUnavailable(McpError):
    """The server did not answer usably (network, 5xx, a broken stream)."""


class ToolFailed(McpError):
    """The tool ran and refused (`isError`); the message is Robinhood's own text, which ends with the fix."""

    action = NextAction.NONE


class WriteRefused(McpError):
    """A write tool (an order) asked of a read-only path; orders go through the trading mode only."""

    action = NextAction.NONE
