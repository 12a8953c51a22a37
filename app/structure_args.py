"""`brokerdeck orders place … --bracket | --oco | --oto`: a structure from the command line.

The order the flags describe (`--side`, `--quantity`, `--type`, `--limit`, `--stop`) is the structure's first
leg: a bracket's entry, an OCO's first leg, an OTO's trigger. `--bracket STOP TARGET` adds a stop-loss at STOP
and a take-profit at TARGET for the entry's quantity on the other side; `--oco LEG …` adds legs; `--oto LEG`
adds the child. A LEG is `SIDE:QUANTITY:TYPE[:PRICE[:STOP]]`, e.g. `sell:10:limit:195` or
`sell:10:stop-limit:179.5:180` (the limit, then the stop).
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from brokers.core.orders import OrderRequest
    from brokers.core.structures import StructureRequest

LEG_FORMAT = "SIDE:QUANTITY:TYPE[:PRICE[:STOP]]"
_SIDES = {"buy": "BUY", "sell": "SELL"}
_TYPES = {"market": "MKT", "mkt": "MKT", "limit": "LMT", "lmt": "LMT", "stop": "STP", "stp": "STP"}
_TYPES |= {"stop-limit": "STOP_LIMIT", "stop_limit": "STOP_LIMIT"}


class LegSpecError(ValueError):
    """A leg written in a way that cannot be read; the message shows the expected form."""


def add_arguments(place: argparse.ArgumentParser) -> None:
    structure = place.add_mutually_exclusive_group()
    structure.add_argument(
        "--bracket",
        nargs=2,
        metavar=("STOP", "TARGET"),
        help="make the order a bracket's entry, with a stop-loss at STOP and a take-profit at TARGET",
    )
    structure.add_argument(
        "--oco",
        nargs="+",
        metavar="LEG",
        help=f"one-cancels-other: the order and these legs ({LEG_FORMAT}, e.g. sell:10:limit:195)",
    )
    structure.add_argument(
        "--oto", metavar="LEG", help=f"one-triggers-other: the order, then this child once it fills ({LEG_FORMAT})"
    )


def wants_structure(args: argparse.Namespace) -> bool:
    return bool(args.bracket or args.oco or args.oto)


def structure_of(args: argparse.Namespace, first: OrderRequest) -> StructureRequest:
    """The structure the flags describe around `first`; LegSpecError for a leg that cannot be read."""
    from brokers.core.structures import StructureKind, StructureRequest
    from brokers.trading.structures import bracket_around

    if args.bracket:
        stop, target = (_price(text, "--bracket") for text in args.bracket)
        return bracket_around(first, stop, target)
    if args.oco:
        oco = (first, *(leg_of(text, first) for text in args.oco))
        return StructureRequest(StructureKind.OCO, oco, first.decision_id)
    return StructureRequest(StructureKind.OTO, (first, leg_of(args.oto, first)), first.decision_id)


def leg_of(text: str, first: OrderRequest) -> OrderRequest:
    """A leg on `first`'s instrument and profile from `SIDE:QUANTITY:TYPE[:PRICE[:STOP]]`."""
    from brokers.core.orders import OrderType, Side

    parts = [part.strip() for part in text.split(":")]
    if len(parts) < 3 or len(parts) > 5:
        raise LegSpecError(f"a leg is written {LEG_FORMAT}, e.g. sell:10:limit:195 (not {text!r})")
    side, quantity, kind = parts[0].lower(), parts[1], parts[2].lower()
    if side not in _SIDES or kind not in _TYPES:
        raise LegSpecError(f"in {text!r}: the side is buy or sell, the type one of {', '.join(sorted(_TYPES))}")
    order_type = OrderType(_TYPES[kind])
    prices = [_price(part, text) for part in parts[3:]]
    limit = stop = None
    if order_type is OrderType.STOP_LIMIT:
        if len(prices) != 2:
            raise LegSpecError(f"in {text!r}: a stop-limit leg gives its limit, then its stop")
        limit, stop = prices
    elif order_type.needs_limit or order_type.needs_stop:
        if len(prices) != 1:
            raise LegSpecError(f"in {text!r}: give the leg's price after its type")
        limit, stop = (prices[0], None) if order_type.needs_limit else (None, prices[0])
    elif prices:
        raise LegSpecError(f"in {text!r}: a market leg takes no price")
    return replace(
        first,
        side=Side(_SIDES[side]),
        quantity=_price(quantity, text),
        order_type=order_type,
        limit_price=limit,
        stop_price=stop,
    )


def _price(text: str, where: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise LegSpecError(f"in {where}: {text!r} is not a number") from None
    if not value.is_finite():
        raise LegSpecError(f"in {where}: {text!r} is not a number")
    return value
