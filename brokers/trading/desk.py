"""The one order entry point for the window, the CLI and scripts.

`place` applies, in this order and nowhere else: validation, the mode, the per-order cap, the daily
notional ledger (buys only), idempotency; then it stores the order (PENDING) before acting on it. SHADOW
orders fill in the simulator; LIVE orders go through the profile's `OrderRoute` after the readiness
checklist passes once more. A broker answer that leaves the order's fate open is reconciled with the
broker's own orders and never re-sent automatically. Every decision lands in the audit log.

A retried order is recognised by its idempotency key, which comes from the decision id: a caller who wants
retries to be placed once must pass the same `decision_id` every time; without one the desk makes up a
fresh id and each call is a new order.
"""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from brokers.core.filelock import FileLockBusy
from brokers.core.market import InstrumentQuotes
from brokers.core.order_route import OrderRoute
from brokers.core.orders import (
    Ambiguous,
    BrokerExecution,
    BrokerOrder,
    Mode,
    OrderRequest,
    OrderStatus,
    Refused,
    Side,
    TimeInForce,
)
from brokers.core.structures import LegsAccepted, PartlyPlaced, StructureRequest
from brokers.trading.exchange_clock import trading_day
from brokers.trading.gate import ModeGate
from brokers.trading.idempotency import order_key
from brokers.trading.journal import OrderJournal
from brokers.trading.ledger import LedgerUnreadable
from brokers.trading.limits import Limits, LimitsStore
from brokers.trading.live_orders import LiveOrders, without_regress
from brokers.trading.live_orders import OrderResult as OrderResult
from brokers.trading.order_book import OrderBookUnreadable, OrderRecord
from brokers.trading.order_updates import OrderUpdates
from brokers.trading.readiness import Checklist
from brokers.trading.reconcile import ReconcileReport, reconcile_profile
from brokers.trading.record_updates import with_fills
from brokers.trading.shadow_structures import PARENTS, ShadowStructures
from brokers.trading.simulation import FillSimulator
from brokers.trading.structure_desk import StructureDesk, StructureResult
from brokers.trading.ticket import ticket_problem, valuation_price


class _Refusal(Exception):
    """An order stops here; the message says why."""


class TradingDesk:
    def __init__(
        self,
        data_dir: Path,
        who: str,
        gate: ModeGate,
        route_for: Callable[[str], OrderRoute | None],
        readiness_for: Callable[[OrderRequest], Checklist],
        quotes_for: Callable[[OrderRequest], InstrumentQuotes | None],
        simulator: FillSimulator,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._gate = gate
        self._route_for = route_for
        self._readiness_for = readiness_for
        self._quotes_for = quotes_for
        self._simulator = simulator
        self._now = now
        self._who = who
        self.last_reconcile: dict[str, ReconcileReport] = {}  # the latest pass per profile, for the window
        self.limits = LimitsStore(data_dir)
        self._journal = OrderJournal(data_dir, gate.audit, who, now)
        self._ledger = self._journal.ledger
        self._book = self._journal.book
        self._live = LiveOrders(self._journal, gate, route_for, readiness_for, self.reconcile, now)
        self._updates = OrderUpdates(self._journal, gate, route_for, simulator, now)
        self._shadow = ShadowStructures(self._journal, simulator, quotes_for, now)
        self._structures = StructureDesk(
            self._journal,
            gate,
            self.limits,
            quotes_for,
            simulator,
            self._shadow,
            route_for,
            self._live.ready_route,
            functools.partial(self._live.reconcile, whole_profile=False),
            self.reconcile,
            now,
        )

    # -- placing -------------------------------------------------------------------------------------------

    async def place(self, request: OrderRequest) -> OrderResult:
        if not request.decision_id.strip():
            request = replace(request, decision_id=f"auto-{uuid.uuid4().hex}")
        request = replace(request, symbol=request.symbol.strip().upper())
        try:
            problem = ticket_problem(request)
            if problem:
                raise _Refusal(problem)
            mode = self._gate.mode(request.profile)
            key = order_key(request)
            notional = self._check_cap(request, self.limits.get(request.profile))
            self._check_ledger(request, mode, key, notional)
            now = self._now()
            record = OrderRecord(key, mode, request, OrderStatus.PENDING, Decimal(0), None, (), "", now, now, "")
            record = replace(record, notional=notional)
            existing = self._book.insert(record, trading_day(now))
        except (_Refusal, LedgerUnreadable, OrderBookUnreadable, FileLockBusy) as exc:
            self._journal.log_refusal(request, str(exc))
            return OrderResult(None, refused=str(exc))
        if existing is not None:
            return await self._again(existing)
        if mode is Mode.SHADOW:
            return self._simulate(record, "order.placed")
        return await self._live.send(record)

    async def place_structure(self, structure: StructureRequest) -> StructureResult:
        """A bracket, OCO or OTO through the same checks as one order, valued at its net exposure."""
        return await self._structures.place(structure)

    def _check_cap(self, request: OrderRequest, limits: Limits) -> Decimal:
        price = valuation_price(request, self._quotes_for(request))
        if price is None:
            raise _Refusal("No bid or ask to value this market order against the cap; use a limit order.")
        notional = request.quantity * price
        cap = limits.effective_per_order
        if notional > cap:
            raise _Refusal(f"The order is worth {notional:,.2f}, over the per-order cap of {cap:,}.")
        return notional

    def _check_ledger(self, request: OrderRequest, mode: Mode, key: str, notional: Decimal) -> None:
        if request.side is not Side.BUY:
            return
        daily = self.limits.get(request.profile).effective_daily
        day = trading_day(self._now())
        reserved = self._ledger.reserve(request.profile, mode, day, key, notional, daily)
        if not reserved.fits:
            raise _Refusal(
                f"The order is worth {notional:,.2f} but only {reserved.left:,.2f} of today's {mode.value} "
                f"buy limit of {daily:,} is left."
            )

    async def _again(self, record: OrderRecord) -> OrderResult:
        """The same order asked for again: never placed twice; an unresolved LIVE one is reconciled first."""
        self._journal.log("order.retried", record, "same decision id")
        if record.mode is Mode.SHADOW and record.status is OrderStatus.PENDING:
            return self._simulate(record, "order.placed")
        if record.mode is Mode.LIVE and record.status in (OrderStatus.PENDING, OrderStatus.UNKNOWN):
            record = await self._live.reconcile(record)
        return OrderResult(record)

    # -- SHADOW ----------------------------------------------------------------------------------------------

    def _simulate(self, record: OrderRecord, event: str) -> OrderResult:
        request = record.request
        entry = replace(request, quantity=record.remaining)
        fills = self._simulator.fill_on_entry(entry, self._quotes_for(request), self._now())

        def filled(current: OrderRecord) -> OrderRecord:
            updated = with_fills(current, fills, self._now())
            if updated.status is OrderStatus.PENDING:
                updated = replace(updated, status=OrderStatus.WORKING)
            if request.tif is TimeInForce.IOC and updated.remaining > 0:
                updated = replace(updated, status=OrderStatus.CANCELLED, message="IOC: the unfilled rest is cancelled")
            return replace(updated, message=updated.message or "simulated (SHADOW): nothing was sent to the broker")

        record = self._journal.update(record.key, filled)
        self._journal.log(event, record, "SHADOW: simulated, not sent")
        if fills:
            self._journal.log_fills(record, fills)
        if record.status is OrderStatus.CANCELLED:
            self._journal.settle(record)
        return OrderResult(record)

    # -- answering, cancelling, modifying --------------------------------------------------------------------

    async def answer(self, key: str, confirm: bool, why: str = "declined by the trader") -> OrderResult:
        """The trader's answer to the broker's question about order `key`; `why` says why a no was given."""
        record = self._book.get(key)
        if record is None or record.status is not OrderStatus.QUESTION or record.question is None:
            return OrderResult(record, refused="This order has no question waiting for an answer.")
        question = record.question
        if confirm:
            if self._gate.mode(record.request.profile) is not Mode.LIVE:
                return OrderResult(record, refused="The profile is in SHADOW now: the order cannot be confirmed.")
            route: OrderRoute | str | None = self._live.ready_route(record.request)
        else:
            route = self._route_for(record.request.profile)
        if route is None or isinstance(route, str):
            return OrderResult(record, refused=route or "Not connected: the question cannot be answered now.")
        self._journal.log(
            "order.answered", record, "the trader answered", confirm=confirm, message_ids=list(question.message_ids)
        )
        try:
            outcome = await route.answer(question, confirm)
        except Exception as exc:
            return self._live.route_failed(record, "answering the broker's question", exc)
        if not confirm and isinstance(outcome, Refused):
            for leg in self._legs(record):
                self._cancelled(leg, why)
            return OrderResult(self._book.get(key))
        if record.structure:
            placed = await self._structures.outcome(self._legs(record), outcome)
            return OrderResult(self._book.get(key), refused=placed.refused)
        if isinstance(outcome, LegsAccepted | PartlyPlaced):
            outcome = Ambiguous("the broker answered for several orders where one was asked")
        return await self._live.outcome(record, outcome, "order.placed")

    def _legs(self, record: OrderRecord) -> tuple[OrderRecord, ...]:
        """The order's structure's legs (or the order alone)."""
        return self._book.structure(record.structure) if record.structure else (record,)

    async def cancel(self, key: str) -> OrderResult:
        """Cancel in any mode: SHADOW at once; LIVE asks the broker (PENDING_CANCEL until it confirms)."""
        record = self._book.get(key)
        if record is None:
            return OrderResult(None, refused="There is no such order.")
        if record.status.final:
            return OrderResult(record, refused=f"The order is already {record.status.value.lower()}.")
        if record.mode is Mode.SHADOW:
            result = self._cancelled(record, "cancelled (SHADOW)")
            self._shadow.follow([record for record in (result.record,) if record is not None])
            return OrderResult(self._book.get(key))
        if record.status is OrderStatus.QUESTION:
            return await self.answer(key, confirm=False)
        if not record.broker_order_id:
            return OrderResult(record, refused="The broker has not confirmed this order yet; cancel it once it shows.")
        route = self._route_for(record.request.profile)
        if route is None:
            return OrderResult(record, refused="Not connected: connect, then cancel again.")
        try:
            said = await route.cancel(record.broker_order_id)
        except Exception as exc:
            return self._live.route_failed(record, "cancelling the order", exc)
        record = self._journal.update(key, lambda r: without_regress(r, OrderStatus.PENDING_CANCEL, said, self._now()))
        self._journal.log("order.cancel_requested", record, said)
        return OrderResult(record)

    async def modify(self, key: str, new_request: OrderRequest) -> OrderResult:
        """Replace an open order's ticket with the complete `new_request` (same checks as a new order)."""
        record = self._book.get(key)
        if record is None or not record.status.open or record.status is OrderStatus.PENDING_CANCEL:
            return OrderResult(record, refused="Only a working order can be modified.")
        if record.structure:
            return OrderResult(
                record, refused="A leg of a structure cannot be modified here: cancel the structure and place it again."
            )
        old = record.request
        new_request = replace(new_request, decision_id=old.decision_id, symbol=new_request.symbol.strip().upper())
        if (new_request.profile, new_request.symbol, new_request.side) != (old.profile, old.symbol, old.side):
            return OrderResult(record, refused="A modification keeps the symbol and side; place a new order instead.")
        try:
            problem = ticket_problem(new_request)
            if problem:
                raise _Refusal(problem)
            if new_request.quantity <= record.filled:
                raise _Refusal(f"{record.filled} are already filled: enter a larger quantity, or cancel the order.")
            if record.mode is Mode.LIVE and self._gate.mode(old.profile) is not Mode.LIVE:
                raise _Refusal("Arm LIVE to modify a live order (cancelling works in any mode).")
            notional = self._check_cap(new_request, self.limits.get(old.profile))
            self._check_ledger(new_request, record.mode, key, max(notional, record.notional))
        except (_Refusal, LedgerUnreadable, FileLockBusy) as exc:
            self._journal.log("order.modify_refused", record, str(exc))
            return OrderResult(record, refused=str(exc))
        if record.mode is Mode.SHADOW:
            self._ledger.settle(old.profile, record.mode, trading_day(record.created_at), key, notional)
            record = self._journal.update(key, lambda r: replace(r, request=new_request, notional=notional))
            return self._simulate(record, "order.modified")
        route = self._live.ready_route(new_request)
        if isinstance(route, str):
            return OrderResult(record, refused=route)
        try:
            outcome = await route.modify(record.broker_order_id, new_request, key)
        except Exception as exc:
            return self._live.route_failed(record, "modifying the order", exc)
        day = trading_day(record.created_at)
        if isinstance(outcome, Refused):
            self._ledger.settle(old.profile, record.mode, day, key, record.notional)
            reason = f"The broker refused the modification: {outcome.reason}"
            self._journal.log("order.modify_refused", record, reason)
            return OrderResult(record, refused=reason)
        self._ledger.settle(old.profile, record.mode, day, key, notional)
        record = self._journal.update(key, lambda r: replace(r, request=new_request, notional=notional))
        return await self._live.outcome(record, outcome, "order.modified")

    def _cancelled(self, record: OrderRecord, why: str) -> OrderResult:
        record = self._journal.update(
            record.key,
            lambda r: replace(r, status=OrderStatus.CANCELLED, message=why, question=None, updated_at=self._now()),
        )
        self._journal.settle(record)
        self._journal.log("order.cancelled", record, why)
        return OrderResult(record)

    # -- what the broker and the market report -----------------------------------------------------------------

    def apply_broker_updates(
        self, orders: tuple[BrokerOrder, ...], executions: tuple[BrokerExecution, ...]
    ) -> tuple[OrderRecord, ...]:
        """Merge the broker's order reports and executions into the LIVE records they belong to."""
        return self._updates.apply_broker_updates(orders, executions)

    async def reconcile(self, profile: str) -> ReconcileReport:
        """One bounded, read-only pass against the broker's orders and executions (see `reconcile`)."""
        report = await reconcile_profile(
            profile, self._route_for(profile), self._book.records, self.apply_broker_updates, self._now
        )
        self.last_reconcile[profile] = report
        self._gate.audit.append(self._who, "orders.reconciled", profile, report.to_audit(), report.summary())
        return report

    async def poll(self) -> tuple[OrderRecord, ...]:
        """Read the broker's orders and executions for every profile with open LIVE orders (the caller paces)."""
        return await self._updates.poll()

    def on_market(self, conid: int, quotes: InstrumentQuotes) -> tuple[OrderRecord, ...]:
        """New market data for `conid`: resting SHADOW orders fill through the simulator, and their structures
        follow (siblings cancelled, held legs released)."""
        changed = self._updates.on_market(conid, quotes)
        return changed + self._shadow.follow(changed) if changed else changed

    async def cancel_structure(self, structure: str) -> tuple[OrderResult, ...]:
        """Cancel every leg of a structure that is still open. A parent goes first, and its held legs go with it
        (the broker cancels a LIVE parent's children itself, so they are not cancelled one by one)."""
        results: list[OrderResult] = []
        parent_cancelled = False
        for leg in self._book.structure(structure):
            current = self._book.get(leg.key)
            if current is None or current.status.final or current.status is OrderStatus.PENDING_CANCEL:
                continue
            if current.status is OrderStatus.HELD and parent_cancelled:
                continue
            result = await self.cancel(leg.key)
            parent_cancelled = parent_cancelled or (current.leg == 0 and current.role in PARENTS and result.ok)
            results.append(result)
        return tuple(results)

    # -- for the ticket and the blotter ------------------------------------------------------------------------

    def records(self) -> tuple[OrderRecord, ...]:
        return self._book.records()

    def headroom(self, profile: str, mode: Mode) -> tuple[Decimal, Decimal]:
        """(the per-order cap, what today's buy limit leaves) for `profile` in `mode`."""
        limits = self.limits.get(profile)
        used = self._ledger.used(profile, mode, trading_day(self._now()))
        return limits.effective_per_order, max(Decimal(0), limits.effective_daily - used)
