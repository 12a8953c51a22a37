"""Placing a structure: the desk's one entry point, applied to legs that are decided and sent together.

The same checks as a single order, in the same order, over the structure as a whole: every leg's ticket and
the structure's own rules, the mode, the per-order cap against the net exposure, the daily buy ledger
against the net buy exposure (one entry under the structure's key), the idempotency key over the whole
structure. All legs are written down (PENDING) before anything is simulated or sent. In LIVE the route
carries the structure as the broker takes it and answers with one outcome; a partial failure (an OTO's child
failed after its trigger went live) is reported with both ids and never passes as success.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from brokers.core.filelock import FileLockBusy
from brokers.core.market import InstrumentQuotes
from brokers.core.order_route import OrderRoute
from brokers.core.orders import Accepted, Ambiguous, Asked, Mode, OrderRequest, OrderStatus, Refused
from brokers.core.structures import LegsAccepted, PartlyPlaced, StructureOutcome, StructureRequest
from brokers.trading.exchange_clock import trading_day
from brokers.trading.gate import ModeGate
from brokers.trading.journal import OrderJournal
from brokers.trading.ledger import LedgerUnreadable
from brokers.trading.limits import LimitsStore
from brokers.trading.order_book import OrderBookUnreadable, OrderRecord
from brokers.trading.reconcile import leg_by_terms
from brokers.trading.record_updates import with_broker_order, with_fills
from brokers.trading.shadow_structures import PARENTS, ShadowStructures
from brokers.trading.simulation import FillSimulator
from brokers.trading.structures import (
    buy_exposure,
    leg_keys,
    leg_name,
    net_exposure,
    normalized,
    structure_key,
    structure_problem,
)
from brokers.trading.ticket import valuation_price

WAITS_FOR_FIRST = "waits for the answer to the question on the first leg"


@dataclass(frozen=True)
class StructureResult:
    legs: tuple[OrderRecord, ...]  # empty when the structure was refused before it was recorded
    refused: str | None = None

    @property
    def ok(self) -> bool:
        return self.refused is None


class _Refusal(Exception):
    """The structure stops here; the message says why."""


class StructureDesk:
    def __init__(
        self,
        journal: OrderJournal,
        gate: ModeGate,
        limits: LimitsStore,
        quotes_for: Callable[[OrderRequest], InstrumentQuotes | None],
        simulator: FillSimulator,
        shadow: ShadowStructures,
        route_for: Callable[[str], OrderRoute | None],
        ready_route: Callable[[OrderRequest], OrderRoute | str],
        look_up: Callable[[OrderRecord], Awaitable[OrderRecord]],
        reconcile_profile: Callable[[str], Awaitable[object]],
        now: Callable[[], float],
    ) -> None:
        self._journal = journal
        self._gate = gate
        self._limits = limits
        self._quotes_for = quotes_for
        self._simulator = simulator
        self._shadow = shadow
        self._route_for = route_for
        self._ready_route = ready_route
        self._look_up = look_up
        self._reconcile_profile = reconcile_profile
        self._now = now

    async def place(self, structure: StructureRequest) -> StructureResult:
        decision = structure.decision_id.strip() or f"auto-{uuid.uuid4().hex}"
        structure = normalized(structure, decision)
        try:
            problem = structure_problem(structure)
            if problem:
                raise _Refusal(problem)
            mode = self._gate.mode(structure.profile)
            key = structure_key(structure)
            notionals = self._check_cap(structure)
            self._check_ledger(structure, mode, key, notionals)
            existing = self._journal.book.insert_all(self._records(structure, mode, key, notionals), self._day())
        except (_Refusal, LedgerUnreadable, OrderBookUnreadable, FileLockBusy) as exc:
            self._journal.log_structure_refusal(structure.profile, structure.kind, structure.legs, str(exc))
            return StructureResult((), refused=str(exc))
        if existing:
            return await self._again(existing)
        legs = self._journal.book.structure(key)
        self._journal.log("structure.placed" if mode is Mode.SHADOW else "structure.sending", legs[0], structure.kind)
        if mode is Mode.SHADOW:
            return self._simulate(legs)
        return await self._send(structure, legs)

    def _check_cap(self, structure: StructureRequest) -> list[Decimal]:
        notionals: list[Decimal] = []
        for index, leg in enumerate(structure.legs):
            price = valuation_price(leg, self._quotes_for(leg))
            if price is None:
                name = leg_name(structure.roles[index], index)
                raise _Refusal(f"No bid or ask to value the {name} (a market order) against the cap; use a limit.")
            notionals.append(leg.quantity * price)
        exposure = net_exposure(structure.kind, list(zip((leg.side for leg in structure.legs), notionals, strict=True)))
        cap = self._limits.get(structure.profile).effective_per_order
        if exposure > cap:
            raise _Refusal(
                f"The {structure.kind.value.lower()} exposes {exposure:,.2f} at most, "
                f"over the per-order cap of {cap:,}."
            )
        return notionals

    def _check_ledger(self, structure: StructureRequest, mode: Mode, key: str, notionals: list[Decimal]) -> None:
        buys = buy_exposure(structure.kind, list(zip((leg.side for leg in structure.legs), notionals, strict=True)))
        if buys <= 0:
            return
        daily = self._limits.get(structure.profile).effective_daily
        reserved = self._journal.ledger.reserve(structure.profile, mode, self._day(), key, buys, daily)
        if not reserved.fits:
            raise _Refusal(
                f"The {structure.kind.value.lower()} can buy {buys:,.2f} but only {reserved.left:,.2f} of today's "
                f"{mode.value} buy limit of {daily:,} is left."
            )

    def _records(
        self, structure: StructureRequest, mode: Mode, key: str, notionals: list[Decimal]
    ) -> tuple[OrderRecord, ...]:
        now = self._now()
        keys = leg_keys(key, len(structure.legs))
        return tuple(
            OrderRecord(
                keys[i],
                mode,
                leg,
                OrderStatus.PENDING,
                Decimal(0),
                None,
                (),
                "",
                now,
                now,
                "",
                notional=notionals[i],
                structure=key,
                role=structure.roles[i],
                leg=i,
            )
            for i, leg in enumerate(structure.legs)
        )

    async def _again(self, legs: tuple[OrderRecord, ...]) -> StructureResult:
        """The same structure asked for again: never placed twice; unresolved LIVE legs are reconciled first."""
        self._journal.log("structure.retried", legs[0], "same decision id")
        if legs[0].mode is Mode.SHADOW and all(leg.status is OrderStatus.PENDING for leg in legs):
            return self._simulate(legs)
        unresolved = [leg for leg in legs if leg.status in (OrderStatus.PENDING, OrderStatus.UNKNOWN)]
        if legs[0].mode is Mode.LIVE and unresolved:
            await self._reconcile(unresolved)
        return StructureResult(self._journal.book.structure(legs[0].structure))

    # -- SHADOW ----------------------------------------------------------------------------------------------

    def _simulate(self, legs: tuple[OrderRecord, ...]) -> StructureResult:
        """Parents and OCO legs work at once (the first OCO leg the book fills cancels the rest); held legs wait."""
        parent = leg_name(legs[0].role, 0)
        for leg in legs:
            if leg.status is OrderStatus.PENDING and leg.leg > 0 and legs[0].role in PARENTS:
                self._set(leg, OrderStatus.HELD, f"held until the {parent} fills (SHADOW)")
            elif leg.status is OrderStatus.PENDING:
                self._set(leg, OrderStatus.WORKING, "simulated (SHADOW): nothing was sent to the broker")
        for leg in legs:
            current = self._journal.book.get(leg.key)
            if current is None or current.status is not OrderStatus.WORKING or current.filled > 0:
                continue
            now = self._now()
            fills = self._simulator.fill_on_entry(current.request, self._quotes_for(current.request), now)
            if fills:
                record = self._journal.update(leg.key, functools.partial(with_fills, fills=fills, now=now))
                self._journal.log_fills(record, fills)
                self._shadow.follow([record])
        return StructureResult(self._journal.book.structure(legs[0].structure))

    def _set(self, leg: OrderRecord, status: OrderStatus, message: str) -> OrderRecord:
        change = functools.partial(replace, status=status, message=message, updated_at=self._now())
        return self._journal.update(leg.key, change)

    # -- LIVE ------------------------------------------------------------------------------------------------

    async def _send(self, structure: StructureRequest, legs: tuple[OrderRecord, ...]) -> StructureResult:
        route = self._ready_route(structure.legs[0])
        if isinstance(route, str):
            return self._rejected(legs, route)
        if structure.kind not in route.structures:
            return self._rejected(legs, f"Not sent: this broker does not take {structure.kind.value} orders.")
        try:
            outcome = await route.place_structure(structure, tuple(leg.key for leg in legs))
        except Exception as exc:
            return self._failed(legs, "sending the structure", exc)
        return await self.outcome(legs, outcome)

    async def outcome(self, legs: tuple[OrderRecord, ...], outcome: StructureOutcome | Accepted) -> StructureResult:
        """Apply the route's answer for the structure (also after the trader answered its question)."""
        structure = legs[0].structure
        if isinstance(outcome, LegsAccepted):
            for leg, broker_id, status in zip(legs, outcome.broker_order_ids, outcome.statuses, strict=False):
                self._accepted(leg, broker_id, status)
            ids = list(outcome.broker_order_ids)
            self._journal.log("structure.placed", legs[0], "LIVE: accepted by the broker", ids=ids)
            return StructureResult(self._journal.book.structure(structure))
        if isinstance(outcome, Accepted):  # a route that answered for the first leg alone
            self._accepted(legs[0], outcome.broker_order_id, outcome.status)
            return StructureResult(self._journal.book.structure(structure))
        if isinstance(outcome, Asked):
            return self._asked(legs, outcome)
        if isinstance(outcome, PartlyPlaced):
            return self._partly(legs, outcome)
        if isinstance(outcome, Refused):
            return self._rejected(legs, f"The broker refused the structure: {outcome.reason}")
        return await self._ambiguous(legs, outcome)

    def _accepted(self, leg: OrderRecord, broker_id: str, status: OrderStatus) -> None:
        def accepted(r: OrderRecord) -> OrderRecord:
            if r.status.final:
                return r
            message = "accepted by the broker"
            return replace(r, broker_order_id=broker_id, status=status, question=None, message=message)

        self._journal.update(leg.key, accepted)

    def _asked(self, legs: tuple[OrderRecord, ...], asked: Asked) -> StructureResult:
        question = asked.question
        change = functools.partial(
            replace, status=OrderStatus.QUESTION, question=question, message=" / ".join(question.messages)
        )
        first = self._journal.update(legs[0].key, change)
        for leg in legs[1:]:
            self._journal.update(leg.key, functools.partial(replace, message=WAITS_FOR_FIRST))
        ids, confirmed = list(question.message_ids), list(asked.answered)
        self._journal.log("order.question", first, "the trader decides", message_ids=ids, confirmed=confirmed)
        return StructureResult(self._journal.book.structure(legs[0].structure))

    def _partly(self, legs: tuple[OrderRecord, ...], partly: PartlyPlaced) -> StructureResult:
        """Some legs are (or were) live and the rest failed: say so loudly on every leg, never as success."""
        if partly.cancelled:
            tail = f"Brokerdeck asked the broker to cancel what was placed ({partly.cancel_said})."
        else:
            tail = (
                f"THE PLACED LEGS MAY STILL BE LIVE AND UNPROTECTED: cancel them at the broker ({partly.cancel_said})."
            )
        message = f"Partial failure: {partly.reason} {tail}"
        for leg, broker_id in zip(legs, partly.broker_order_ids, strict=False):
            if broker_id:
                status = OrderStatus.PENDING_CANCEL if partly.cancelled else OrderStatus.WORKING
                change = functools.partial(
                    replace, broker_order_id=broker_id, status=status, question=None, message=message
                )
                self._journal.update(leg.key, change)
            else:
                record = self._set(leg, OrderStatus.REJECTED, message)
                self._journal.settle(record)
        first = self._journal.book.structure(legs[0].structure)
        self._journal.log("structure.partial_failure", first[0], message, ids=list(partly.broker_order_ids))
        return StructureResult(first, refused=message)

    def _rejected(self, legs: tuple[OrderRecord, ...], reason: str) -> StructureResult:
        for leg in legs:
            record = self._set(leg, OrderStatus.REJECTED, reason)
            self._journal.settle(record)
        self._journal.log("order.refused", legs[0], reason)
        return StructureResult(self._journal.book.structure(legs[0].structure), refused=reason)

    async def _ambiguous(self, legs: tuple[OrderRecord, ...], outcome: Ambiguous) -> StructureResult:
        for leg in legs:
            self._set(leg, OrderStatus.UNKNOWN, outcome.reason)
        self._journal.log("order.ambiguous", legs[0], outcome.reason)
        await self._reconcile(list(legs))
        return StructureResult(self._journal.book.structure(legs[0].structure))

    async def _reconcile(self, legs: list[OrderRecord]) -> None:
        """Each leg looked up by its key; a leg the broker knows by no key (a child at IBKR) by its terms, once
        its structure's parent was found; then one pass over the whole profile."""
        for leg in legs:
            await self._look_up(leg)
        profile = legs[0].request.profile
        current = self._journal.book.structure(legs[0].structure)
        missing = [leg for leg in current if leg.status is OrderStatus.UNKNOWN and not leg.broker_order_id]
        route = self._route_for(profile)
        if missing and route is not None and any(leg.broker_order_id for leg in current):
            try:
                orders = await route.orders()
            except Exception:  # the pass below reads again and says why it could not
                orders = ()
            claimed = {r.broker_order_id for r in self._journal.book.records() if r.broker_order_id}
            for leg in missing:
                found = leg_by_terms(leg, orders, claimed)
                if found is not None:
                    claimed.add(found.broker_order_id)
                    record = self._journal.update(
                        leg.key, functools.partial(with_broker_order, order=found, now=self._now())
                    )
                    self._journal.log("order.reconciled", record, "found at the broker by its terms")
        await self._reconcile_profile(profile)

    def _failed(self, legs: tuple[OrderRecord, ...], doing: str, exc: Exception) -> StructureResult:
        why = f"unexpected error while {doing}: {exc!r}"
        self._gate.fall_back(legs[0].request.profile, why)
        message = (
            f"Error while {doing} ({exc!r}); the profile is back in SHADOW. It is not sent again: look at the "
            "broker's orders before placing it with a new decision id."
        )
        for leg in legs:
            self._set(leg, OrderStatus.UNKNOWN, message)
        self._journal.log("order.error", legs[0], why)
        return StructureResult(self._journal.book.structure(legs[0].structure), refused=message)

    def _day(self) -> date:
        return trading_day(self._now())
