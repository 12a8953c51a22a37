"""Reconciliation against the sandbox's IBKR over real HTTP: a partial fill and an order Brokerdeck did not
place are reported, an order Brokerdeck counts as open but the broker does not list is reported, and the pass
sends nothing to the gateway (no place, reply, modify or cancel)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

from brokers.core.orders import Accepted, Mode, OrderStatus, OrderType
from brokers.trading.audit import AuditLog
from brokers.trading.reconcile import FindingKind
from tests.brokers.ibkr.order_peer import POLL_INTERVAL_S
from tests.brokers.trading.ibkr_desk import PROFILE, DeskRig, order, run_over_sandbox


def test_reconciliation_reports_a_partial_fill_and_an_unknown_order_and_places_nothing(tmp_path: Path) -> None:
    async def scenario(rig: DeskRig) -> None:
        desk = rig.desk()
        rig.arm(rig.gate())
        await rig.peer.gw.http.post(f"{rig.peer.gw.url}/sandbox/ibkr/stream", json={"rate": 0})
        _, ask = await rig.peer.touch()  # the market stands still from here on: the limit fills one level only
        wanted = 1300  # more than a level of the gateway's book holds (at most 900)
        partial = await desk.place(order(OrderType.LIMIT, wanted, "walk-partly", limit_price=ask))
        assert partial.ok, partial.refused
        while partial.record.status is OrderStatus.QUESTION:  # IBKR asks about an order this size: the trader agrees
            partial = await desk.answer(partial.record.key, confirm=True)
        outsider = await rig.peer.route.place(
            order(OrderType.LIMIT, 3, "placed-elsewhere", limit_price=rig.resting_buy()), "tws-order-1"
        )
        assert isinstance(outsider, Accepted)
        before = await rig.received()

        report = await desk.reconcile(PROFILE)

        assert report.error == ""
        kinds = {finding.kind: finding for finding in report.findings}
        assert set(kinds) == {FindingKind.PARTIAL_FILL, FindingKind.UNKNOWN_ORDER}
        filled = next(r for r in desk.records() if r.key == partial.record.key).filled
        assert Decimal(0) < filled < wanted
        assert kinds[FindingKind.PARTIAL_FILL].key == partial.record.key
        assert f"{filled} of {wanted} filled and still working" in kinds[FindingKind.PARTIAL_FILL].detail
        assert kinds[FindingKind.UNKNOWN_ORDER].broker_order_id == outsider.broker_order_id
        assert await rig.received() == before  # read-only: nothing was placed, answered, modified or cancelled
        assert desk.last_reconcile[PROFILE] == report
        audit = [r for r in AuditLog(rig.data_dir).records() if r.event == "orders.reconciled"]
        assert len(audit) == 1
        assert len(audit[0].what["findings"]) == 2

    run_over_sandbox(tmp_path, scenario)


def test_an_order_open_here_but_not_at_the_broker_is_reported_not_resent(tmp_path: Path) -> None:
    async def scenario(rig: DeskRig) -> None:
        desk = rig.desk()
        rig.arm(rig.gate())
        placed = await desk.place(order(OrderType.LIMIT, 5, "vanishes", limit_price=rig.resting_buy()))
        assert placed.record.status is OrderStatus.WORKING
        await rig.peer.control("reset")  # the gateway forgets every order (a new brokerage session would)
        await rig.peer.control("settings", poll_interval_s=POLL_INTERVAL_S)  # and its pacing: the tests' again
        await asyncio.sleep(POLL_INTERVAL_S)  # past the route's pacing window, so the pass reads the gateway anew

        report = await desk.reconcile(PROFILE)

        assert [f.kind for f in report.findings] == [FindingKind.NOT_AT_BROKER]
        assert "does not list it" in report.findings[0].detail
        assert await rig.received("place") == []  # reset cleared the journal; nothing was sent since
        record = next(r for r in desk.records() if r.key == placed.record.key)
        assert record.mode is Mode.LIVE

    run_over_sandbox(tmp_path, scenario)
