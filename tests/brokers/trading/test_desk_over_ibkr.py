"""The one order path end to end against the sandbox's IBKR over real HTTP: SHADOW never reaches the gateway
and fills against the feed's book, LIVE is armed only through a passing checklist and the exact phrase, a
retried order is placed once (also after a restart), and the cap and the daily ledger hold across a restart."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brokers.core.orders import Mode, OrderStatus, OrderType, Side
from brokers.trading.audit import AuditLog
from brokers.trading.gate import ArmingRefused, WrongPhrase
from brokers.trading.limits import LimitsStore
from tests.brokers.ibkr.order_peer import ACCOUNT
from tests.brokers.trading.ibkr_desk import PROFILE, DeskRig, desk_over_sandbox, order
from tests.conftest import run_async


def _fills(record) -> list[tuple[Decimal, Decimal]]:
    return [(fill.quantity, fill.price) for fill in record.fills]


def test_shadow_orders_never_reach_the_gateway_and_fill_against_the_feeds_book(tmp_path: Path) -> None:
    async def scenario(rig: DeskRig) -> None:
        desk = rig.desk()
        book = rig.book()
        # No await between reading the ladder and placing: the feed cannot change the book in between, and a
        # SHADOW order is simulated without waiting for anything, so this is the book the simulator sees.
        asks = [(Decimal(repr(price)), Decimal(size)) for price, size in book.asks]
        walk = await desk.place(order(OrderType.MARKET, int(asks[0][1]) + 1, "shadow-walk"))
        assert walk.ok, walk.refused
        assert walk.record.mode is Mode.SHADOW
        assert walk.record.status is OrderStatus.FILLED
        assert _fills(walk.record) == [
            (asks[0][1], asks[0][0]),
            (Decimal(1), asks[1][0]),
        ]  # the touch, then one from the next level

        asks = [(Decimal(repr(price)), Decimal(size)) for price, size in rig.book().asks]
        limited = await desk.place(
            order(OrderType.LIMIT, int(asks[0][1]) + 10, "shadow-at-touch", limit_price=asks[0][0])
        )
        assert _fills(limited.record) == [(asks[0][1], asks[0][0])]  # the limit stops the walk at its own level
        assert limited.record.status is OrderStatus.PARTIALLY_FILLED

        bid, ask = rig.touch()
        resting = await desk.place(order(OrderType.LIMIT, 10, "shadow-rest", limit_price=bid - 2))
        stop = await desk.place(order(OrderType.STOP, 10, "shadow-stop", stop_price=ask + 2))
        assert (resting.record.status, stop.record.status) == (OrderStatus.WORKING, OrderStatus.WORKING)
        assert (resting.record.fills, stop.record.fills) == ((), ())
        moved = await desk.modify(stop.record.key, order(OrderType.STOP, 12, "", stop_price=ask + 3))
        assert moved.ok, moved.refused
        assert moved.record.request.quantity == 12
        cancelled = await desk.cancel(resting.record.key)
        assert cancelled.record.status is OrderStatus.CANCELLED
        assert {r.mode for r in desk.records()} == {Mode.SHADOW}

        assert await rig.received() == []  # no place, reply, modify or cancel reached the gateway
        assert await rig.peer.received() == []
        assert AuditLog(rig.data_dir).verify().ok

    _run(tmp_path, scenario, per_order="250000", daily="1000000")  # a level holds up to 900 shares


def test_live_is_not_armed_while_the_checklist_fails(tmp_path: Path) -> None:
    async def scenario(rig: DeskRig) -> None:
        gate = rig.gate()
        with pytest.raises(ArmingRefused, match="Cap and daily limit set") as refused:
            gate.begin_arming(PROFILE, rig.checklist(), rig.peer.route.account)
        assert [item.key for item in refused.value.checklist.failures] == ["limits"]
        LimitsStore(rig.data_dir).set(PROFILE, "50000", "200000")
        arming = gate.begin_arming(PROFILE, rig.checklist(), rig.peer.route.account)
        assert arming.phrase.startswith(f"LIVE {ACCOUNT} ")
        rig.feed_clock_skew_s = 30.0  # the feed went quiet while the trader was typing
        with pytest.raises(ArmingRefused, match="Market data live"):
            gate.confirm(PROFILE, arming.phrase, rig.checklist())
        assert gate.mode(PROFILE) is Mode.SHADOW
        rig.feed_clock_skew_s = 0.0
        gate.confirm(PROFILE, gate.begin_arming(PROFILE, rig.checklist(), ACCOUNT).phrase, rig.checklist())
        assert gate.mode(PROFILE) is Mode.LIVE

    _run(tmp_path, scenario, per_order=None, daily=None)


def _near_misses(phrase: str, earlier: str) -> st.SearchStrategy[str]:
    code = phrase.rsplit(" ", 1)[1]
    return st.one_of(
        st.sampled_from(
            [
                phrase.lower(),
                phrase.title(),
                phrase.swapcase(),
                " " + phrase,
                phrase + " ",
                phrase + "\n",
                phrase.replace(" ", "  ", 1),
                phrase.replace(" ", "", 1),
                phrase.replace(" ", "\t"),
                phrase.replace(ACCOUNT, "DU7654321"),  # another account
                phrase.replace(ACCOUNT, ACCOUNT.lower()),
                earlier,  # the phrase of an earlier arming
                f"LIVE {ACCOUNT}",
                code,
            ]
        ),
        st.integers(0, len(phrase) - 1).map(lambda cut: phrase[:cut] + phrase[cut + 1 :]),
    ).filter(lambda typed: typed != phrase)


def test_a_near_miss_phrase_never_arms_live(tmp_path: Path) -> None:
    async def scenario(rig: DeskRig) -> None:
        account = rig.peer.route.account

        # The examples run while the sandbox is up: each one reads the real checklist from the session and the feed.
        @settings(max_examples=25, deadline=None, database=None)
        @given(data=st.data())
        def near_miss(data: st.DataObject) -> None:
            data_dir = Path(tempfile.mkdtemp(dir=tmp_path))
            gate = rig.gate(data_dir=data_dir)
            earlier = gate.begin_arming(PROFILE, rig.checklist(), account).phrase
            phrase = gate.begin_arming(PROFILE, rig.checklist(), account).phrase
            typed = data.draw(_near_misses(phrase, earlier), label="typed")
            with pytest.raises(WrongPhrase):
                gate.confirm(PROFILE, typed, rig.checklist())
            assert gate.mode(PROFILE) is Mode.SHADOW
            assert [r.event for r in AuditLog(data_dir).records()][-1] == "mode.confirm_refused"

        near_miss()
        gate = rig.gate()
        rig.arm(gate)  # the same checklist and the exact phrase do arm
        assert gate.mode(PROFILE) is Mode.LIVE

    _run(tmp_path, scenario)


def test_a_retried_live_order_reaches_the_gateway_once_also_after_a_restart(tmp_path: Path) -> None:
    async def scenario(rig: DeskRig) -> None:
        desk = rig.desk()
        rig.arm(rig.gate())
        ticket = order(OrderType.LIMIT, 10, "decision-42", limit_price=rig.resting_buy())
        first = await desk.place(ticket)
        assert first.ok, first.refused
        key = first.record.key
        assert first.record.mode is Mode.LIVE
        assert first.record.status is OrderStatus.WORKING
        assert first.record.broker_order_id
        placed = await rig.placed(key)
        assert len(placed) == 1
        assert placed[0]["body"]["orders"][0]["cOID"] == key

        again = await desk.place(ticket)
        restarted = await rig.desk(rig.gate("cli")).place(ticket)
        assert again.record.key == restarted.record.key == key
        assert restarted.record.broker_order_id == first.record.broker_order_id
        assert len(await rig.placed(key)) == 1
        assert len(await rig.received("place")) == 1
        assert len(await rig.broker_orders(key)) == 1
        assert [r.key for r in rig.desk().records()] == [key]

    _run(tmp_path, scenario)


def test_the_cap_and_the_daily_ledger_hold_against_the_sandbox_and_across_a_restart(tmp_path: Path) -> None:
    async def scenario(rig: DeskRig) -> None:
        desk = rig.desk()
        rig.arm(rig.gate())
        price = rig.resting_buy()  # about 188: 20 of them are about 3,760
        over_cap = await desk.place(order(OrderType.LIMIT, 30, "too-big", limit_price=price))
        assert not over_cap.ok
        assert "per-order cap" in (over_cap.refused or "")
        assert over_cap.record is None
        assert await rig.received() == []  # refused before anything was sent

        for n in (1, 2):
            result = await desk.place(order(OrderType.LIMIT, 20, f"buy-{n}", limit_price=price))
            assert result.ok, result.refused
        left = Decimal(8000) - 40 * price
        assert desk.headroom(PROFILE, Mode.LIVE) == (Decimal(5000), left)
        third = order(OrderType.LIMIT, 5, "buy-3", limit_price=price)
        assert 5 * price > left
        refused = await desk.place(third)
        assert "buy limit" in (refused.refused or "")
        after_restart = await rig.desk(rig.gate("cli")).place(third)
        assert "buy limit" in (after_restart.refused or "")
        assert len(await rig.received("place")) == 2

        _, ask = rig.touch()
        sell = await rig.desk().place(order(OrderType.LIMIT, 20, "sell-1", side=Side.SELL, limit_price=ask + 2))
        assert sell.ok, sell.refused  # worth more than the day has left, and never blocked by the ledger
        assert 20 * (ask + 2) > left
        assert sell.record.status is OrderStatus.WORKING
        assert len(await rig.placed(sell.record.key)) == 1
        assert AuditLog(rig.data_dir).verify().ok

    _run(tmp_path, scenario, per_order="5000", daily="8000")


def _run(tmp_path: Path, scenario, per_order: str | None = "50000", daily: str | None = "200000") -> None:
    async def main() -> None:
        async with desk_over_sandbox(tmp_path, per_order, daily) as rig:
            await scenario(rig)

    run_async(main)
