"""What makes a structure valid, its keys, what it exposes, and its state in words.

The cap and the daily ledger count a structure's net exposure, what it can open at most: a bracket's entry
(its exits only close it), the largest leg of an OCO (only one of them fills), an OTO's trigger and child
together when both go the same way (the child adds to the position), else the larger of the two. The ledger
counts buys only, so its figure is the same rule over the buy legs. One idempotency key covers the whole
structure; each leg's key is derived from it, so a retried structure is recognised by its first leg.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from brokers.core.orders import OrderRequest, OrderStatus, OrderType, Side
from brokers.core.structures import MAX_OCO_LEGS, LegRole, StructureKind, StructureRequest
from brokers.trading.idempotency import KEY_HEX_DIGITS, KEY_PREFIX, order_key
from brokers.trading.order_book import OrderRecord
from brokers.trading.ticket import ticket_problem

_LEG_NAMES = {
    LegRole.ENTRY: "entry",
    LegRole.STOP_LOSS: "stop-loss",
    LegRole.TAKE_PROFIT: "take-profit",
    LegRole.TRIGGER: "trigger",
    LegRole.CHILD: "child",
    LegRole.LEG: "leg",
}


def leg_name(role: LegRole | None, index: int) -> str:
    """A leg as the trader reads it: "stop-loss", "leg 2"."""
    if role is None:
        return "order"
    return f"leg {index + 1}" if role is LegRole.LEG else _LEG_NAMES[role]


def normalized(structure: StructureRequest, decision_id: str) -> StructureRequest:
    """The structure with its decision id on every leg and symbols in upper case."""
    legs = tuple(replace(leg, symbol=leg.symbol.strip().upper(), decision_id=decision_id) for leg in structure.legs)
    return replace(structure, legs=legs, decision_id=decision_id)


def bracket_around(entry: OrderRequest, stop: Decimal | None, target: Decimal | None) -> StructureRequest:
    """A bracket on `entry`: a stop-loss at `stop` and a take-profit at `target`, each closing the whole entry
    on the other side (the window's ticket and the CLI build it the same way)."""
    exit_side = Side.SELL if entry.side is Side.BUY else Side.BUY
    closing = replace(entry, side=exit_side, limit_price=None, stop_price=None)
    legs = (
        entry,
        replace(closing, order_type=OrderType.STOP, stop_price=stop),
        replace(closing, order_type=OrderType.LIMIT, limit_price=target),
    )
    return StructureRequest(StructureKind.BRACKET, legs, entry.decision_id)


def structure_problem(structure: StructureRequest) -> str:
    """What is wrong with the structure, in words that say what to change; "" when it is valid."""
    legs, kind = structure.legs, structure.kind
    expected = {StructureKind.BRACKET: 3, StructureKind.OTO: 2}.get(kind)
    if expected is not None and len(legs) != expected:
        return f"A {kind.value.lower()} has {expected} legs, not {len(legs)}."
    if kind is StructureKind.OCO and not 2 <= len(legs) <= MAX_OCO_LEGS:
        return f"An OCO group has 2 to {MAX_OCO_LEGS} legs."
    if len({leg.profile for leg in legs}) != 1:
        return "Every leg of a structure goes to the same profile."
    for role, (index, leg) in zip(structure.roles, enumerate(legs), strict=True):
        problem = ticket_problem(leg)
        if problem:
            return f"The {leg_name(role, index)}: {problem}"
    if kind is StructureKind.BRACKET:
        return _bracket_problem(*legs)
    return ""


def _bracket_problem(entry: OrderRequest, stop: OrderRequest, target: OrderRequest) -> str:
    if {stop.symbol, target.symbol} != {entry.symbol} or {stop.conid, target.conid} != {entry.conid}:
        return "A bracket's exits trade the entry's instrument."
    exit_side = Side.SELL if entry.side is Side.BUY else Side.BUY
    if stop.side is not exit_side or target.side is not exit_side:
        return f"A bracket's exits {exit_side.value.lower()} what the entry {entry.side.value.lower()}s."
    if stop.quantity != entry.quantity or target.quantity != entry.quantity:
        return "A bracket's exits close the whole entry: give them the entry's quantity."
    if not stop.order_type.needs_stop:
        return "The stop-loss is a stop (or stop-limit) order."
    if target.order_type is not OrderType.LIMIT:
        return "The take-profit is a limit order."
    stop_price, target_price = stop.stop_price, target.limit_price
    if stop_price is None or target_price is None:
        return "A bracket needs a stop price and a target price."
    long = entry.side is Side.BUY
    if (stop_price >= target_price) if long else (stop_price <= target_price):
        where = "below" if long else "above"
        return f"The stop-loss goes {where} the take-profit for a {'long' if long else 'short'} entry."
    reference = (entry.limit_price if entry.order_type.needs_limit else entry.stop_price) or stop_price
    if reference is not None and not (
        (stop_price < reference < target_price) if long else (target_price < reference < stop_price)
    ):
        return "The entry's price lies between the stop-loss and the take-profit."
    return ""


def structure_key(structure: StructureRequest) -> str:
    """The structure's idempotency key: its kind and every leg's own key, so any change is a new structure."""
    parts = [structure.kind.value, *(order_key(leg) for leg in structure.legs)]
    return _key("\x1f".join(parts))


def leg_keys(structure_key_: str, legs: int) -> tuple[str, ...]:
    """Each leg's key (the first one is the parent's `cOID` at IBKR), derived from the structure's."""
    return tuple(_key(f"{structure_key_}\x1f{index}") for index in range(legs))


def _key(text: str) -> str:
    return KEY_PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()[:KEY_HEX_DIGITS]


def net_exposure(kind: StructureKind, legs: Sequence[tuple[Side, Decimal]]) -> Decimal:
    """What the structure can open at most, from each leg's (side, notional)."""
    values = [value for _side, value in legs]
    if not values:
        return Decimal(0)
    if kind is StructureKind.BRACKET:
        return values[0]
    if kind is StructureKind.OTO and len({side for side, _ in legs}) == 1:
        return sum(values, Decimal(0))
    return max(values)


def buy_exposure(kind: StructureKind, legs: Sequence[tuple[Side, Decimal]]) -> Decimal:
    """The net exposure over the buy legs only (what the daily buy ledger counts)."""
    if kind is StructureKind.OTO and len({side for side, _ in legs}) == 1:
        return net_exposure(kind, legs) if legs and legs[0][0] is Side.BUY else Decimal(0)
    return net_exposure(kind, [(side, value if side is Side.BUY else Decimal(0)) for side, value in legs])


def structure_state(legs: Sequence[OrderRecord]) -> str:
    """The structure's state in a few words, for the blotter's group row and the CLI."""
    if not legs:
        return ""
    statuses = [leg.status for leg in legs]
    names = [leg_name(leg.role, leg.leg) for leg in legs]
    if any(s is OrderStatus.QUESTION for s in statuses):
        return "question waiting"
    if any(s in (OrderStatus.UNKNOWN, OrderStatus.PENDING) for s in statuses):
        return "not yet confirmed"
    if all(s is OrderStatus.REJECTED for s in statuses):
        return "rejected"
    placed = [s for s in statuses if s is not OrderStatus.REJECTED]
    if len(placed) < len(statuses) and any(s is not OrderStatus.REJECTED for s in statuses):
        return "partial failure"
    filled = [name for name, leg in zip(names, legs, strict=True) if leg.filled > 0]
    if all(s.final for s in statuses):
        return f"done: {', '.join(filled)} filled" if filled else "cancelled"
    first = legs[0]
    if first.role in (LegRole.ENTRY, LegRole.TRIGGER) and first.status is not OrderStatus.FILLED:
        partly = " (partly filled)" if first.filled > 0 else ""
        return f"{names[0]} working{partly}"
    if filled and any(s is OrderStatus.PENDING_CANCEL for s in statuses):
        return f"{', '.join(filled)} filled; cancelling the rest"
    working = [name for name, s in zip(names, statuses, strict=True) if s.open]
    return f"{', '.join(filled) + ' filled; ' if filled else ''}{', '.join(working)} working"
