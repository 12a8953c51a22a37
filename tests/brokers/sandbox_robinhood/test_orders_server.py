"""The sandbox Robinhood's order tools and controls, driven by the MCP SDK's own client (no Brokerdeck client
code) on a hand-written sign-in: Robinhood's shapes, its rules, ref_id dedupe, states that move on command,
OCO groups, and the faults tests arm (429 on tool calls, a connection lost after the place)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from tests.brokers.robinhood.peer import RobinhoodSandbox
from tests.brokers.sandbox_robinhood.test_robinhood_server import login, register
from tests.conftest import run_async
from tests.sandbox_runner import SandboxRunner
from tests.waiting import until

AGENTIC = "5QR81234"
OTHER = "5QR20077"
SMALL = {
    "account_number": AGENTIC,
    "symbol": "F",
    "side": "buy",
    "type": "limit",
    "quantity": "10",
    "limit_price": "11.95",
}
LEGS = [
    {"symbol": "AAPL", "side": "sell", "type": "limit", "quantity": "4", "limit_price": "200"},
    {"symbol": "AAPL", "side": "sell", "type": "stop_market", "quantity": "4", "stop_price": "180"},
]


@pytest.fixture(scope="module")
def module_server() -> Iterator[tuple[RobinhoodSandbox, str]]:
    runner = SandboxRunner()
    try:
        with httpx.Client(timeout=20, follow_redirects=False) as http:
            server = RobinhoodSandbox(http, runner.services["robinhood"])
            yield server, login(server, register(server))["access_token"]
    finally:
        runner.close()


@pytest.fixture
def server(module_server) -> RobinhoodSandbox:
    sandbox, _ = module_server
    sandbox.reset()
    sandbox.settings(auto_advance_s=0)
    return sandbox


@pytest.fixture
def call(module_server, server):
    """`call(tool, **arguments)` -> the result's structured content, or the tool error's text."""
    _, token = module_server

    def run(tool: str, **arguments: Any) -> Any:
        async def once() -> Any:
            async with session(server, token) as mcp:
                result = await mcp.call_tool(tool, arguments)
            return result.content[0].text if result.isError else result.structuredContent

        return run_async(once)

    return run


@asynccontextmanager
async def session(server: RobinhoodSandbox, token: str) -> AsyncIterator[ClientSession]:
    async with (
        httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http,
        streamable_http_client(server.url, http_client=http) as (read, write, _),
        ClientSession(read, write) as mcp,
    ):
        await mcp.initialize()
        yield mcp


def test_the_order_tools_are_listed_with_their_read_only_hints(module_server, server):
    _, token = module_server

    async def listed() -> dict[str, bool]:
        async with session(server, token) as mcp:
            tools = (await mcp.list_tools()).tools
        return {t.name: bool(t.annotations and t.annotations.readOnlyHint) for t in tools}

    hints = run_async(listed)
    for read in ("get_equity_orders", "review_equity_order", "get_advanced_orders", "review_advanced_order"):
        assert hints[read] is True
    for write in ("place_equity_order", "cancel_equity_order", "place_advanced_order", "cancel_advanced_order"):
        assert hints[write] is False


def test_a_review_echoes_the_order_with_a_quote_a_disclosure_and_its_alerts(call, server):
    calm = call("review_equity_order", **SMALL)["data"]
    assert {k: calm[k] for k in ("symbol", "side", "type", "quantity", "limit_price", "stop_price")} == {
        "symbol": "F",
        "side": "buy",
        "type": "limit",
        "quantity": "10",
        "limit_price": "11.95",
        "stop_price": None,
    }
    assert calm["order_checks"] == {}
    assert (calm["quote_data"]["bid_price"], calm["quote_data"]["ask_price"]) == ("11.90", "11.92")
    assert "verbatim" in calm["market_data_disclosure"]
    alerted = call("review_equity_order", **SMALL | {"symbol": "AAPL", "limit_price": "190"})["data"]
    assert alerted["order_checks"]["alert_type"] == "INSUFFICIENT_BUYING_POWER"
    details = alerted["order_checks"]["insufficient_buying_power_alert_details"]
    assert (details["buying_power"], details["estimated_cost"]) == ("287.50", "1900.00")
    assert server.orders() == []  # a review places nothing


def test_the_same_ref_id_answers_the_same_order_and_never_makes_a_second(call, server):
    ref_id, other_ref_id = str(uuid.uuid4()), str(uuid.uuid4())
    first = call("place_equity_order", **SMALL, ref_id=ref_id)["data"]["order"]
    again = call("place_equity_order", **SMALL, ref_id=ref_id)["data"]["order"]
    other = call("place_equity_order", **SMALL, ref_id=other_ref_id)["data"]["order"]
    assert again == first
    assert other["id"] != first["id"]
    assert (first["state"], first["placed_agent"], first["cumulative_quantity"], first["executions"]) == (
        "queued",
        "agentic",
        "0",
        [],
    )
    assert [o["id"] for o in server.orders()] == [other["id"], first["id"]]  # newest first
    assert [c["ref_id"] for c in server.calls("place_equity_order")] == [ref_id, ref_id, other_ref_id]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"limit_price": None}, "needs limit_price"),
        ({"type": "market", "limit_price": None, "market_hours": "extended_hours"}, "regular-hours only"),
        ({"quantity": "0.5"}, "Fractional shares trade only as market orders"),
        ({"quantity": None, "dollar_amount": "50"}, "dollar_amount is for market orders only"),
        ({"side": "sell", "symbol": "TSLA"}, "short selling is not allowed"),
        ({"symbol": "ZZZZ"}, "was not found"),
        ({"ref_id": "not-a-uuid"}, "ref_id must be a UUID"),
        ({"account_number": OTHER}, "not enabled for agentic trading"),
    ],
)
def test_what_robinhood_refuses_is_a_tool_error_that_says_nothing_was_placed(call, server, change, words):
    arguments = {k: v for k, v in (SMALL | change).items() if v is not None}
    refused = call("place_equity_order", **arguments)
    assert isinstance(refused, str)
    assert words in refused
    assert refused.endswith("The order was NOT placed.")
    assert server.orders() == []


def test_states_move_only_when_advanced_and_get_equity_orders_filters(call, server):
    placed = call("place_equity_order", **SMALL, ref_id=str(uuid.uuid4()))["data"]["order"]
    other = call("place_equity_order", **SMALL | {"quantity": "1"}, ref_id=str(uuid.uuid4()))["data"]["order"]
    states = []
    for _ in range(3):
        server.advance(order_id=placed["id"])
        (row,) = call("get_equity_orders", account_number=AGENTIC, order_id=placed["id"])["data"]["orders"]
        states.append((row["state"], row["cumulative_quantity"], len(row["executions"])))
    assert states == [("confirmed", "0", 0), ("partially_filled", "5", 1), ("filled", "10", 2)]
    assert row["average_price"] == "11.9500"
    assert len({e["id"] for e in row["executions"]}) == 2
    listed = call("get_equity_orders", account_number=AGENTIC)["data"]
    assert [o["id"] for o in listed["orders"]] == [other["id"], placed["id"]]
    assert listed["next"] == ""
    queued = call("get_equity_orders", account_number=AGENTIC, state="queued")["data"]["orders"]
    assert [o["id"] for o in queued] == [other["id"]]
    assert call("get_equity_orders", account_number=OTHER)["data"]["orders"] == []
    assert call("get_equity_orders", account_number=AGENTIC, created_at_gte="2999-01-01")["data"]["orders"] == []


def test_a_cancel_is_accepted_pending_then_cancelled_and_a_final_order_is_not_accepted(call, server):
    order = call("place_equity_order", **SMALL, ref_id=str(uuid.uuid4()))["data"]["order"]
    server.advance(2)  # partially filled
    assert call("cancel_equity_order", account_number=AGENTIC, order_id=order["id"])["data"] == {"accepted": True}
    assert server.orders()[0]["state"] == "pending_cancelled"
    server.advance()
    assert server.orders()[0]["state"] == "partially_filled_rest_cancelled"
    assert call("cancel_equity_order", account_number=AGENTIC, order_id=order["id"])["data"] == {"accepted": False}
    unknown = call("cancel_equity_order", account_number=AGENTIC, order_id=str(uuid.uuid4()))
    assert "was not found" in unknown


def test_an_oco_group_fills_one_leg_and_cancels_the_other(call, server):
    ref_id = str(uuid.uuid4())
    review = call("review_advanced_order", account_number=AGENTIC, type="oco", orders=LEGS)["data"]
    assert (review["type"], review["order_checks"], len(review["orders"])) == ("oco", {}, 2)
    group = call("place_advanced_order", account_number=AGENTIC, type="oco", orders=LEGS, ref_id=ref_id)["data"]
    again = call("place_advanced_order", account_number=AGENTIC, type="oco", orders=LEGS, ref_id=ref_id)["data"]
    assert again["advanced_order"]["id"] == group["advanced_order"]["id"]
    take_profit, stop_loss = (o["id"] for o in group["advanced_order"]["orders"])
    server.advance(2)
    states = {o["id"]: o["state"] for o in call("get_equity_orders", account_number=AGENTIC)["data"]["orders"]}
    assert states == {take_profit: "partially_filled", stop_loss: "cancelled"}
    (listed,) = call("get_advanced_orders", account_number=AGENTIC)["data"]["advanced_orders"]
    assert listed["state"] == "triggered"
    three = call("place_advanced_order", account_number=AGENTIC, type="oco", orders=[*LEGS, LEGS[0]])
    assert "exactly 2 legs" in three
    server.settings(advanced_allowed=False)
    refused = call("review_advanced_order", account_number=AGENTIC, type="oco", orders=LEGS)
    assert "not enabled for this account" in refused
    assert refused.endswith("The order was NOT placed.")


def test_a_throttled_tool_call_is_429_with_retry_after_and_is_journalled(module_server, server):
    _, token = module_server
    server.settings(throttle_calls=1, throttle_tool="place_equity_order", retry_after=3)
    body = {"jsonrpc": "2.0", "id": 7, "method": "tools/call"}
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream"}
    ref_id = str(uuid.uuid4())
    other = server.http.post(
        server.url, json=body | {"params": {"name": "get_accounts", "arguments": {}}}, headers=headers
    )
    limited = server.http.post(
        server.url,
        json=body | {"params": {"name": "place_equity_order", "arguments": {"ref_id": ref_id}}},
        headers=headers,
    )
    assert other.status_code != 429  # another tool is not throttled (no session: 400)
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "3"
    assert limited.json()["error"] == "RATE_LIMITED"
    assert server.calls() == [
        {"tool": "get_accounts", "ref_id": None, "status": other.status_code},
        {"tool": "place_equity_order", "ref_id": ref_id, "status": 429},
    ]
    assert server.state()["throttle_calls"] == 0


def test_a_place_whose_connection_is_lost_still_makes_the_order(module_server, server):
    _, token = module_server
    server.settings(lose_after_place=True)
    ref_id = str(uuid.uuid4())

    async def place() -> None:
        async with session(server, token) as mcp:
            await mcp.call_tool("place_equity_order", SMALL | {"ref_id": ref_id})

    with pytest.raises(BaseExceptionGroup) as failure:
        run_async(place)
    assert failure.group_contains(httpx.RemoteProtocolError)  # no answer at all: the server just hung up
    (order,) = server.orders()
    assert order["state"] == "queued"
    assert server.calls("place_equity_order") == [{"tool": "place_equity_order", "ref_id": ref_id, "status": "lost"}]
    assert server.state()["lose_after_place"] is False  # once


def test_states_also_move_with_time_when_the_sandbox_runs_for_people(call, server):
    server.settings(auto_advance_s=0.05)
    call("place_equity_order", **SMALL, ref_id=str(uuid.uuid4()))
    until(lambda: server.orders()[0]["state"] == "filled", 10, message="the order to fill by itself")


def test_reset_and_bad_order_controls(call, server):
    call("place_equity_order", **SMALL, ref_id=str(uuid.uuid4()))
    for body in ({"steps": 0}, {"steps": "1"}, {"order_id": 5}, {"order_id": "nope"}):
        assert server.http.post(f"{server.base}/sandbox/robinhood/orders/advance", json=body).status_code == 400
    for body in ({"auto_advance_s": -1}, {"advanced_allowed": "no"}, {"lose_after_place": 1}, {"throttle_tool": 3}):
        assert server.http.post(f"{server.base}/sandbox/robinhood/settings", json=body).status_code == 400
    server.settings(agentic=2, throttle_calls=4, advanced_allowed=False)
    state = server.reset()
    assert (state["agentic"], state["throttle_calls"], state["advanced_allowed"], state["calls"]) == (1, 0, True, [])
    assert server.orders() == []
