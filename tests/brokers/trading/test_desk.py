"""The one order entry point: every rule in its order, SHADOW never reaching a route, LIVE placed once."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

from brokers.core.orders import (
    Accepted,
    Ambiguous,
    Asked,
    BrokerExecution,
    BrokerOrder,
    BrokerQuestion,
    Mode,
    OrderRequest,
    OrderStatus,
    OrderType,
    Refused,
    Side,
    TimeInForce,
)
from brokers.trading.audit import AuditLog
from brokers.trading.desk import TradingDesk
from brokers.trading.gate import ModeGate
from brokers.trading.idempotency import order_key
from brokers.trading.mode_state import ModeStore
from brokers.trading.order_book import OrderBook, OrderRecord
from tests.brokers.trading.facts import ACCOUNT, NOW, ready
from tests.brokers.trading.peers import FixedPriceSimulator, ScriptedRoute
from tests.conftest import run_async

QUOTES = SimpleNamespace(conid=265598, bid=99.5, ask=100.0)


class Rig:
    """A desk on `data_dir` with a scripted route, a fixed-price simulator and switchable readiness."""

    def __init__(self, data_dir: Path, route: ScriptedRoute | None = None, who: str = "window") -> None:
        self.data_dir = data_dir
        self.route = route if route is not None else ScriptedRoute()
        self.simulator = FixedPriceSimulator()
        self.checklist = ready()
        self.quotes: SimpleNamespace | None = QUOTES
        self.connected = True
        self.gate = ModeGate(ModeStore(data_dir), AuditLog(data_dir), who, now=lambda: NOW, code=lambda: "K7QX")
        self.desk = TradingDesk(
            data_dir,
            who,
            self.gate,
            route_for=lambda _profile: self.route if self.connected else None,
            readiness_for=lambda _request: self.checklist,
            quotes_for=lambda _request: self.quotes,
            simulator=self.simulator,
            now=lambda: NOW,
        )
        self.desk.limits.set("paper", "50000", "200000")

    def arm(self) -> None:
        arming = self.gate.begin_arming("paper", ready(), ACCOUNT)
        self.gate.confirm("paper", arming.phrase, ready())

    def place(self, request: OrderRequest):
        return run_async(lambda: self.desk.place(request))

    def events(self) -> list[str]:
        return [r.event for r in AuditLog(self.data_dir).records()]


def order(**changes: object) -> OrderRequest:
    base = OrderRequest(
        profile="paper",
        symbol="AAPL",
        conid=265598,
        side=Side.BUY,
        quantity=Decimal("10"),
        order_type=OrderType.LIMIT,
        limit_price=Decimal("185"),
        decision_id="signal-1",
    )
    return replace(base, **changes)


@pytest.fixture
def rig(tmp_path):
    return Rig(tmp_path)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"symbol": " "}, "symbol"),
        ({"symbol": "AA PL"}, "symbol"),
        ({"side": "BUY"}, "BUY or SELL"),
        ({"order_type": "LMT"}, "order type"),
        ({"tif": "DAY"}, "how long"),
        ({"quantity": Decimal("0")}, "at least 1"),
        ({"quantity": Decimal("-3")}, "at least 1"),
        ({"quantity": Decimal("1.5")}, "whole number"),
        ({"quantity": Decimal("NaN")}, "at least 1"),
        ({"limit_price": None}, "needs a limit price"),
        ({"limit_price": Decimal("0")}, "limit price above 0"),
        ({"stop_price": Decimal("180")}, "takes no stop price"),
        ({"order_type": OrderType.STOP, "limit_price": None}, "needs a stop price"),
        ({"order_type": OrderType.STOP_LIMIT}, "needs a stop price"),
        ({"order_type": OrderType.MARKET}, "takes no limit price"),
    ],
)
def test_an_invalid_ticket_is_refused_before_anything_else(rig, changes, words):
    rig.arm()
    result = rig.place(order(**changes))
    assert not result.ok
    assert words in result.refused
    assert result.record is None
    assert rig.desk.records() == ()
    assert rig.route.placed == []
    assert rig.simulator.entries == []
    assert rig.events()[-1] == "order.refused"


def test_a_shadow_market_order_fills_in_the_simulator_and_never_reaches_the_route(rig):
    result = rig.place(order(order_type=OrderType.MARKET, limit_price=None))
    assert result.ok
    record = result.record
    assert (record.mode, record.status, record.filled, record.average_price) == (
        Mode.SHADOW,
        OrderStatus.FILLED,
        Decimal("10"),
        Decimal("100"),
    )
    assert record.notional == Decimal("1000.0")  # 10 at the ask
    assert rig.route.placed == []
    assert rig.events()[-2:] == ["order.placed", "order.filled"]


def test_a_resting_shadow_order_fills_when_the_market_moves(rig):
    record = rig.place(order()).record
    assert record.status is OrderStatus.WORKING
    assert rig.desk.on_market(999, QUOTES) == ()
    (filled,) = rig.desk.on_market(265598, QUOTES)
    assert (filled.status, filled.filled, filled.average_price) == (OrderStatus.FILLED, Decimal(10), Decimal(185))
    assert rig.desk.on_market(265598, QUOTES) == ()
    assert rig.events()[-1] == "order.filled"


def test_a_shadow_ioc_order_cancels_what_it_cannot_fill_at_once(rig):
    record = rig.place(order(tif=TimeInForce.IOC)).record
    assert record.status is OrderStatus.CANCELLED
    assert rig.desk.headroom("paper", Mode.SHADOW)[1] == Decimal("200000")


def test_the_per_order_cap_refuses_an_order_worth_more(rig):
    result = rig.place(order(quantity=Decimal("300")))  # 55,500
    assert "over the per-order cap of 50,000" in result.refused
    assert rig.desk.records() == ()


def test_a_market_order_without_a_price_to_value_it_is_refused(rig):
    rig.quotes = None
    result = rig.place(order(order_type=OrderType.MARKET, limit_price=None))
    assert "No bid or ask" in result.refused


def test_the_daily_ledger_counts_buys_refuses_past_the_limit_and_never_blocks_sells(rig):
    for n in range(4):  # 4 x 46,250 = 185,000
        assert rig.place(order(quantity=Decimal(250), decision_id=f"d{n}")).ok
    refused = rig.place(order(quantity=Decimal(250), decision_id="d5"))
    assert "only 15,000.00 of today's SHADOW buy limit" in refused.refused
    assert rig.place(order(quantity=Decimal(250), side=Side.SELL, decision_id="s1")).ok
    assert rig.desk.headroom("paper", Mode.SHADOW) == (Decimal("50000"), Decimal("15000"))
    assert rig.desk.headroom("paper", Mode.LIVE) == (Decimal("50000"), Decimal("200000"))


def test_limits_ledger_and_keys_hold_across_a_restart(tmp_path):
    first = Rig(tmp_path)
    for n in range(4):
        first.place(order(quantity=Decimal(250), decision_id=f"d{n}"))
    again = Rig(tmp_path, who="cli")
    assert again.desk.limits.get("paper").per_order == Decimal("50000")
    assert not again.place(order(quantity=Decimal(250), decision_id="d9")).ok
    retried = again.place(order(quantity=Decimal(250), decision_id="d0"))
    assert retried.ok
    assert retried.record.created_at == NOW
    assert again.simulator.entries == []  # placed once, by the first desk
    assert len(again.desk.records()) == 4


def test_a_retried_decision_is_placed_once(rig):
    first = rig.place(order())
    second = rig.place(order(limit_price=Decimal("185.00"), quantity=Decimal("10.0")))
    assert second.record.key == first.record.key
    assert len(rig.simulator.entries) == 1
    assert "order.retried" in rig.events()


def test_an_order_without_a_decision_id_is_a_new_order_every_time(rig):
    rig.place(order(decision_id=""))
    rig.place(order(decision_id=""))
    assert len(rig.desk.records()) == 2


def test_a_live_order_goes_to_the_route_with_its_key(rig):
    rig.arm()
    result = rig.place(order())
    assert result.ok
    assert (result.record.mode, result.record.status, result.record.broker_order_id) == (
        Mode.LIVE,
        OrderStatus.WORKING,
        "B1",
    )
    assert rig.route.placed == [(order(), order_key(order()))]
    assert rig.simulator.entries == []
    again = rig.place(order())  # the scripted route fails the test if the key is sent twice
    assert again.record.key == result.record.key
    assert len(rig.route.placed) == 1


def test_a_live_order_whose_checklist_fails_is_not_sent_and_the_profile_falls_back(rig):
    rig.arm()
    rig.checklist = ready(market="stale")
    result = rig.place(order())
    assert "Market data live" in result.refused
    assert result.record.status is OrderStatus.REJECTED
    assert rig.route.placed == []
    assert rig.gate.mode("paper") is Mode.SHADOW
    assert "mode.fallback" in rig.events()
    assert rig.desk.headroom("paper", Mode.LIVE)[1] == Decimal("200000")  # the ledger gave it back


def test_a_live_order_without_a_route_falls_back(rig):
    rig.arm()
    rig.connected = False
    assert "no connection" in rig.place(order()).refused
    assert rig.gate.mode("paper") is Mode.SHADOW


def test_a_refusal_by_the_broker_is_recorded_and_frees_the_ledger(tmp_path):
    rig = Rig(tmp_path, ScriptedRoute(Refused("price too far from the market")))
    rig.arm()
    result = rig.place(order())
    assert "price too far" in result.refused
    assert result.record.status is OrderStatus.REJECTED
    assert rig.gate.mode("paper") is Mode.LIVE
    assert rig.desk.headroom("paper", Mode.LIVE)[1] == Decimal("200000")


QUESTION = BrokerQuestion("r-1", ("o354",), ("You are submitting an order without market data.",))


def test_a_question_waits_for_the_trader_who_may_confirm(tmp_path):
    rig = Rig(tmp_path, ScriptedRoute(Asked(QUESTION), Accepted("B7")))
    rig.arm()
    asked = rig.place(order())
    assert asked.record.status is OrderStatus.QUESTION
    assert asked.record.question == QUESTION
    answered = run_async(lambda: rig.desk.answer(asked.record.key, True))
    assert (answered.record.status, answered.record.broker_order_id) == (OrderStatus.WORKING, "B7")
    assert rig.route.answers == [("r-1", True)]
    assert {"order.question", "order.answered"} <= set(rig.events())


def test_a_declined_question_cancels_the_order(tmp_path):
    rig = Rig(tmp_path, ScriptedRoute(Asked(QUESTION), Refused("Order not confirmed")))
    rig.arm()
    key = rig.place(order()).record.key
    declined = run_async(lambda: rig.desk.answer(key, False))
    assert declined.record.status is OrderStatus.CANCELLED


def test_a_question_is_not_confirmed_once_the_profile_is_back_in_shadow(tmp_path):
    rig = Rig(tmp_path, ScriptedRoute(Asked(QUESTION)))
    rig.arm()
    key = rig.place(order()).record.key
    rig.gate.to_shadow("paper", "clicked")
    assert "SHADOW" in run_async(lambda: rig.desk.answer(key, True)).refused
    assert rig.route.answers == []


def test_an_ambiguous_answer_is_reconciled_and_found(tmp_path):
    route = ScriptedRoute(Ambiguous("503 on the reply"))
    rig = Rig(tmp_path, route)
    rig.arm()
    original = route.place

    async def place_and_go_live(request, key):
        outcome = await original(request, key)
        route.hold(request, key, "B9")
        return outcome

    route.place = place_and_go_live
    result = rig.place(order())
    assert (result.record.status, result.record.broker_order_id) == (OrderStatus.WORKING, "B9")
    assert rig.events()[-3:] == ["order.ambiguous", "order.reconciled", "orders.reconciled"]


def test_an_ambiguous_answer_not_found_stays_unknown_and_is_never_resent(tmp_path):
    rig = Rig(tmp_path, ScriptedRoute(Ambiguous("503 on the reply")))
    rig.arm()
    result = rig.place(order())
    assert result.record.status is OrderStatus.UNKNOWN
    assert "not sent again" in result.record.message
    again = rig.place(order())
    assert again.record.status is OrderStatus.UNKNOWN
    assert len(rig.route.placed) == 1


def test_an_unexpected_error_from_the_route_falls_back_and_says_what_happened(tmp_path):
    rig = Rig(tmp_path, ScriptedRoute(RuntimeError("socket closed")))
    rig.arm()
    result = rig.place(order())
    assert result.record.status is OrderStatus.UNKNOWN
    assert "socket closed" in result.record.message
    assert rig.gate.mode("paper") is Mode.SHADOW
    assert {"mode.fallback", "order.error"} <= set(rig.events())


def test_a_record_left_pending_by_a_crash_is_reconciled_before_anything_is_sent(tmp_path):
    rig = Rig(tmp_path)
    rig.arm()
    key = order_key(order())
    stuck = OrderRecord(key, Mode.LIVE, order(), OrderStatus.PENDING, Decimal(0), None, (), "", NOW, NOW)
    OrderBook(tmp_path).insert(stuck, today=date(2025, 6, 15))
    rig.route.hold(order(), key, "B3")  # it did reach the broker before the crash
    result = rig.place(order())
    assert (result.record.status, result.record.broker_order_id) == (OrderStatus.WORKING, "B3")
    assert rig.route.placed == []


def test_cancel_in_shadow_is_immediate_and_in_live_waits_for_the_broker(tmp_path):
    rig = Rig(tmp_path)
    shadow = rig.place(order(decision_id="s")).record
    assert run_async(lambda: rig.desk.cancel(shadow.key)).record.status is OrderStatus.CANCELLED
    assert "already cancelled" in run_async(lambda: rig.desk.cancel(shadow.key)).refused
    rig.arm()
    live = rig.place(order(decision_id="l")).record
    pending = run_async(lambda: rig.desk.cancel(live.key)).record
    assert pending.status is OrderStatus.PENDING_CANCEL
    assert rig.route.cancels == ["B1"]
    report = BrokerOrder("B1", live.key, "AAPL", Side.BUY, OrderStatus.CANCELLED, Decimal(10), Decimal(0), None)
    (done,) = rig.desk.apply_broker_updates((report,), ())
    assert done.status is OrderStatus.CANCELLED
    assert rig.desk.headroom("paper", Mode.LIVE)[1] == Decimal("200000")


def test_broker_fills_are_counted_once_however_often_they_are_reported(tmp_path):
    rig = Rig(tmp_path)
    rig.arm()
    key = rig.place(order()).record.key
    execution = BrokerExecution("E1", "B1", "", "AAPL", Side.BUY, Decimal(4), Decimal("184.9"), NOW)
    report = BrokerOrder("B1", key, "AAPL", Side.BUY, OrderStatus.PARTIALLY_FILLED, Decimal(10), Decimal(4), None)
    for _ in range(3):
        rig.desk.apply_broker_updates((report,), (execution,))
    (record,) = rig.desk.records()
    assert (record.filled, record.status, len(record.fills)) == (Decimal(4), OrderStatus.PARTIALLY_FILLED, 1)
    rig.route.executions_out = [execution, replace(execution, execution_id="E2", quantity=Decimal(6))]
    run_async(rig.desk.poll)
    (record,) = rig.desk.records()
    assert (record.filled, record.status) == (Decimal(10), OrderStatus.FILLED)
    assert rig.events().count("order.filled") == 2


def test_a_failing_poll_while_live_falls_back(tmp_path):
    rig = Rig(tmp_path)
    rig.arm()
    rig.place(order())
    rig.route.fail_reads = RuntimeError("connection reset")
    run_async(rig.desk.poll)
    assert rig.gate.mode("paper") is Mode.SHADOW


def test_modify_runs_the_same_checks_and_sends_the_complete_ticket(tmp_path):
    rig = Rig(tmp_path)
    rig.arm()
    key = rig.place(order()).record.key
    too_big = run_async(lambda: rig.desk.modify(key, order(quantity=Decimal(1000))))
    assert "per-order cap" in too_big.refused
    modified = run_async(lambda: rig.desk.modify(key, order(limit_price=Decimal("186"))))
    assert modified.ok
    assert modified.record.request.limit_price == Decimal("186")
    assert rig.route.modifies == [("B1", order(limit_price=Decimal("186")), key)]
    assert rig.desk.headroom("paper", Mode.LIVE)[1] == Decimal("200000") - Decimal("1860")


def test_a_shadow_modify_can_make_an_order_fill(rig):
    key = rig.place(order()).record.key
    market = order(order_type=OrderType.MARKET, limit_price=None)
    assert run_async(lambda: rig.desk.modify(key, market)).record.status is OrderStatus.FILLED


def test_the_audit_log_stays_intact_through_a_busy_day(tmp_path):
    rig = Rig(tmp_path, ScriptedRoute(Asked(QUESTION), Refused("no")))
    rig.place(order(decision_id="a"))
    rig.arm()
    rig.place(order(decision_id="b"))
    rig.place(order(decision_id="c"))
    rig.gate.reset_all("the window started")
    assert AuditLog(tmp_path).verify().ok
