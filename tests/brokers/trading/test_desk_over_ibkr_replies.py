"""After a LIVE order is sent, against the sandbox's IBKR over real HTTP: the reply loop by message id, a 503 on a
reply reconciled with the broker's orders, every failure back to SHADOW in the audit log, cancel and poll."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from brokers.core.orders import Mode, OrderStatus, OrderType
from brokers.trading.audit import AuditLog
from brokers.trading.desk import TradingDesk
from tests.brokers.trading.ibkr_desk import PROFILE, WAIT_S, DeskRig, desk_over_sandbox, order
from tests.conftest import run_async
from tests.waiting import until_async


def _run(tmp_path: Path, scenario) -> None:
    async def main() -> None:
        async with desk_over_sandbox(tmp_path, "50000", "200000") as rig:
            await scenario(rig)
            assert AuditLog(rig.data_dir).verify().ok

    run_async(main)


async def _live(rig: DeskRig) -> TradingDesk:
    gate = rig.gate()
    rig.arm(gate)
    return rig.desk(gate)


async def _replies(rig: DeskRig) -> list[bool]:
    return [entry["body"]["confirmed"] for entry in await rig.received("reply")]


def test_a_whitelisted_question_is_confirmed_without_the_trader(tmp_path: Path) -> None:
    async def scenario(rig: DeskRig) -> None:
        desk = await _live(rig)
        await rig.peer.control("questions", message_ids=["o10151"])
        result = await desk.place(order(OrderType.MARKET, 1, "market-1"))
        assert result.ok, result.refused
        assert result.record.status in (OrderStatus.WORKING, OrderStatus.FILLED)
        assert result.record.broker_order_id
        assert result.record.question is None
        assert await _replies(rig) == [True]
        assert len(await rig.broker_orders(result.record.key)) == 1
        question = next(r for r in AuditLog(rig.data_dir).records() if r.event == "order.placed")
        assert question.what["status"] == result.record.status.value

    _run(tmp_path, scenario)


@pytest.mark.parametrize("dangerous", ["o354", "o403", "o163"])
def test_a_dangerous_question_stops_the_order_until_the_trader_answers(tmp_path: Path, dangerous: str) -> None:
    async def scenario(rig: DeskRig) -> None:
        desk = await _live(rig)
        await rig.peer.control("questions", message_ids=[dangerous])
        asked = await desk.place(order(OrderType.LIMIT, 10, "asked-yes", limit_price=rig.resting_buy()))
        key = asked.record.key
        assert asked.record.status is OrderStatus.QUESTION
        assert asked.record.question.message_ids == (dangerous,)
        assert await _replies(rig) == []  # nothing confirmed on the trader's behalf
        assert await rig.broker_orders(key) == []  # and nothing live at the broker
        assert "order.question" in [r.event for r in AuditLog(rig.data_dir).records()]

        confirmed = await desk.answer(key, True)
        assert confirmed.ok, confirmed.refused
        assert confirmed.record.status is OrderStatus.WORKING
        assert confirmed.record.broker_order_id
        assert await _replies(rig) == [True]
        assert len(await rig.broker_orders(key)) == 1

        await rig.peer.control("questions", message_ids=[dangerous])
        declined = await desk.place(order(OrderType.LIMIT, 10, "asked-no", limit_price=rig.resting_buy()))
        assert declined.record.status is OrderStatus.QUESTION
        answered = await desk.answer(declined.record.key, False)
        assert answered.record.status is OrderStatus.CANCELLED
        assert await _replies(rig) == [True, False]
        assert await rig.broker_orders(declined.record.key) == []
        assert len(await rig.received("place")) == 2  # each order went out once; no answer sent it again

    _run(tmp_path, scenario)


def test_chained_questions_stop_at_the_dangerous_one_wherever_it_is(tmp_path: Path) -> None:
    async def scenario(rig: DeskRig) -> None:
        desk = await _live(rig)
        await rig.peer.control("questions", message_ids=["o163", "o10151"])
        first = await desk.place(order(OrderType.LIMIT, 10, "chain-1", limit_price=rig.resting_buy()))
        assert first.record.question.message_ids == ("o163",)
        assert await _replies(rig) == []
        confirmed = await desk.answer(first.record.key, True)
        assert confirmed.record.status is OrderStatus.WORKING  # o163 by the trader, then o10151 by the whitelist
        assert await _replies(rig) == [True, True]
        assert len(await rig.broker_orders(first.record.key)) == 1

        await rig.peer.control("questions", message_ids=["o10151", "o163"])
        second = await desk.place(order(OrderType.LIMIT, 10, "chain-2", limit_price=rig.resting_buy()))
        assert second.record.question.message_ids == ("o163",)  # o10151 confirmed, o163 waits for the trader
        assert await _replies(rig) == [True, True, True]
        assert (await desk.answer(second.record.key, False)).record.status is OrderStatus.CANCELLED
        assert await _replies(rig) == [True, True, True, False]
        assert await rig.broker_orders(second.record.key) == []

    _run(tmp_path, scenario)


def test_a_503_on_a_reply_that_went_live_is_reconciled_and_never_placed_twice(tmp_path: Path) -> None:
    async def scenario(rig: DeskRig) -> None:
        desk = await _live(rig)
        await rig.peer.control("questions", message_ids=["o10151"])
        await rig.peer.control("reply_unavailable", goes_live=True)
        ticket = order(OrderType.LIMIT, 10, "ambiguous-live", limit_price=rig.resting_buy())
        result = await desk.place(ticket)
        key = result.record.key
        broker = await rig.broker_orders(key)
        assert len(broker) == 1
        assert result.record.status is OrderStatus.WORKING  # the broker's word, found by the key
        assert result.record.broker_order_id == str(broker[0]["orderId"])
        events = [r.event for r in AuditLog(rig.data_dir).records()]
        assert events[-3:] == ["order.ambiguous", "order.reconciled", "orders.reconciled"]
        again = await desk.place(ticket)
        assert again.record.broker_order_id == result.record.broker_order_id
        assert len(await rig.placed(key)) == 1

    _run(tmp_path, scenario)


def test_a_503_on_a_reply_that_did_not_go_live_stays_unknown_and_is_not_resent(tmp_path: Path) -> None:
    async def scenario(rig: DeskRig) -> None:
        desk = await _live(rig)
        await rig.peer.control("questions", message_ids=["o10151"])
        await rig.peer.control("reply_unavailable", goes_live=False)
        ticket = order(OrderType.LIMIT, 10, "ambiguous-lost", limit_price=rig.resting_buy())
        result = await desk.place(ticket)
        key = result.record.key
        assert result.record.status is OrderStatus.UNKNOWN
        assert "not sent again" in result.record.message
        restarted = await rig.desk(rig.gate("cli")).place(ticket)
        assert restarted.record.status is OrderStatus.UNKNOWN
        assert len(await rig.placed(key)) == 1
        assert await rig.broker_orders(key) == []

    _run(tmp_path, scenario)


def _fell_back(rig: DeskRig, desk: TradingDesk, reason: str) -> None:
    assert rig.gate().mode(PROFILE) is Mode.SHADOW
    fallback = [r for r in AuditLog(rig.data_dir).records() if r.event == "mode.fallback"]
    assert len(fallback) == 1
    assert reason in fallback[0].why
    assert fallback[0].what["was"] == Mode.LIVE.value


@pytest.mark.parametrize(
    ("break_it", "reason"),
    [
        (lambda rig: rig.__setattr__("feed_clock_skew_s", 30.0), "Market data live"),
        (lambda rig: rig.desk().limits.set(PROFILE, None, None), "Cap and daily limit set"),
        (lambda rig: rig.connection.__setattr__("dropped", True), "no connection that can trade"),
    ],
)
def test_a_live_order_when_the_checklist_fails_is_not_sent_and_returns_to_shadow(
    tmp_path: Path, break_it, reason: str
) -> None:
    async def scenario(rig: DeskRig) -> None:
        desk = await _live(rig)
        break_it(rig)
        result = await desk.place(order(OrderType.LIMIT, 10, "late-failure", limit_price=rig.resting_buy()))
        assert not result.ok
        assert result.record.status is OrderStatus.REJECTED
        assert "back in SHADOW" in (result.refused or "")
        assert await rig.received() == []
        _fell_back(rig, desk, reason)

    _run(tmp_path, scenario)


def test_a_session_closed_under_a_live_order_returns_to_shadow(tmp_path: Path) -> None:
    async def scenario(rig: DeskRig) -> None:
        desk = await _live(rig)
        await rig.peer.session.close()  # the connection still reports itself ready: the route finds out
        result = await desk.place(order(OrderType.LIMIT, 10, "closed", limit_price=rig.resting_buy()))
        assert not result.ok
        assert result.record.status is OrderStatus.UNKNOWN  # it may or may not have left: not sent again
        assert await rig.received() == []
        _fell_back(rig, desk, "unexpected error while sending the order")
        assert "order.error" in [r.event for r in AuditLog(rig.data_dir).records()]

    _run(tmp_path, scenario)


def test_a_failing_cancel_returns_to_shadow(tmp_path: Path) -> None:
    async def scenario(rig: DeskRig) -> None:
        desk = await _live(rig)
        working = await desk.place(order(OrderType.LIMIT, 10, "to-cancel", limit_price=rig.resting_buy()))
        assert working.record.status is OrderStatus.WORKING
        await rig.peer.gw.fault(
            path=f"/v1/api/iserver/account/{rig.peer.route.account}/order/{working.record.broker_order_id}",
            times=1,
            status=500,
        )
        result = await desk.cancel(working.record.key)
        assert not result.ok
        _fell_back(rig, desk, "unexpected error while cancelling the order")

    _run(tmp_path, scenario)


def test_a_cancelled_live_order_ends_cancelled_through_poll(tmp_path: Path) -> None:
    async def scenario(rig: DeskRig) -> None:
        desk = await _live(rig)
        working = await desk.place(order(OrderType.LIMIT, 10, "rest-then-cancel", limit_price=rig.resting_buy()))
        key = working.record.key
        cancelling = await desk.cancel(key)
        assert cancelling.ok, cancelling.refused
        assert cancelling.record.status is OrderStatus.PENDING_CANCEL
        assert len(await rig.received("cancel")) == 1

        async def cancelled() -> bool:
            await desk.poll()
            return next(r for r in desk.records() if r.key == key).status is OrderStatus.CANCELLED

        await until_async(cancelled, WAIT_S)
        record = next(r for r in desk.records() if r.key == key)
        assert record.filled == 0
        assert desk.headroom(PROFILE, Mode.LIVE)[1] == Decimal(200000)  # the ledger gave the notional back

    _run(tmp_path, scenario)


def test_a_marketable_live_order_ends_filled_with_each_execution_counted_once(tmp_path: Path) -> None:
    async def scenario(rig: DeskRig) -> None:
        desk = await _live(rig)
        placed = await desk.place(order(OrderType.MARKET, 5, "take-5"))
        assert placed.ok, placed.refused
        key = placed.record.key

        def record():
            return next(r for r in desk.records() if r.key == key)

        async def filled() -> bool:
            await desk.poll()
            current = record()
            return current.status is OrderStatus.FILLED and sum(f.quantity for f in current.fills) == 5

        await until_async(filled, WAIT_S)
        for _ in range(3):
            await desk.poll()
        final = record()
        ids = [fill.execution_id for fill in final.fills]
        assert len(ids) == len(set(ids))
        assert all(ids)
        assert final.filled == 5
        assert sum(f.quantity for f in final.fills) == 5
        response = await rig.peer.gw.http.get(f"{rig.peer.gw.url}/sandbox/ibkr/orders")
        executions = [e for e in response.json()["executions"] if e["order_ref"] == key]
        assert sorted(ids) == sorted(e["execution_id"] for e in executions)
        assert final.average_price is not None

    _run(tmp_path, scenario)
