"""Robinhood orders through the one order path: the trading desk in LIVE over the Robinhood route, against the
sandbox on a real sign-in. A decision retried is placed once, also when the place met a 429 burst or a lost
connection; an account setup without exactly one agentic account is refused before any review or write; an
OCO group goes through the advanced tools and its first fill cancels the other leg."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from brokers.core.orders import Mode, OrderRequest, OrderStatus, OrderType, Side
from brokers.core.structures import StructureKind, StructureRequest
from brokers.robinhood.order_tickets import ref_id_for
from brokers.robinhood.orders import RobinhoodOrderRoute
from brokers.trading.audit import AuditLog
from brokers.trading.desk import TradingDesk
from brokers.trading.gate import ModeGate
from brokers.trading.mode_state import ModeStore
from brokers.trading.simulator import ShadowSimulator
from tests.brokers.robinhood.orders_setup import request, tools_called
from tests.brokers.trading.facts import ready

pytestmark = pytest.mark.secretservice

PROFILE = "sandbox-robinhood"


@pytest.fixture
def desk_run(route_run, tmp_path: Path):
    """Run `scenario(desk, route)` on a LIVE desk whose route is the agentic account's."""

    def run(scenario: Callable[[TradingDesk, RobinhoodOrderRoute], Awaitable[Any]]) -> Any:
        gate = ModeGate(ModeStore(tmp_path), AuditLog(tmp_path), "test")
        arming = gate.begin_arming(PROFILE, ready(), "5QR81234")
        gate.confirm(PROFILE, arming.phrase, ready())

        async def scenario_on(route: RobinhoodOrderRoute) -> Any:
            desk = TradingDesk(
                tmp_path,
                "test",
                gate,
                route_for=lambda profile: route if profile == PROFILE else None,
                readiness_for=lambda _request: ready(),
                quotes_for=lambda _request: None,
                simulator=ShadowSimulator(),
            )
            desk.limits.set(PROFILE, "50000", "200000")
            return await scenario(desk, route)

        return route_run(scenario_on)

    return run


def decided(decision: str, **terms: Any) -> OrderRequest:
    return replace(request(**terms), decision_id=decision)


@pytest.mark.parametrize(
    "trouble",
    [{}, {"throttle_calls": 2, "throttle_tool": "place_equity_order", "retry_after": 0}, {"lose_after_place": True}],
    ids=["plain", "429-burst", "lost-connection"],
)
def test_a_retried_decision_is_placed_once_whatever_the_transport_did(rh, desk_run, trouble) -> None:
    if trouble:
        rh.settings(**trouble)

    async def scenario(desk: TradingDesk, _route: RobinhoodOrderRoute) -> tuple[Any, Any]:
        return await desk.place(decided("rh-decision-1")), await desk.place(decided("rh-decision-1"))

    first, again = desk_run(scenario)
    assert first.ok, first.refused
    assert first.record.mode is Mode.LIVE
    assert first.record.broker_order_id
    assert again.record.key == first.record.key
    assert again.record.broker_order_id == first.record.broker_order_id
    assert len(rh.orders()) == 1
    assert {c["ref_id"] for c in rh.calls("place_equity_order")} == {ref_id_for(first.record.key)}


@pytest.mark.parametrize("agentic", [0, 2])
def test_an_order_without_exactly_one_agentic_account_is_refused_before_any_review_or_write(
    rh, desk_run, agentic
) -> None:
    rh.settings(agentic=agentic)
    result = desk_run(lambda desk, _route: desk.place(decided("rh-no-account")))
    assert not result.ok
    assert result.record.status is OrderStatus.REJECTED
    assert "agentic" in (result.refused or "").lower()
    assert set(tools_called(rh)) == {"get_accounts"}
    assert rh.orders() == []


def test_an_oco_group_goes_through_the_advanced_tools_and_its_first_fill_cancels_the_other(rh, desk_run) -> None:
    oco = StructureRequest(
        StructureKind.OCO,
        (
            request(side=Side.SELL, order_type=OrderType.LIMIT, limit_price=Decimal(13)),
            request(side=Side.SELL, order_type=OrderType.STOP, limit_price=None, stop_price=Decimal(11)),
        ),
        "rh-oco-1",
    )

    async def scenario(desk: TradingDesk, _route: RobinhoodOrderRoute) -> tuple[Any, Any]:
        placed = await desk.place_structure(oco)
        rh.advance(steps=3)
        await desk.poll()
        return placed, [leg.status for leg in desk.records() if leg.structure == placed.legs[0].structure]

    placed, statuses = desk_run(scenario)
    assert placed.ok, placed.refused
    assert [leg.mode for leg in placed.legs] == [Mode.LIVE, Mode.LIVE]
    assert "place_advanced_order" in tools_called(rh)
    assert statuses == [OrderStatus.FILLED, OrderStatus.CANCELLED]  # the first open leg fills (sandbox rule)
