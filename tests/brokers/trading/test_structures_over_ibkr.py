"""Structures through the one order path against the sandbox's IBKR over real HTTP: a LIVE bracket is one
request placed once (also when retried and after a restart), an OCO leg's fill cancels the others and the
desk learns it from the broker, an OTO whose child fails cancels its trigger and reports both ids, and a
SHADOW bracket fills against the feed's book without reaching the gateway."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

from brokers.core.orders import Mode, OrderStatus, OrderType, Side
from brokers.core.structures import StructureKind, StructureRequest
from brokers.trading.audit import AuditLog
from tests.brokers.ibkr.order_peer import POLL_INTERVAL_S
from tests.brokers.trading.ibkr_desk import DeskRig, order, run_over_sandbox
from tests.waiting import until_async


def bracket(rig: DeskRig, decision: str, entry: Decimal) -> StructureRequest:
    bid, ask = rig.touch()
    return StructureRequest(
        StructureKind.BRACKET,
        (
            order(OrderType.LIMIT, 10, decision, limit_price=entry),
            order(OrderType.STOP, 10, decision, side=Side.SELL, stop_price=bid - 4),
            order(OrderType.LIMIT, 10, decision, side=Side.SELL, limit_price=ask + 3),
        ),
        decision,
    )


async def settle(rig: DeskRig, desk, structure: str, wanted: list[OrderStatus]) -> list[OrderStatus]:
    """Poll the broker (at the sandbox's pacing) until the structure's legs show `wanted`, or the bound passes."""

    async def polled() -> bool:
        await asyncio.sleep(POLL_INTERVAL_S)
        await desk.poll()
        return [leg.status for leg in desk.records() if leg.structure == structure] == wanted

    await until_async(polled, 20.0)
    return [leg.status for leg in desk.records() if leg.structure == structure]


def test_a_live_bracket_is_one_request_placed_once_also_when_retried_after_a_restart(tmp_path: Path) -> None:
    async def scenario(rig: DeskRig) -> None:
        desk = rig.desk()
        rig.arm(rig.gate())
        ticket = bracket(rig, "bracket-7", rig.resting_buy())
        first = await desk.place_structure(ticket)
        assert first.ok, first.refused
        assert [leg.mode for leg in first.legs] == [Mode.LIVE] * 3
        assert [leg.status for leg in first.legs] == [OrderStatus.WORKING, OrderStatus.HELD, OrderStatus.HELD]
        assert all(leg.broker_order_id for leg in first.legs)
        places = await rig.received("place")
        assert len(places) == 1
        sent = places[0]["body"]["orders"]
        assert [o.get("cOID") for o in sent] == [first.legs[0].key, None, None]
        assert [o.get("parentId") for o in sent] == [None, first.legs[0].key, first.legs[0].key]

        again = await desk.place_structure(ticket)
        restarted = await rig.desk(rig.gate("cli")).place_structure(ticket)
        assert [leg.key for leg in again.legs] == [leg.key for leg in restarted.legs] == [leg.key for leg in first.legs]
        assert len(await rig.received("place")) == 1

        cancelled = await desk.cancel_structure(first.legs[0].structure)
        assert cancelled[0].ok
        final = await settle(rig, desk, first.legs[0].structure, [OrderStatus.CANCELLED] * 3)
        assert final == [OrderStatus.CANCELLED] * 3  # the entry's cancel took its exits at the broker
        assert len(await rig.received("cancel")) == 1
        assert AuditLog(rig.data_dir).verify().ok

    run_over_sandbox(tmp_path, scenario)


def test_a_live_oco_legs_fill_cancels_the_others_and_the_desk_learns_it_from_the_broker(tmp_path: Path) -> None:
    async def scenario(rig: DeskRig) -> None:
        desk = rig.desk()
        rig.arm(rig.gate())
        bid, ask = rig.touch()
        oco = StructureRequest(
            StructureKind.OCO,
            (
                order(OrderType.LIMIT, 5, "oco-1", limit_price=bid - 3),
                order(OrderType.LIMIT, 5, "oco-1", limit_price=ask + 1),  # marketable: fills at once
            ),
            "oco-1",
        )
        placed = await desk.place_structure(oco)
        assert placed.ok, placed.refused
        assert len((await rig.received("place"))[0]["body"]["orders"]) == 2
        final = await settle(rig, desk, placed.legs[0].structure, [OrderStatus.CANCELLED, OrderStatus.FILLED])
        assert final == [OrderStatus.CANCELLED, OrderStatus.FILLED]
        assert await rig.received("cancel") == []  # the broker cancelled the other leg, not Brokerdeck

    run_over_sandbox(tmp_path, scenario)


def test_an_otos_failed_child_cancels_the_trigger_and_reports_both_ids(tmp_path: Path) -> None:
    async def scenario(rig: DeskRig) -> None:
        desk = rig.desk()
        rig.arm(rig.gate())
        _, ask = rig.touch()
        oto = StructureRequest(
            StructureKind.OTO,
            (
                order(OrderType.LIMIT, 10, "oto-1", limit_price=rig.resting_buy()),
                order(OrderType.LIMIT, 10, "oto-1", side=Side.SELL, limit_price=ask + 3),
            ),
            "oto-1",
        )
        await rig.peer.control("child_failure", reason="the child was rejected by the exchange")
        result = await desk.place_structure(oto)
        trigger, child = result.legs
        assert not result.ok
        assert "Partial failure" in (result.refused or "")
        assert trigger.broker_order_id in (result.refused or "")
        assert child.key in (result.refused or "")
        assert trigger.status is OrderStatus.PENDING_CANCEL
        assert child.status is OrderStatus.REJECTED
        assert [e["kind"] for e in await rig.received("place", "cancel")] == ["place", "place", "cancel"]
        final = await settle(rig, desk, trigger.structure, [OrderStatus.CANCELLED, OrderStatus.REJECTED])
        assert final == [OrderStatus.CANCELLED, OrderStatus.REJECTED]
        events = [r.event for r in AuditLog(rig.data_dir).records()]
        assert "structure.partial_failure" in events

    run_over_sandbox(tmp_path, scenario)


def test_an_ambiguous_bracket_is_found_again_leg_by_leg_then_reconciled_once_and_never_resent(tmp_path: Path) -> None:
    async def scenario(rig: DeskRig) -> None:
        desk = rig.desk()
        rig.arm(rig.gate())
        await rig.peer.control("questions", message_ids=["o163"])  # the trader's to answer
        await rig.peer.control("reply_unavailable", goes_live=True)  # the confirming reply gets a 503, yet goes live
        asked = await desk.place_structure(bracket(rig, "bracket-503", rig.resting_buy()))
        assert asked.legs[0].status is OrderStatus.QUESTION
        answered = await desk.answer(asked.legs[0].key, confirm=True)
        legs = [leg for leg in desk.records() if leg.structure == asked.legs[0].structure]
        assert answered.record.status is OrderStatus.WORKING  # the entry is found at IBKR by its cOID
        assert [leg.status for leg in legs[1:]] == [OrderStatus.HELD] * 2  # the exits (no key) by their terms
        assert all(leg.broker_order_id for leg in legs)
        report = desk.last_reconcile[legs[0].request.profile]
        assert report.clean, report.findings
        events = [r.event for r in AuditLog(rig.data_dir).records()]
        assert events.count("orders.reconciled") == 1
        assert len(await rig.received("place")) == 1

    run_over_sandbox(tmp_path, scenario)


def test_a_shadow_bracket_fills_against_the_feeds_book_and_never_reaches_the_gateway(tmp_path: Path) -> None:
    async def scenario(rig: DeskRig) -> None:
        desk = rig.desk()
        _, ask = rig.touch()
        placed = await desk.place_structure(bracket(rig, "shadow-bracket", ask + 1))  # marketable entry
        assert placed.ok, placed.refused
        assert [leg.mode for leg in placed.legs] == [Mode.SHADOW] * 3
        assert [leg.status for leg in placed.legs] == [OrderStatus.FILLED, OrderStatus.WORKING, OrderStatus.WORKING]
        assert await rig.received() == []

    run_over_sandbox(tmp_path, scenario)
