"""Reconciliation: what the broker holds against what Brokerdeck intended, read-only and bounded.

One pass reads the broker's orders and today's executions once each (the route paces them as the broker
requires), merges them into the LIVE records, then compares: per order, the filled quantity against the
intended one (partial fills, overfills, a size the broker holds differently) and whether the broker lists an
order Brokerdeck still counts as open; per structure, whether more than one member of a one-cancels-other
group filled, or a filled entry is left without a working exit; and the broker's orders that Brokerdeck did
not place. It never places, modifies or cancels anything: a finding says what to look at, the trader acts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from brokers.core.order_route import OrderRoute
from brokers.core.orders import BrokerExecution, BrokerOrder, Mode
from brokers.core.structures import LegRole
from brokers.trading.order_book import OrderRecord
from brokers.trading.structures import leg_name

READ_TIMEOUT_S = 30.0  # one pass waits at most this long for the broker's answers


class FindingKind(StrEnum):
    PARTIAL_FILL = "partial fill"
    MISMATCH = "mismatch"
    NOT_AT_BROKER = "not at the broker"
    UNKNOWN_ORDER = "unknown order"
    STRUCTURE = "structure"


@dataclass(frozen=True)
class Finding:
    kind: FindingKind
    detail: str  # what was found and what to do, in the trader's words
    key: str = ""  # our order's key ("" for an order Brokerdeck does not know)
    broker_order_id: str = ""


@dataclass(frozen=True)
class ReconcileReport:
    profile: str
    at: float
    orders_read: int
    executions_read: int
    findings: tuple[Finding, ...]
    error: str = ""  # why the broker could not be read (then there are no findings)

    @property
    def clean(self) -> bool:
        return not self.error and not self.findings

    def to_audit(self) -> dict[str, Any]:
        listed = [
            {"kind": f.kind.value, "detail": f.detail, "key": f.key, "id": f.broker_order_id} for f in self.findings
        ]
        return {"orders": self.orders_read, "executions": self.executions_read, "error": self.error, "findings": listed}

    def summary(self) -> str:
        if self.error:
            return f"Could not reconcile: {self.error}"
        if not self.findings:
            return f"In agreement with the broker ({self.orders_read} orders, {self.executions_read} executions read)."
        counts: dict[str, int] = {}
        for finding in self.findings:
            counts[finding.kind.value] = counts.get(finding.kind.value, 0) + 1
        return "Findings: " + ", ".join(f"{n} {kind}" for kind, n in counts.items())


async def reconcile_profile(
    profile: str,
    route: OrderRoute | None,
    records: Callable[[], tuple[OrderRecord, ...]],
    merge: Callable[[tuple[BrokerOrder, ...], tuple[BrokerExecution, ...]], object],
    now: Callable[[], float],
) -> ReconcileReport:
    """Read the broker once (bounded by READ_TIMEOUT_S), `merge` what it says, then compare."""
    if route is None:
        return ReconcileReport(profile, now(), 0, 0, (), error="not connected")
    try:
        orders, executions = await asyncio.wait_for(_read(route), READ_TIMEOUT_S)
    except Exception as exc:
        return ReconcileReport(profile, now(), 0, 0, (), error=f"the broker could not be read ({exc!r})")
    merge(orders, executions)
    return ReconcileReport(profile, now(), len(orders), len(executions), findings(records(), orders, profile))


async def _read(route: OrderRoute) -> tuple[tuple[BrokerOrder, ...], tuple[BrokerExecution, ...]]:
    return await route.orders(), await route.executions()


def findings(records: Iterable[OrderRecord], broker: Iterable[BrokerOrder], profile: str) -> tuple[Finding, ...]:
    """Compare the profile's LIVE records (already merged with the broker's reports) with the broker's orders."""
    live = [r for r in records if r.mode is Mode.LIVE and r.request.profile == profile]
    orders = list(broker)
    by_key = {o.key: o for o in orders if o.key}
    by_id = {o.broker_order_id: o for o in orders}
    found: list[Finding] = []
    matched: set[str] = set()
    for record in live:
        order = by_key.get(record.key) or by_id.get(record.broker_order_id)
        if order is None:
            if record.status.open or record.unresolved:
                found.append(
                    Finding(
                        FindingKind.NOT_AT_BROKER,
                        f"{_name(record)} is {record.status.value.lower()} here but the broker does not list it: "
                        "look at the broker's orders before placing it again.",
                        record.key,
                        record.broker_order_id,
                    )
                )
            continue
        matched.add(order.broker_order_id)
        found.extend(_order_findings(record, order))
    for order in orders:
        if order.broker_order_id not in matched:
            found.append(
                Finding(
                    FindingKind.UNKNOWN_ORDER,
                    f"The broker has order {order.broker_order_id} ({_ticket(order)}, {order.status.value.lower()}) "
                    "that Brokerdeck did not place or cannot match: check it at the broker.",
                    "",
                    order.broker_order_id,
                )
            )
    found.extend(_structure_findings(live))
    return tuple(found)


def leg_by_terms(leg: OrderRecord, orders: Iterable[BrokerOrder], claimed: set[str]) -> BrokerOrder | None:
    """The broker's one unclaimed order without our key that has the leg's terms (symbol, side, quantity, price):
    how a structure's child, which carries no key at IBKR, is found again. None for no match or several."""
    request = leg.request
    price = request.limit_price if request.order_type.needs_limit else request.stop_price
    fits = [
        order
        for order in orders
        if order.broker_order_id not in claimed
        and not order.key
        and order.symbol == request.symbol
        and order.side is request.side
        and order.quantity == request.quantity
        and (price is None or order.limit_price == price)
    ]
    return fits[0] if len(fits) == 1 else None


def _order_findings(record: OrderRecord, order: BrokerOrder) -> list[Finding]:
    intended, filled = record.request.quantity, order.filled
    out: list[Finding] = []
    if order.quantity is not None and order.quantity != intended:
        out.append(
            Finding(
                FindingKind.MISMATCH,
                f"{_name(record)}: the broker holds {order.quantity} where Brokerdeck intended {intended}.",
                record.key,
                order.broker_order_id,
            )
        )
    if filled > intended:
        out.append(
            Finding(
                FindingKind.MISMATCH,
                f"{_name(record)}: {filled} filled, more than the {intended} intended.",
                record.key,
                order.broker_order_id,
            )
        )
    elif 0 < filled < intended:
        state = "and still working" if order.status.open else f"and {order.status.value.lower()}"
        out.append(
            Finding(
                FindingKind.PARTIAL_FILL,
                f"{_name(record)}: {filled} of {intended} filled {state}.",
                record.key,
                order.broker_order_id,
            )
        )
    return out


def _structure_findings(live: list[OrderRecord]) -> list[Finding]:
    groups: dict[str, list[OrderRecord]] = {}
    for record in live:
        if record.structure:
            groups.setdefault(record.structure, []).append(record)
    out: list[Finding] = []
    for structure, legs in groups.items():
        legs.sort(key=lambda r: r.leg)
        members = [leg for leg in legs if leg.role in (LegRole.LEG, LegRole.STOP_LOSS, LegRole.TAKE_PROFIT)]
        filled = [leg for leg in members if leg.filled > 0]
        if len(filled) > 1:
            names = " and ".join(leg_name(leg.role, leg.leg) for leg in filled)
            out.append(
                Finding(
                    FindingKind.STRUCTURE,
                    f"Both {names} of one one-cancels-other group filled: the position is not what was intended.",
                    structure,
                )
            )
        entry = legs[0]
        exits = [leg for leg in legs if leg.role in (LegRole.STOP_LOSS, LegRole.TAKE_PROFIT)]
        unprotected = entry.role is LegRole.ENTRY and entry.filled > 0 and exits and not filled
        if unprotected and not any(leg.status.open for leg in exits):
            out.append(
                Finding(
                    FindingKind.STRUCTURE,
                    f"The entry filled {entry.filled} but no exit works: the position is unprotected.",
                    structure,
                )
            )
    return out


def _name(record: OrderRecord) -> str:
    side = record.request.side.value.lower()
    what = f"{side} {record.request.quantity} {record.request.symbol}"
    if record.structure:
        return f"The {leg_name(record.role, record.leg)} ({what})"
    return f"The order to {what}"


def _ticket(order: BrokerOrder) -> str:
    side = order.side.value.lower() if order.side is not None else "?"
    quantity = order.quantity if order.quantity is not None else Decimal(0)
    return f"{side} {quantity.normalize():f} {order.symbol}".strip()
