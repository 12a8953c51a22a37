"""Reading Robinhood's tool results: `structuredContent` when the server sends it, the text's JSON otherwise."""

from __future__ import annotations

import json

import pytest
from mcp.types import CallToolResult, TextContent

from brokers.robinhood.access import envelope
from brokers.robinhood.connection import tool_result
from brokers.robinhood.errors import McpUnavailable, ToolFailed

BODY = {"data": {"cash": "300.00"}, "guide": "Quote buying_power."}


def text(value: str, *, error: bool = False) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=value)], isError=error)


def test_structured_content_is_preferred_and_text_is_the_fallback():
    structured = CallToolResult(content=[TextContent(type="text", text="{}")], structuredContent=BODY)
    assert tool_result("get_portfolio", structured) == BODY
    assert tool_result("get_portfolio", text(json.dumps(BODY))) == BODY
    assert envelope(tool_result("get_portfolio", text(json.dumps(BODY)))) == {"cash": "300.00"}


def test_a_tool_error_carries_robinhoods_words():
    with pytest.raises(ToolFailed, match="use an account_number from it"):
        tool_result(
            "get_portfolio",
            text("Account X not found. Call get_accounts and use an account_number from it.", error=True),
        )


def test_a_result_that_is_not_the_envelope_is_said_to_be_unexpected():
    with pytest.raises(McpUnavailable, match="not JSON"):
        tool_result("get_portfolio", text("portfolio: fine"))
    with pytest.raises(McpUnavailable, match="envelope"):
        envelope({"cash": "300.00"})
