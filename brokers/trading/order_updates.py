"""What comes back after an order is placed: the broker's reports for LIVE orders, the market for SHADOW.

LIVE records take the broker's order reports (matched by our key, else the broker's order id) and its
executions (each execution id counted once); `poll` reads both for every profile with open LIVE orders, at
the pace the caller sets (the window: every 5 s). SHADOW orders resting in the simulator fill when the
market trades through them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

from brokers.core.market import InstrumentQuotes
from brokers.core.order_route import OrderRoute
from brokers.core.orders import BrokerExecution, BrokerOrder, Mode, OrderStatus
from brokers.trading.gate import ModeGate
from brokers.trading.journal import OrderJournal
from brokers.trading.order_book import OrderRecord
from brokers.trading.record_updates import with_broker_order, with_execution, with_fills
from brokers.trading.shadow_structures import PARENTS
from brokers.trading.simulation import FillSimulator


class OrderUpdates:
    def __init__(
        self,
        journal: OrderJournal,
        gate: ModeGate,
        route_for: Callable[[str], OrderRoute | None],
        simulator: FillSimulator,
        now: Callable[[], float],
    ) -> None:
        self._journal = journal
        self._gate = gate
        self._route_for = route_for
        self._simulator = simulator
        self._now = now
        self._market_seen: dict[str, float] = {}

    def apply_broker_updates(
        self, orders: tuple[BrokerOrder, ...], executions: tuple[BrokerExecution, ...]
    ) -> tuple[OrderRecord, ...]:
        changed: dict[str, OrderRecord] = {}
        live = [r for r in self._journal.book.records() if r.mode is Mode.LIVE]
        by_key = {r.key: r.key for r in live}
        by_broker_id = {r.broker_order_id: r.key for r in live if r.broker_order_id}
        for order in orders:
            key = by_key.get(order.key) or by_broker_id.get(order.broker_order_id)
            if key is not None:
                change = functools.partial(with_broker_order, order=order, now=self._now())
                changed[key] = self._journal.merge(key, change)
        for execution in executions:
            key = by_key.get(execution.key) or by_broker_id.get(execution.broker_order_id)
            if key is not None:
                change = functools.partial(with_execution, execution=execution, now=self._now())
                changed[key] = self._journal.merge(key, change)
        for record in self._held_until_parent_fills({r.structure for r in changed.values() if r.structure}):
            changed[record.key] = record
        return tuple(changed.values())

    def _held_until_parent_fills(self, structures: set[str]) -> list[OrderRecord]:
        """A structure's child reads HELD while its parent has not filled (IBKR reports both as working)."""
        updated: list[OrderRecord] = []
        for structure in structures:
            legs = self._journal.book.structure(structure)
            if not legs or legs[0].role not in PARENTS:
                continue
            waiting = legs[0].status is not OrderStatus.FILLED
            for leg in legs[1:]:
                if waiting and leg.status is OrderStatus.WORKING and leg.filled == 0:
                    status = OrderStatus.HELD
                elif not waiting and leg.status is OrderStatus.HELD:
                    status = OrderStatus.WORKING
                else:
                    continue
                updated.append(self._journal.update(leg.key, functools.partial(replace, status=status)))
        return updated

    async def poll(self) -> tuple[OrderRecord, ...]:
        records = self._journal.book.records()
        profiles = sorted({r.request.profile for r in records if _awaiting_reports(r)})
        changed: list[OrderRecord] = []
        for profile in profiles:
            route = self._route_for(profile)
            if route is None:
                continue
            try:
                orders, executions = await route.orders(), await route.executions()
            except Exception as exc:
                if self._gate.mode(profile) is Mode.LIVE:
                    self._gate.fall_back(profile, f"unexpected error while reading the broker's orders: {exc!r}")
                continue
            changed.extend(self.apply_broker_updates(orders, executions))
        return tuple(changed)

    def on_market(self, conid: int, quotes: InstrumentQuotes) -> tuple[OrderRecord, ...]:
        changed: list[OrderRecord] = []
        for record in self._journal.book.records():
            if record.mode is not Mode.SHADOW or record.request.conid != conid:
                continue
            if record.status not in (OrderStatus.WORKING, OrderStatus.PARTIALLY_FILLED):
                continue
            now = self._now()
            since = self._market_seen.get(record.key, record.updated_at)
            fills = self._simulator.fill_resting(record.request, record.remaining, quotes, since, now)
            self._market_seen[record.key] = now
            if fills:
                updated = self._journal.update(record.key, functools.partial(with_fills, fills=fills, now=now))
                self._journal.log_fills(updated, fills)
                changed.append(updated)
        return tuple(changed)


def _awaiting_reports(record: OrderRecord) -> bool:
    """A LIVE order the broker still has news of: open, or FILLED by its answer before its executions came."""
    if record.mode is not Mode.LIVE:
        return False
    if not record.status.final:
        return True
    reported = sum((fill.quantity for fill in record.fills), Decimal(0))
    return record.status is OrderStatus.FILLED and reported < record.request.quantity
