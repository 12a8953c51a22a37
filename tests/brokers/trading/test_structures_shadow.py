"""Structures through the desk in SHADOW, against the real simulator and a book that moves: a bracket's exits
wait for the entry and cancel each other, an OCO leg's fill cancels the rest, an OTO's child works only after
its trigger filled; the cap and the ledger count net exposure; a retried structure is placed once."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from brokers.core.orders import Mode, OrderRequest, OrderStatus, OrderType, Side
from brokers.core.structures import LegRole, StructureKind, StructureRequest
from brokers.trading.audit import AuditLog
from brokers.trading.desk import TradingDesk
from brokers.trading.gate import ModeGate
from brokers.trading.ledger import NotionalLedger
from brokers.trading.mode_state import ModeStore
from brokers.trading.simulator import ShadowSimulator
from brokers.trading.structures import buy_exposure, net_exposure, structure_state
from tests.brokers.trading.book_state import BookState
from tests.brokers.trading.facts import NOW, ready
from tests.brokers.trading.peers import ScriptedRoute
from tests.conftest import run_async

CONID = 265598
QUIET = BookState(bids=[(99.99, 500)], asks=[(100.01, 500)], last=100.0)


class ShadowRig:
    """A SHADOW desk over the real simulator; `market()` moves the book and lets resting orders react."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.book = QUIET
        self.clock = NOW
        self.route = ScriptedRoute()
        gate = ModeGate(ModeStore(data_dir), AuditLog(data_dir), "test", now=lambda: self.clock, code=lambda: "K7QX")
        self.desk = TradingDesk(
            data_dir,
            "test",
            gate,
            route_for=lambda _profile: self.route,
            readiness_for=lambda _request: ready(),
            quotes_for=lambda _request: self.book,
            simulator=ShadowSimulator(),
            now=lambda: self.clock,
        )
        self.desk.limits.set("paper", "50000", "200000")

    def place(self, structure: StructureRequest):
        return run_async(lambda: self.desk.place_structure(structure))

    def market(self, book: BookState) -> None:
        self.clock += 1
        self.book = replace(book, trades=[(self.clock - 0.5, price, size) for _at, price, size in book.trades])
        self.desk.on_market(CONID, self.book)

    def statuses(self, structure: str) -> list[OrderStatus]:
        return [leg.status for leg in self.desk.records() if leg.structure == structure]

    def legs(self, structure: str):
        return [leg for leg in self.desk.records() if leg.structure == structure]


def leg(side: Side, kind: OrderType, quantity: str = "10", *, limit: str | None = None, stop: str | None = None):
    return OrderRequest(
        profile="paper",
        symbol="AAPL",
        conid=CONID,
        side=side,
        quantity=Decimal(quantity),
        order_type=kind,
        limit_price=Decimal(limit) if limit else None,
        stop_price=Decimal(stop) if stop else None,
    )


def bracket(entry_limit: str = "99.50", stop: str = "98", target: str = "102", decision: str = "b-1"):
    return StructureRequest(
        StructureKind.BRACKET,
        (
            leg(Side.BUY, OrderType.LIMIT, limit=entry_limit),
            leg(Side.SELL, OrderType.STOP, stop=stop),
            leg(Side.SELL, OrderType.LIMIT, limit=target),
        ),
        decision,
    )


@pytest.fixture
def rig(tmp_path: Path) -> ShadowRig:
    return ShadowRig(tmp_path)


def test_a_bracket_holds_its_exits_until_the_entry_fills_then_the_target_cancels_the_stop(rig: ShadowRig) -> None:
    result = rig.place(bracket())
    assert result.ok, result.refused
    key = result.legs[0].structure
    assert [leg.role for leg in result.legs] == [LegRole.ENTRY, LegRole.STOP_LOSS, LegRole.TAKE_PROFIT]
    assert rig.statuses(key) == [OrderStatus.WORKING, OrderStatus.HELD, OrderStatus.HELD]
    assert structure_state(rig.legs(key)) == "entry working"

    rig.market(BookState(bids=[(99.40, 500)], asks=[(99.45, 500)], last=99.45))  # the entry's limit is reached
    assert rig.statuses(key) == [OrderStatus.FILLED, OrderStatus.WORKING, OrderStatus.WORKING]

    rig.market(BookState(bids=[(101.0, 500)], asks=[(101.05, 500)], last=101.0))  # between stop and target
    assert rig.statuses(key) == [OrderStatus.FILLED, OrderStatus.WORKING, OrderStatus.WORKING]

    rig.market(BookState(bids=[(102.10, 500)], asks=[(102.15, 500)], last=102.1))  # through the target
    assert rig.statuses(key) == [OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.FILLED]
    stop = rig.legs(key)[1]
    assert stop.filled == 0
    assert "one-cancels-other: the take-profit filled" in stop.message
    assert structure_state(rig.legs(key)) == "done: entry, take-profit filled"


def test_a_bracket_stop_triggers_on_a_fall_and_cancels_the_target(rig: ShadowRig) -> None:
    key = rig.place(bracket(entry_limit="100.05")).legs[0].structure  # marketable: fills on entry
    assert rig.statuses(key) == [OrderStatus.FILLED, OrderStatus.WORKING, OrderStatus.WORKING]
    rig.market(BookState(bids=[(97.90, 500)], asks=[(97.95, 500)], last=97.9))
    assert rig.statuses(key) == [OrderStatus.FILLED, OrderStatus.FILLED, OrderStatus.CANCELLED]


def test_cancelling_a_brackets_entry_takes_its_held_exits_with_it(rig: ShadowRig) -> None:
    legs = rig.place(bracket()).legs
    result = run_async(lambda: rig.desk.cancel(legs[0].key))
    assert result.ok
    assert rig.statuses(legs[0].structure) == [OrderStatus.CANCELLED] * 3
    assert "ended unfilled" in rig.legs(legs[0].structure)[1].message


def test_an_oco_legs_partial_fill_cancels_the_others(rig: ShadowRig) -> None:
    oco = StructureRequest(
        StructureKind.OCO,
        (leg(Side.BUY, OrderType.LIMIT, "300", limit="99.00"), leg(Side.SELL, OrderType.LIMIT, "300", limit="101.00")),
        "o-1",
    )
    key = rig.place(oco).legs[0].structure
    assert rig.statuses(key) == [OrderStatus.WORKING, OrderStatus.WORKING]
    rig.market(BookState(bids=[(98.90, 500)], asks=[(98.95, 100)], last=98.95))  # 100 of the 300 fill
    legs = rig.legs(key)
    assert [leg.status for leg in legs] == [OrderStatus.PARTIALLY_FILLED, OrderStatus.CANCELLED]
    assert legs[0].filled == Decimal(100)


def test_an_oco_leg_marketable_at_once_cancels_the_rest_on_entry(rig: ShadowRig) -> None:
    oco = StructureRequest(
        StructureKind.OCO,
        (
            leg(Side.BUY, OrderType.LIMIT, limit="99.00"),
            leg(Side.BUY, OrderType.LIMIT, limit="100.05"),
            leg(Side.SELL, OrderType.LIMIT, limit="103"),
        ),
        "o-2",
    )
    key = rig.place(oco).legs[0].structure
    assert rig.statuses(key) == [OrderStatus.CANCELLED, OrderStatus.FILLED, OrderStatus.CANCELLED]


def test_an_otos_child_is_held_until_the_trigger_fills(rig: ShadowRig) -> None:
    oto = StructureRequest(
        StructureKind.OTO,
        (leg(Side.BUY, OrderType.LIMIT, limit="99.50"), leg(Side.SELL, OrderType.LIMIT, limit="100.50")),
        "t-1",
    )
    key = rig.place(oto).legs[0].structure
    assert rig.statuses(key) == [OrderStatus.WORKING, OrderStatus.HELD]
    rig.market(BookState(bids=[(100.60, 500)], asks=[(100.65, 500)], last=100.6))  # the child's price, not yet
    assert rig.statuses(key) == [OrderStatus.WORKING, OrderStatus.HELD]
    rig.market(BookState(bids=[(99.40, 500)], asks=[(99.45, 500)], last=99.45))
    assert rig.statuses(key) == [OrderStatus.FILLED, OrderStatus.WORKING]
    rig.market(BookState(bids=[(100.60, 500)], asks=[(100.65, 500)], last=100.6))
    assert rig.statuses(key) == [OrderStatus.FILLED, OrderStatus.FILLED]


def test_a_retried_bracket_is_placed_once(rig: ShadowRig) -> None:
    first = rig.place(bracket())
    again = rig.place(bracket())
    assert [leg.key for leg in again.legs] == [leg.key for leg in first.legs]
    assert len(rig.desk.records()) == 3
    assert [r.event for r in AuditLog(rig.data_dir).records()].count("structure.retried") == 1


def test_the_cap_counts_a_brackets_entry_and_an_ocos_largest_leg_not_the_sum(rig: ShadowRig) -> None:
    rig.desk.limits.set("paper", "1100", "200000")
    assert rig.place(bracket()).ok  # 10 x 99.50 = 995 entry; the exits (980, 1020) add nothing
    oco = StructureRequest(
        StructureKind.OCO,
        (leg(Side.BUY, OrderType.LIMIT, limit="99"), leg(Side.BUY, OrderType.LIMIT, limit="105")),
        "o-cap",
    )
    assert rig.place(oco).ok  # max(990, 1050), though the legs sum to 2040
    big = replace(oco, legs=(*oco.legs[:1], leg(Side.BUY, OrderType.LIMIT, limit="111")), decision_id="o-big")
    refused = rig.place(big)
    assert not refused.ok
    assert "exposes 1,110.00 at most, over the per-order cap of 1,100" in (refused.refused or "")
    assert not [r for r in rig.desk.records() if r.request.decision_id == "o-big"]


def test_the_ledger_counts_the_net_buy_exposure_once_under_the_structure(rig: ShadowRig) -> None:
    result = rig.place(bracket())
    ledger = NotionalLedger(rig.data_dir)
    from brokers.trading.exchange_clock import trading_day

    assert ledger.used("paper", Mode.SHADOW, trading_day(NOW)) == Decimal("995.00")
    run_async(lambda: rig.desk.cancel_structure(result.legs[0].structure))
    assert rig.statuses(result.legs[0].structure) == [OrderStatus.CANCELLED] * 3
    assert ledger.used("paper", Mode.SHADOW, trading_day(NOW)) == Decimal(0)


@pytest.mark.parametrize(
    ("structure", "problem"),
    [
        (bracket(stop="103"), "The stop-loss goes below the take-profit"),
        (bracket(entry_limit="97"), "The entry's price lies between the stop-loss and the take-profit"),
        (
            replace(
                bracket(),
                legs=(bracket().legs[0], bracket().legs[1], leg(Side.SELL, OrderType.LIMIT, "5", limit="102")),
            ),
            "exits close the whole entry",
        ),
        (replace(bracket(), legs=bracket().legs[:2]), "A bracket has 3 legs, not 2."),
        (StructureRequest(StructureKind.OCO, (leg(Side.BUY, OrderType.LIMIT, limit="99"),)), "2 to 8 legs"),
        (
            StructureRequest(StructureKind.OTO, (leg(Side.BUY, OrderType.LIMIT), leg(Side.SELL, OrderType.MARKET))),
            "The trigger: A limit order needs a limit price.",
        ),
    ],
)
def test_an_invalid_structure_is_refused_with_what_to_change_and_nothing_is_recorded(
    rig: ShadowRig, structure: StructureRequest, problem: str
) -> None:
    result = rig.place(structure)
    assert not result.ok
    assert problem in (result.refused or "")
    assert rig.desk.records() == ()


def test_net_exposure_rules() -> None:
    buy, sell = Side.BUY, Side.SELL
    assert net_exposure(StructureKind.OTO, [(buy, Decimal(5)), (buy, Decimal(7))]) == 12
    assert net_exposure(StructureKind.OTO, [(buy, Decimal(5)), (sell, Decimal(7))]) == 7
    assert buy_exposure(StructureKind.OTO, [(sell, Decimal(5)), (sell, Decimal(7))]) == 0
    assert buy_exposure(StructureKind.BRACKET, [(sell, Decimal(5)), (buy, Decimal(4)), (buy, Decimal(6))]) == 0
    assert buy_exposure(StructureKind.OCO, [(sell, Decimal(9)), (buy, Decimal(4))]) == 4


def test_a_shadow_structure_never_reaches_the_route(rig: ShadowRig) -> None:
    rig.place(bracket())
    assert rig.route.placed == []
    assert rig.desk.records()[0].mode is Mode.SHADOW
