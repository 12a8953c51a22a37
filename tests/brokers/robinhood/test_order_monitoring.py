"""Robinhood orders after placing, through the route the trading core uses against the sandbox Robinhood:
cancel, orders and their fills, OCO groups through the advanced tools, and the connected session's route."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from brokers.core.connector import SessionEnv
from brokers.core.orders import (
    Accepted,
    OrderStatus,
    OrderType,
    Refused,
    Side,
)
from brokers.core.structures import LegsAccepted, StructureKind, StructureRequest
from brokers.registry import REGISTRY
from brokers.robinhood.order_tickets import ref_id_for, status_of
from brokers.robinhood.orders import RobinhoodOrderRoute
from tests.brokers.robinhood.orders_setup import ACCOUNT, request, tools_called
from tests.conftest import run_async
from tests.waiting import until_async

pytestmark = pytest.mark.secretservice


def test_a_cancel_is_accepted_then_pending_then_cancelled(rh, route_run):
    async def scenario(route: RobinhoodOrderRoute) -> tuple[Any, ...]:
        placed = await route.place(request(), "k-cancel")
        assert isinstance(placed, Accepted)
        said = await route.cancel(placed.broker_order_id)
        pending = await route.find("k-cancel")
        await asyncio.to_thread(rh.advance)
        done = await route.find("k-cancel")
        late = await route.cancel(placed.broker_order_id)
        return said, pending, done, late

    said, pending, done, late = route_run(scenario)
    assert "accepted the cancel" in said
    assert pending.status is OrderStatus.PENDING_CANCEL
    assert done.status is OrderStatus.CANCELLED
    assert "did not accept" in late


def test_orders_and_executions_follow_partial_and_full_fills(rh, route_run):
    async def scenario(route: RobinhoodOrderRoute) -> list[tuple[tuple[Any, ...], tuple[Any, ...]]]:
        placed = await route.place(request(), "k-fills")
        assert isinstance(placed, Accepted)
        seen = []
        for _ in range(3):
            await asyncio.to_thread(rh.advance)
            seen.append((await route.orders(), await route.executions()))
        return seen

    (confirmed, _), (partial, partial_fills), (filled, fills) = route_run(scenario)
    assert [o.status for o in confirmed] == [OrderStatus.WORKING]
    (order,) = partial
    assert (order.status, order.filled, order.quantity, order.key) == (
        OrderStatus.PARTIALLY_FILLED,
        Decimal(5),
        Decimal(10),
        "k-fills",
    )
    assert (order.average_price, order.limit_price, order.order_type, order.side) == (
        Decimal("11.95"),
        Decimal("11.95"),
        "limit",
        Side.BUY,
    )
    (fill,) = partial_fills
    assert (fill.quantity, fill.price, fill.key, fill.broker_order_id) == (
        Decimal(5),
        Decimal("11.95"),
        "k-fills",
        order.broker_order_id,
    )
    assert [(o.status, o.filled) for o in filled] == [(OrderStatus.FILLED, Decimal(10))]
    assert len({f.execution_id for f in fills}) == 2
    assert sum(f.quantity for f in fills) == Decimal(10)


def test_robinhood_states_map_to_ours_and_an_unknown_one_is_unknown():
    assert status_of("queued") is OrderStatus.WORKING
    assert status_of("pending_cancelled") is OrderStatus.PENDING_CANCEL
    assert status_of("partially_filled_rest_cancelled") is OrderStatus.CANCELLED
    assert status_of("voided") is OrderStatus.REJECTED
    assert status_of("held_for_review") is OrderStatus.UNKNOWN


def test_an_oco_group_goes_through_the_advanced_tools_and_one_fill_cancels_the_other(rh, route_run):
    take_profit = request(symbol="AAPL", side=Side.SELL, quantity=Decimal(4), limit_price=Decimal(200))
    stop_loss = request(
        symbol="AAPL",
        side=Side.SELL,
        quantity=Decimal(4),
        order_type=OrderType.STOP,
        limit_price=None,
        stop_price=Decimal(180),
    )
    oco = StructureRequest(StructureKind.OCO, (take_profit, stop_loss))

    async def scenario(route: RobinhoodOrderRoute) -> tuple[Any, tuple[Any, ...]]:
        placed = await route.place_structure(oco, ("k-tp", "k-sl"))
        await asyncio.to_thread(rh.advance, 2)
        return placed, await route.orders()

    placed, orders = route_run(scenario)
    assert isinstance(placed, LegsAccepted)
    assert placed.statuses == (OrderStatus.WORKING, OrderStatus.WORKING)
    (group,) = rh.advanced_orders()
    assert [o["id"] for o in group["orders"]] == list(placed.broker_order_ids)
    assert tools_called(rh)[:3] == ["get_accounts", "review_advanced_order", "place_advanced_order"]
    assert rh.calls("place_advanced_order")[0]["ref_id"] == ref_id_for("oco", "k-tp", "k-sl")
    by_key = {o.key: o for o in orders}
    assert (by_key["k-tp"].status, by_key["k-tp"].filled) == (OrderStatus.PARTIALLY_FILLED, Decimal(2))
    assert by_key["k-sl"].status is OrderStatus.CANCELLED
    assert by_key["k-sl"].order_type == "stop_market"


def test_an_account_without_advanced_orders_refuses_the_oco_group_and_places_nothing(rh, route_run):
    rh.settings(advanced_allowed=False)
    legs = (request(side=Side.SELL), request(side=Side.SELL, limit_price=Decimal(13)))
    outcome = route_run(lambda route: route.place_structure(StructureRequest(StructureKind.OCO, legs), ("k-a", "k-b")))
    assert isinstance(outcome, Refused)
    assert "Advanced orders (OCO) are not enabled for this account" in outcome.reason
    assert "NOT placed" in outcome.reason
    assert "place_advanced_order" not in tools_called(rh)
    assert rh.advanced_orders() == []


@pytest.mark.parametrize("kind", [StructureKind.BRACKET, StructureKind.OTO])
def test_brackets_and_otos_are_refused_without_a_call(rh, route_run, kind):
    legs = (request(), request(side=Side.SELL), request(side=Side.SELL))[: 3 if kind is StructureKind.BRACKET else 2]
    outcome = route_run(
        lambda route: route.place_structure(StructureRequest(kind, legs), ("k1", "k2", "k3")[: len(legs)])
    )
    assert isinstance(outcome, Refused)
    assert "OCO groups only" in outcome.reason
    assert tools_called(rh) == []


def test_the_connected_session_offers_the_route_of_its_agentic_account_only(rh_profile, vault, rh):
    assert REGISTRY.of(rh_profile).trades

    async def scenario() -> tuple[Any, ...]:
        env = SessionEnv(
            vault=vault, sandbox=None, on_change=lambda: None, on_vault_change=lambda: None, restart=lambda: None
        )
        session = REGISTRY.of(rh_profile).open_session(rh_profile, env)
        before = session.order_route()
        task = asyncio.create_task(session.run())
        try:
            route = await until_async(session.order_route, 30, message="the route after the first check")
            outcome = await route.place(request(), "k-session")
            same = route is session.order_route()
            await asyncio.to_thread(rh.settings, agentic=2)
            assert session.probe()
            await until_async(lambda: session.settled and session.order_route() is None, 30, message="no route")
            return before, route.account, same, outcome
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await session.close()

    before, account, same, outcome = run_async(scenario)
    assert before is None
    assert account == ACCOUNT
    assert same
    assert isinstance(outcome, Accepted)
