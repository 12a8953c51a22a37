"""Brackets, OCA groups and one-triggers-other pairs as IBKR takes them (reference §7).

A bracket is one request `[entry, stop-loss, take-profit]`: the entry carries its key as `cOID`, each exit
`parentId` = that cOID and no cOID of its own; IBKR holds the exits until the entry fills and makes them
cancel each other itself, so no `isSingleGroup` is sent. An OCO is the same shape with `isSingleGroup: true`
on every order (IBKR's own example; there is no OCA group name or type field), and its members all work
at once. IBKR's Client Portal API has no "trigger" link other than the parent's, so an OTO is two requests:
the trigger, then, once IBKR took it, the child naming the trigger's IBKR order id as its parent (held
until the trigger fills). Placing the child second means it can fail after the trigger went live, so any
failure of the child cancels the trigger: an entry never stands unprotected without the trader knowing.

Everything IBKR cannot take is refused before anything is sent, the OTO child's ticket included.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from brokers.core.orders import Ambiguous, OrderStatus, Refused
from brokers.core.structures import (
    MAX_OCO_LEGS,
    LegsAccepted,
    PartlyPlaced,
    StructureKind,
    StructureOutcome,
    StructureRequest,
)
from brokers.ibkr.errors import IbkrError
from brokers.ibkr.order_dialogue import Desk, Dialogue, outcome_of_failure, withdraw
from brokers.ibkr.order_tickets import TicketUnsendable, status_of, ticket

STRUCTURES = frozenset({StructureKind.BRACKET, StructureKind.OCO, StructureKind.OTO})
_ZERO = Decimal(0)
_LEG_COUNTS = {StructureKind.BRACKET: (3, 3), StructureKind.OTO: (2, 2), StructureKind.OCO: (2, MAX_OCO_LEGS)}
_ECHOED_KEY_FIELDS = ("local_order_id", "order_ref", "cOID")  # where IBKR may echo a parent's cOID in its answer


def orders_path(account: str) -> str:
    return f"/iserver/account/{account}/orders"


@dataclass(frozen=True)
class Plan:
    """A structure ready to send: the tickets of its first request and what IBKR's answer to it means."""

    tickets: list[dict[str, Any]]
    dialogue: Dialogue[StructureOutcome]


def plan(structure: StructureRequest, keys: tuple[str, ...], desk: Desk) -> Plan | Refused:
    """The structure's first request, or Refused saying what to change for IBKR to take it."""
    kind, legs = structure.kind, structure.legs
    if kind not in STRUCTURES:
        return Refused(f"IBKR does not take {kind.value} orders through Brokerdeck")
    least, most = _LEG_COUNTS[kind]
    if not least <= len(legs) <= most:
        wanted = str(least) if least == most else f"{least} to {most}"
        return Refused(f"an IBKR {kind.value} takes {wanted} legs, not {len(legs)}")
    if len(keys) != len(legs) or not all(keys):
        return Refused(f"every leg needs its own idempotency key ({len(legs)} legs, {len(keys)} keys given)")
    if len({leg.profile for leg in legs}) > 1:
        return Refused(f"IBKR links orders of one account only: place every leg of the {kind.value} in one profile")
    if kind is StructureKind.BRACKET and (problem := _bracket_problem(structure)):
        return Refused(problem)
    try:
        tickets = [ticket(leg, key, desk.account) for leg, key in zip(legs, keys, strict=True)]
    except TicketUnsendable as exc:
        return Refused(f"IBKR cannot take this {kind.value}: {exc}")
    parent, children = tickets[0], tickets[1:]
    if kind is StructureKind.OTO:
        return Plan([parent], OtoTrigger(desk, keys, children[0]))
    if kind is StructureKind.OCO:
        group = {"isSingleGroup": True}
        return Plan([parent | group] + [_linked(c, keys[0]) | group for c in children], LegsTogether(desk, kind, keys))
    return Plan([parent] + [_linked(c, keys[0]) for c in children], LegsTogether(desk, kind, keys))


def _bracket_problem(structure: StructureRequest) -> str | None:
    entry, *exits = structure.legs
    if any(leg.conid != entry.conid for leg in exits):
        return "a bracket's stop-loss and take-profit must be on the entry's instrument (the same IBKR conid)"
    if any(leg.side is entry.side for leg in exits):
        return f"a bracket's stop-loss and take-profit must be on the other side than its {entry.side.value} entry"
    return None


def _linked(child: dict[str, Any], parent_ref: str) -> dict[str, Any]:
    """A child's ticket: linked to its parent by `parentId`, with no cOID of its own (IBKR refuses one)."""
    return {k: v for k, v in child.items() if k != "cOID"} | {"parentId": parent_ref}


def _name(keys: tuple[str, ...], index: int) -> str:
    return f"leg {index + 1} ({keys[index]})"


@dataclass(frozen=True)
class _Leg:
    """One leg's element of IBKR's answer: its order id and status, or why IBKR did not place it."""

    order_id: str
    status: OrderStatus
    error: str = ""


def _legs_of(rows: list[Any], parent_key: str, count: int) -> list[_Leg] | None:
    """IBKR's answer as one `_Leg` per leg in leg order; None when it cannot be matched to the legs.

    IBKR answers one element per order in the order sent. The parent is recognised by its cOID when the
    answer echoes it (else it is the first element); children carry nothing to match by, so they keep
    their order among the rest.
    """
    if len(rows) != count or not all(isinstance(r, dict) for r in rows):
        return None
    echoing = [i for i, r in enumerate(rows) if parent_key in (str(r.get(f) or "") for f in _ECHOED_KEY_FIELDS)]
    first = echoing[0] if len(echoing) == 1 else 0
    ordered = [rows[first]] + [r for i, r in enumerate(rows) if i != first]
    legs = []
    for row in ordered:
        if row.get("order_id") not in (None, ""):
            legs.append(_Leg(str(row["order_id"]), status_of(row.get("order_status"), _ZERO)))
        else:
            legs.append(_Leg("", OrderStatus.REJECTED, str(row.get("error") or f"unreadable answer {row}").strip()))
    return legs


def _held(parent: OrderStatus, child: OrderStatus) -> OrderStatus:
    """A child of a parent that has not filled waits for it (IBKR reports such a child as PreSubmitted)."""
    if parent is not OrderStatus.FILLED and child in (OrderStatus.WORKING, OrderStatus.PENDING):
        return OrderStatus.HELD
    return child


class LegsTogether:
    """A bracket or an OCO group sent as one request: IBKR's array names every leg, or says which it refused."""

    def __init__(self, desk: Desk, kind: StructureKind, keys: tuple[str, ...]) -> None:
        self._desk, self._kind, self._keys = desk, kind, keys

    async def accepted(self, rows: list[Any]) -> StructureOutcome:
        legs = _legs_of(rows, self._keys[0], len(self._keys))
        if legs is None:
            return Ambiguous(
                f"IBKR answered the {self._kind.value} {self._keys[0]} with {len(rows)} elements for "
                f"{len(self._keys)} orders, so its legs cannot be told apart: {str(rows)[:200]}. "
                "It is looked up at IBKR and never sent again blindly."
            )
        statuses = [leg.status for leg in legs]
        if self._kind is StructureKind.BRACKET:
            statuses = [statuses[0]] + [_held(statuses[0], s) for s in statuses[1:]]
        if all(leg.order_id for leg in legs):
            return LegsAccepted(tuple(leg.order_id for leg in legs), tuple(statuses))
        if not any(leg.order_id for leg in legs):
            return Refused(f"IBKR refused the {self._kind.value}: {legs[0].error}")
        return await self._partly(legs)

    async def _partly(self, legs: list[_Leg]) -> PartlyPlaced:
        """Some legs went live and others were refused: cancel the live ones (a bracket's parent takes its
        children with it, so only the parent is cancelled then)."""
        placed = [leg.order_id for leg in legs if leg.order_id]
        if self._kind is StructureKind.BRACKET and legs[0].order_id:
            placed = [legs[0].order_id]
        answers = [await withdraw(self._desk, order_id) for order_id in placed]
        refused = "; ".join(f"{_name(self._keys, i)}: {leg.error}" for i, leg in enumerate(legs) if not leg.order_id)
        live = ", ".join(
            f"{_name(self._keys, i)} as IBKR order {leg.order_id}" for i, leg in enumerate(legs) if leg.order_id
        )
        return PartlyPlaced(
            reason=f"IBKR placed {live} of the {self._kind.value} but refused {refused}; "
            "the placed orders were asked to cancel",
            broker_order_ids=tuple(leg.order_id for leg in legs),
            cancel_said="; ".join(said for said, _ in answers),
            cancelled=all(ok for _, ok in answers),
        )

    async def failed(self, outcome: Refused | Ambiguous) -> StructureOutcome:
        return outcome


class OtoTrigger:
    """An OTO's first request, the trigger alone: once IBKR took it, the child goes out naming its order id."""

    def __init__(self, desk: Desk, keys: tuple[str, ...], child: dict[str, Any]) -> None:
        self._desk, self._keys, self._child = desk, keys, child

    async def accepted(self, rows: list[Any]) -> StructureOutcome:
        legs = _legs_of(rows, self._keys[0], 1)
        if legs is None or not legs[0].order_id:
            return Ambiguous(
                f"IBKR answered the OTO trigger {self._keys[0]} with something unreadable: {str(rows)[:200]}. "
                f"Its child {self._keys[1]} was not sent; the trigger is looked up at IBKR."
            )
        trigger = legs[0]
        if trigger.status in (OrderStatus.REJECTED, OrderStatus.CANCELLED):
            return Refused(
                f"IBKR took the OTO trigger {self._keys[0]} as order {trigger.order_id} but it is already "
                f"{trigger.status.value}; its child {self._keys[1]} was not sent"
            )
        child = OtoChild(self._desk, self._keys, trigger)
        body = {"orders": [_linked(self._child, trigger.order_id)]}
        try:
            answer = await self._desk.send("POST", orders_path(self._desk.account), body, f"the order {self._keys[1]}")
        except IbkrError as error:
            return await child.failed(outcome_of_failure(error))
        return await self._desk.follow(answer, (), child)

    async def failed(self, outcome: Refused | Ambiguous) -> StructureOutcome:
        if isinstance(outcome, Ambiguous):
            return Ambiguous(f"{outcome.reason} The OTO's child {self._keys[1]} was not sent.")
        return outcome


class OtoChild:
    """An OTO's second request, the child of a trigger IBKR already took: if it fails, the trigger is cancelled."""

    def __init__(self, desk: Desk, keys: tuple[str, ...], trigger: _Leg) -> None:
        self._desk, self._keys, self._trigger = desk, keys, trigger

    async def accepted(self, rows: list[Any]) -> StructureOutcome:
        legs = _legs_of(rows, self._keys[1], 1)
        if legs is None or not legs[0].order_id:
            reason = legs[0].error if legs else f"IBKR's answer was unreadable: {str(rows)[:200]}"
            return await self.failed(Refused(f"IBKR refused the order: {reason}"))
        trigger, child = self._trigger, legs[0]
        statuses = (trigger.status, _held(trigger.status, child.status))
        return LegsAccepted((trigger.order_id, child.order_id), statuses)

    async def failed(self, outcome: Refused | Ambiguous) -> StructureOutcome:
        said, cancelled = await withdraw(self._desk, self._trigger.order_id)
        return PartlyPlaced(
            reason=f"the OTO trigger went live as IBKR order {self._trigger.order_id}, but its child "
            f"{self._keys[1]} was not placed ({outcome.reason}); the trigger was asked to cancel so it does "
            "not stand without its child",
            broker_order_ids=(self._trigger.order_id, ""),
            cancel_said=said,
            cancelled=cancelled,
        )
