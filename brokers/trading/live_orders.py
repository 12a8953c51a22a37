"""LIVE orders: sending through the profile's route, reading the broker's answer, reconciling ambiguity.

An order is sent only while the readiness checklist still passes (else the profile falls back to SHADOW and
nothing is sent). The broker's answer moves the record (accepted, a question for the trader, refused); an
answer that leaves the order's fate open is looked up by the order's key, followed by a full reconciliation
pass of the profile, and is never re-sent automatically.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from brokers.core.order_route import OrderRoute
from brokers.core.orders import Accepted, Asked, OrderRequest, OrderStatus, PlaceOutcome, Refused
from brokers.trading.gate import ModeGate
from brokers.trading.journal import OrderJournal
from brokers.trading.order_book import OrderRecord
from brokers.trading.readiness import Checklist
from brokers.trading.record_updates import with_broker_order

NOT_SENT_AGAIN = (
    "It is not sent again: look at the broker's orders, and place it with a new decision id only if it is not there."
)


@dataclass(frozen=True)
class OrderResult:
    record: OrderRecord | None  # None when the order was refused before it was recorded
    refused: str | None = None  # why nothing (more) was done, in the trader's words

    @property
    def ok(self) -> bool:
        return self.refused is None


class LiveOrders:
    def __init__(
        self,
        journal: OrderJournal,
        gate: ModeGate,
        route_for: Callable[[str], OrderRoute | None],
        readiness_for: Callable[[OrderRequest], Checklist],
        reconcile_profile: Callable[[str], Awaitable[object]],
        now: Callable[[], float],
    ) -> None:
        self._journal = journal
        self._gate = gate
        self._route_for = route_for
        self._readiness_for = readiness_for
        self._reconcile_profile = reconcile_profile
        self._now = now

    async def send(self, record: OrderRecord) -> OrderResult:
        request = record.request
        route = self.ready_route(request)
        if isinstance(route, str):
            return self.reject(record, route)
        try:
            outcome = await route.place(request, record.key)
        except Exception as exc:
            return self.route_failed(record, "sending the order", exc)
        return await self.outcome(record, outcome, "order.placed")

    def ready_route(self, request: OrderRequest) -> OrderRoute | str:
        """The route to send through when the checklist still passes; otherwise why not (and SHADOW now)."""
        route = self._route_for(request.profile)
        if route is None:
            why = "no connection that can trade is open for this profile"
            self._gate.fall_back(request.profile, why)
            return f"Not sent: {why}. The profile is back in SHADOW."
        checklist = self._readiness_for(request)
        if not checklist.passed:
            self._gate.fall_back(request.profile, f"the checklist failed before an order: {checklist.summary()}")
            return f"Not sent: {checklist.summary()}. The profile is back in SHADOW."
        return route

    async def outcome(self, record: OrderRecord, outcome: PlaceOutcome, event: str) -> OrderResult:
        key = record.key
        if isinstance(outcome, Accepted):
            record = self._journal.update(
                key,
                lambda r: without_regress(
                    replace(r, broker_order_id=outcome.broker_order_id, question=None),
                    outcome.status,
                    "accepted by the broker",
                    self._now(),
                ),
            )
            self._journal.log(event, record, "LIVE: accepted by the broker")
            return OrderResult(record)
        if isinstance(outcome, Asked):
            question = outcome.question
            record = self._journal.update(
                key,
                lambda r: replace(
                    r,
                    status=OrderStatus.QUESTION,
                    question=question,
                    message=" / ".join(question.messages),
                    updated_at=self._now(),
                ),
            )
            self._journal.log(
                "order.question",
                record,
                "the broker asks; the trader decides",
                message_ids=list(question.message_ids),
                confirmed=list(outcome.answered),
            )
            return OrderResult(record)
        if isinstance(outcome, Refused):
            return self.reject(record, f"The broker refused the order: {outcome.reason}")
        record = self._journal.update(
            key,
            lambda r: replace(r, status=OrderStatus.UNKNOWN, message=outcome.reason, updated_at=self._now()),
        )
        self._journal.log("order.ambiguous", record, outcome.reason)
        return OrderResult(await self.reconcile(record))

    async def reconcile(self, record: OrderRecord, *, whole_profile: bool = True) -> OrderRecord:
        """Look the order up at the broker by its key; what the broker says wins, nothing is re-sent. Then,
        unless the caller runs it itself, a reconciliation pass of the whole profile."""
        record = await self._look_up(record)
        if whole_profile and self._route_for(record.request.profile) is not None:
            await self._reconcile_profile(record.request.profile)
        return self._journal.book.get(record.key) or record

    async def _look_up(self, record: OrderRecord) -> OrderRecord:
        route = self._route_for(record.request.profile)
        if route is None:
            return self._journal.update(
                record.key,
                lambda r: replace(r, message=f"Cannot check with the broker now (not connected). {r.message}"),
            )
        try:
            found = await route.find(record.key)
        except Exception as exc:
            self._gate.fall_back(record.request.profile, f"unexpected error while reconciling an order: {exc!r}")
            message = f"Could not check with the broker: {exc!r}"
            return self._journal.update(record.key, lambda r: replace(r, message=message))
        if found is None:
            record = self._journal.update(
                record.key,
                lambda r: replace(
                    r,
                    status=OrderStatus.UNKNOWN,
                    message=f"The broker does not list this order. {NOT_SENT_AGAIN}",
                    updated_at=self._now(),
                ),
            )
            self._journal.log("order.unresolved", record, "not found")
            return record
        record = self._journal.update(record.key, lambda r: with_broker_order(r, found, self._now()))
        self._journal.log("order.reconciled", record, "found at the broker")
        return record

    def route_failed(self, record: OrderRecord, doing: str, exc: Exception) -> OrderResult:
        why = f"unexpected error while {doing}: {exc!r}"
        self._gate.fall_back(record.request.profile, why)
        record = self._journal.update(
            record.key,
            lambda r: replace(
                r,
                status=OrderStatus.UNKNOWN if r.status is OrderStatus.PENDING else r.status,
                message=f"Error while {doing} ({exc!r}); the profile is back in SHADOW. {NOT_SENT_AGAIN}",
                updated_at=self._now(),
            ),
        )
        self._journal.log("order.error", record, why)
        return OrderResult(record, refused=record.message)

    def reject(self, record: OrderRecord, reason: str) -> OrderResult:
        record = self._journal.update(
            record.key, lambda r: replace(r, status=OrderStatus.REJECTED, message=reason, updated_at=self._now())
        )
        self._journal.settle(record)
        self._journal.log("order.refused", record, reason)
        return OrderResult(record, refused=reason)


def without_regress(record: OrderRecord, status: OrderStatus, message: str, now: float) -> OrderRecord:
    """`record` with `status`, unless the broker's own report already finished it (its order stream can be
    faster than the answer to our request): a filled or cancelled order never goes back to working."""
    if record.status.final:
        return record
    return replace(record, status=status, message=message, updated_at=now)
