"""SHADOW's stand-in for what a broker does with a structure's legs once they work.

The same rules the IBKR emulator follows: a leg that waits for its parent (a bracket's exits, an OTO's
child) is HELD until the parent has filled completely, then it works (and may fill at once); a parent that
ends unfilled takes its held legs with it; any fill of an OCO leg or of a bracket's exit, even a partial one,
cancels the other members of the group. LIVE legs are left to the broker: its reports say what happened.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from brokers.core.market import InstrumentQuotes
from brokers.core.orders import Mode, OrderRequest, OrderStatus
from brokers.core.structures import LegRole
from brokers.trading.journal import OrderJournal
from brokers.trading.order_book import OrderRecord
from brokers.trading.record_updates import with_fills
from brokers.trading.simulation import FillSimulator
from brokers.trading.structures import leg_name

PARENTS = (LegRole.ENTRY, LegRole.TRIGGER)
ONE_CANCELS_OTHER = (LegRole.LEG, LegRole.STOP_LOSS, LegRole.TAKE_PROFIT)


class ShadowStructures:
    def __init__(
        self,
        journal: OrderJournal,
        simulator: FillSimulator,
        quotes_for: Callable[[OrderRequest], InstrumentQuotes | None],
        now: Callable[[], float],
    ) -> None:
        self._journal = journal
        self._simulator = simulator
        self._quotes_for = quotes_for
        self._now = now

    def follow(self, changed: Iterable[OrderRecord]) -> tuple[OrderRecord, ...]:
        """What the changes of SHADOW legs in `changed` set off in their structures, until nothing more does."""
        queue = [r for r in changed if r.mode is Mode.SHADOW and r.structure]
        done: list[OrderRecord] = []
        while queue:
            record = queue.pop(0)
            legs = self._journal.book.structure(record.structure)
            current = next((leg for leg in legs if leg.key == record.key), None)
            if current is None:
                continue
            for consequence in self._consequences(current, legs):
                done.append(consequence)
                queue.append(consequence)
        return tuple(done)

    def _consequences(self, leg: OrderRecord, legs: tuple[OrderRecord, ...]) -> list[OrderRecord]:
        name = leg_name(leg.role, leg.leg)
        if leg.role in PARENTS and leg.status is OrderStatus.FILLED:
            return [self._release(child, name) for child in legs if child.status is OrderStatus.HELD]
        if leg.role in PARENTS and leg.status in (OrderStatus.CANCELLED, OrderStatus.REJECTED):
            why = f"the {name} ended unfilled, so this leg never works"
            return [self._cancel(child, why) for child in legs if child.status is OrderStatus.HELD]
        if leg.role in ONE_CANCELS_OTHER and leg.filled > 0:
            why = f"one-cancels-other: the {name} filled"
            members = [m for m in legs if m.key != leg.key and m.role in ONE_CANCELS_OTHER]
            return [self._cancel(m, why) for m in members if m.status.open]
        return []

    def _release(self, child: OrderRecord, parent: str) -> OrderRecord:
        """The parent filled: the child works now, and takes what the book offers at once."""
        now = self._now()
        request = replace(child.request, quantity=child.remaining)
        fills = self._simulator.fill_on_entry(request, self._quotes_for(child.request), now)

        def released(current: OrderRecord) -> OrderRecord:
            working = replace(
                current, status=OrderStatus.WORKING, message=f"working: the {parent} filled", updated_at=now
            )
            return with_fills(working, fills, now)

        record = self._journal.update(child.key, released)
        self._journal.log("structure.released", record, f"SHADOW: the {parent} filled")
        if fills:
            self._journal.log_fills(record, fills)
        return record

    def _cancel(self, leg: OrderRecord, why: str) -> OrderRecord:
        record = self._journal.update(
            leg.key,
            lambda r: replace(r, status=OrderStatus.CANCELLED, message=why, question=None, updated_at=self._now()),
        )
        self._journal.settle(record)
        self._journal.log("order.cancelled", record, f"SHADOW: {why}")
        return record
