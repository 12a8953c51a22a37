"""The IBKR order route against the sandbox: cancel, modify, paced live orders, fills, session changes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from brokers.core.orders import Accepted, Asked, BrokerExecution, BrokerOrder, OrderStatus, OrderType
from brokers.core.server_clock import least_offset
from brokers.ibkr.orders import IbkrOrderRefused
from tests.brokers.ibkr.order_peer import order_desk, request
from tests.conftest import run_async

CENT = Decimal("0.01")


def test_modify_sends_the_complete_ticket_and_cancel_returns_the_acknowledgement() -> None:
    async def scenario() -> tuple[Any, dict[str, Any], str, BrokerOrder | None]:
        async with order_desk() as desk:
            bid, _ = await desk.touch()
            placed = await desk.route.place(request(OrderType.LIMIT, limit_price=bid - 5 * CENT), "k-1")
            assert isinstance(placed, Accepted)
            new = request(OrderType.LIMIT, 20, limit_price=bid - 6 * CENT)
            modified = await desk.route.modify(placed.broker_order_id, new, "k-1")
            (entry,) = await desk.received("modify")
            ack = await desk.route.cancel(placed.broker_order_id)
            with pytest.raises(IbkrOrderRefused, match="doesn't exist"):
                await desk.route.cancel("12345")
            return modified, entry, ack, await desk.route.find("k-1")

    modified, entry, ack, found = run_async(scenario)
    assert isinstance(modified, Accepted)
    assert entry["body"]["quantity"] == 20
    assert set(entry["body"]) == {
        "acctId",
        "conid",
        "orderType",
        "side",
        "tif",
        "quantity",
        "outsideRTH",
        "cOID",
        "price",
    }
    assert ack == "Request was submitted"
    assert found is not None
    assert found.status is OrderStatus.CANCELLED
    assert found.quantity == 20


def test_live_orders_are_paced_cached_and_the_empty_first_answer_is_asked_again() -> None:
    async def scenario() -> list[tuple[BrokerOrder, ...]]:
        async with order_desk(poll_interval_s=1.0) as desk:
            bid, _ = await desk.touch()
            await desk.route.place(request(OrderType.LIMIT, limit_price=bid - 5 * CENT), "k-1")
            first = await desk.route.orders()  # the session's first answer is empty: asked again after 1 s
            cached = await desk.route.orders()
            await desk.route.place(request(OrderType.LIMIT, limit_price=bid - 5 * CENT), "k-2")
            still_cached = await desk.route.orders()
            fresh = await desk.route.find("k-2")  # waits out the interval instead of earning a 429
            return [first, cached, still_cached, (fresh,) if fresh else ()]

    first, cached, still_cached, fresh = run_async(scenario)
    assert [o.key for o in first] == ["k-1"]
    assert cached == first
    assert still_cached == first
    assert [o.key for o in fresh] == ["k-2"]


def test_partial_fills_show_in_orders_and_executions() -> None:
    async def scenario() -> tuple[BrokerOrder | None, tuple[BrokerExecution, ...]]:
        async with order_desk() as desk:
            _, ask = await desk.touch()
            await desk.session.request("POST", "/iserver/questions/suppress", json={"messageIds": ["o383"]})
            placed = await desk.route.place(request(OrderType.LIMIT, 5000, limit_price=ask), "k-big")
            assert isinstance(placed, Accepted)  # the size question (o383) is suppressed for the session
            return await desk.route.find("k-big"), await desk.route.executions()

    order, executions = run_async(scenario)
    assert order is not None
    assert order.status is OrderStatus.PARTIALLY_FILLED
    assert 0 < order.filled < 5000
    mine = [e for e in executions if e.key == "k-big"]
    assert sum(e.quantity for e in mine) == order.filled
    assert order.average_price == mine[0].price


def test_a_new_brokerage_session_reads_the_accounts_again_before_ordering() -> None:
    async def scenario() -> tuple[Any, Any, list[dict[str, Any]]]:
        async with order_desk() as desk:
            bid, _ = await desk.touch()
            first = await desk.route.place(request(OrderType.LIMIT, limit_price=bid - 5 * CENT), "k-1")
            await desk.session.request("POST", "/logout")
            await desk.session.connect()
            second = await desk.route.place(request(OrderType.LIMIT, limit_price=bid - 5 * CENT), "k-2")
            return first, second, await desk.received("place")

    first, second, placed = run_async(scenario)
    assert isinstance(first, Accepted)
    # The new session has no market data yet, so IBKR asks o354: the order got past the accounts check.
    assert isinstance(second, Asked)
    assert second.question.message_ids == ("o354",)
    assert [e["status"] for e in placed] == [200, 200]


def test_the_clock_offset_comes_from_the_answers_date_header() -> None:
    async def scenario() -> tuple[float | None, float | None]:
        async with order_desk() as desk:
            before = desk.route.clock_offset_s()
            await desk.touch()
            return before, desk.route.clock_offset_s()

    before, after = run_async(scenario)
    assert before is not None  # connect() already had answers
    assert after is not None
    assert abs(after) < 2


@pytest.mark.parametrize(
    ("second", "sent", "received", "offset"),
    [
        (1000.0, 1000.2, 1000.4, 0.0),  # stamped within the round trip: no evidence of drift
        (1000.0, 999.0, 1002.5, 0.0),  # a slow answer (3.5 s) is not drift
        (1005.0, 1000.0, 1000.5, 4.5),  # IBKR is at least 4.5 s ahead
        (995.0, 1000.0, 1000.5, -4.0),  # IBKR is at least 4 s behind
    ],
)
def test_the_clock_offset_counts_only_what_the_round_trip_cannot_explain(
    second: float, sent: float, received: float, offset: float
) -> None:
    assert least_offset(second, sent, received) == pytest.approx(offset)
