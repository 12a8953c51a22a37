"""Order structures in the window's words; no Qt, no I/O.

The ticket's fields read as a `StructureRequest` (a bracket's exits entered in ticks become prices counted
from the entry's price), what that structure would expose against the limits (the core's `net_exposure`),
the blotter's rows with each structure's legs under one group row, and what placing or cancelling did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from app.trading_rows import TicketInputError, blotter_row, money_text, price_text_of, ticket_number
from brokers.core.market import InstrumentQuotes
from brokers.core.orders import OrderRequest, OrderStatus, OrderType, Side, TimeInForce
from brokers.core.structures import LegRole, StructureKind, StructureRequest, roles_of
from brokers.trading.desk import OrderResult
from brokers.trading.order_book import OrderRecord
from brokers.trading.structure_desk import StructureResult
from brokers.trading.structures import (
    bracket_around,
    buy_exposure,
    leg_name,
    net_exposure,
    normalized,
    structure_problem,
    structure_state,
)
from brokers.trading.ticket import valuation_price
from widgets.trading_views import DEFAULT_TICK, PRICES, STRUCTURES, BlotterRow, StructurePreview, TicketValues

#: a structure's kind, told by any of its legs' roles (the records keep roles, not kinds)
KIND_OF_ROLE: dict[LegRole, StructureKind] = {
    LegRole.ENTRY: StructureKind.BRACKET,
    LegRole.STOP_LOSS: StructureKind.BRACKET,
    LegRole.TAKE_PROFIT: StructureKind.BRACKET,
    LegRole.TRIGGER: StructureKind.OTO,
    LegRole.CHILD: StructureKind.OTO,
    LegRole.LEG: StructureKind.OCO,
}
PREVIEW_DECISION = "preview"


def structure_request(values: TicketValues, quotes: InstrumentQuotes | None, decision_id: str) -> StructureRequest:
    """The ticket's structure; TicketInputError for a field that is not a number, or exits in ticks with no
    price to count them from (the core judges everything else, in its own words)."""
    kind = StructureKind(values.structure)
    tif = TimeInForce(values.tif)
    if kind is StructureKind.BRACKET:
        return replace(_bracket(values, quotes, tif), decision_id=decision_id)
    legs = tuple(
        OrderRequest(
            profile=values.profile,
            symbol=values.symbol,
            conid=values.conid,
            side=Side(leg.side),
            quantity=ticket_number(leg.quantity, f"{name}'s quantity") or Decimal(0),
            order_type=OrderType(leg.order_type),
            limit_price=ticket_number(leg.price, f"{name}'s price") if leg.order_type == "LMT" else None,
            stop_price=ticket_number(leg.price, f"{name}'s price") if leg.order_type == "STP" else None,
            tif=tif,
            outside_rth=values.outside_rth,
        )
        for name, leg in zip(_leg_names(kind, len(values.legs)), values.legs, strict=True)
    )
    return StructureRequest(kind, legs, decision_id)


def _bracket(values: TicketValues, quotes: InstrumentQuotes | None, tif: TimeInForce) -> StructureRequest:
    entry = OrderRequest(
        profile=values.profile,
        symbol=values.symbol,
        conid=values.conid,
        side=Side(values.side),
        quantity=ticket_number(values.quantity, "quantity") or Decimal(0),
        order_type=OrderType(values.order_type),
        limit_price=ticket_number(values.limit_price, "entry price"),
        tif=tif,
        outside_rth=values.outside_rth,
    )
    return bracket_around(entry, *_exit_prices(values, entry, quotes))


def _exit_prices(
    values: TicketValues, entry: OrderRequest, quotes: InstrumentQuotes | None
) -> tuple[Decimal | None, Decimal | None]:
    """The stop-loss and take-profit prices: as typed, or that many ticks away from the entry's price (its
    limit, or for a market entry the touch it would trade at now)."""
    if values.exits_in == PRICES:
        return ticket_number(values.stop_loss, "stop-loss price"), ticket_number(values.take_profit, "target price")
    stop_ticks = _ticks(values.stop_loss, "stop-loss")
    target_ticks = _ticks(values.take_profit, "take-profit")
    if stop_ticks is None or target_ticks is None:
        return None, None
    reference = valuation_price(entry, quotes)
    if reference is None:
        raise TicketInputError(
            "No bid or ask to count the ticks from: give the entry a limit price, or enter the exits as prices."
        )
    tick = ticket_number(values.tick_size, "tick size") or Decimal(DEFAULT_TICK)
    direction = 1 if entry.side is Side.BUY else -1
    return reference - direction * stop_ticks * tick, reference + direction * target_ticks * tick


def _ticks(text: str, what: str) -> Decimal | None:
    ticks = ticket_number(text, f"{what} distance")
    if ticks is not None and (ticks <= 0 or ticks != ticks.to_integral_value()):
        raise TicketInputError(f"The {what} distance is a whole number of ticks above 0, such as 20.")
    return ticks


def _leg_names(kind: StructureKind, legs: int) -> tuple[str, ...]:
    return tuple(leg_name(role, index) for index, role in enumerate(roles_of(kind, legs)))


def structure_preview(
    values: TicketValues, quotes: InstrumentQuotes | None, headroom: tuple[Decimal, Decimal]
) -> StructurePreview:
    """What the ticket's structure would expose against the per-order cap and today's buy headroom, where a
    bracket's exits land, and what the core says is wrong with it."""
    try:
        structure = normalized(structure_request(values, quotes, PREVIEW_DECISION), PREVIEW_DECISION)
    except (TicketInputError, ValueError) as exc:
        return StructurePreview(problem=str(exc))
    exits = _exits_text(structure)
    problem = structure_problem(structure)
    sides: list[tuple[Side, Decimal]] = []
    for leg in structure.legs:
        price = valuation_price(leg, quotes)
        if price is None:
            return StructurePreview("No bid or ask to value the market leg yet.", False, exits, problem)
        sides.append((leg.side, leg.quantity * price))
    exposure, buys = net_exposure(structure.kind, sides), buy_exposure(structure.kind, sides)
    cap, left = headroom
    text = f"Net exposure {money_text(exposure)} (cap {money_text(cap)} per order)"
    if buys > 0:
        text += f"; buys {money_text(buys)} of {money_text(left)} left today"
    return StructurePreview(text + ".", exposure > cap or buys > left, exits, problem)


def _exits_text(structure: StructureRequest) -> str:
    if structure.kind is not StructureKind.BRACKET or len(structure.legs) != 3:
        return ""
    _entry, stop, target = structure.legs
    if stop.stop_price is None or target.limit_price is None:
        return ""
    side = stop.side.value.capitalize()
    stop_text, target_text = price_text_of(stop.stop_price), price_text_of(target.limit_price)
    return f"Exits: {side} {stop.quantity}, stop {stop_text}, target {target_text}"


def blotter_rows(records: Sequence[OrderRecord]) -> tuple[BlotterRow, ...]:
    """Newest first; a structure's group row stands where its first leg would, its legs beneath in leg order."""
    groups: dict[str, list[OrderRecord]] = {}
    entries: list[tuple[float, OrderRecord | str]] = []
    for record in records:
        if not record.structure:
            entries.append((record.created_at, record))
        elif record.structure not in groups:
            groups[record.structure] = [record]
            entries.append((record.created_at, record.structure))
        else:
            groups[record.structure].append(record)
    rows: list[BlotterRow] = []
    for _at, entry in sorted(entries, key=lambda item: item[0], reverse=True):
        if isinstance(entry, OrderRecord):
            rows.append(blotter_row(entry))
            continue
        legs = sorted(groups[entry], key=lambda r: r.leg)
        rows.append(group_row(entry, legs))
        rows.extend(leg_row(leg) for leg in legs)
    return tuple(rows)


def group_row(key: str, legs: Sequence[OrderRecord]) -> BlotterRow:
    """The row of a whole structure: its kind, its state in words, and Cancel while any leg is open."""
    first = legs[0]
    request = first.request
    kind = structure_kind(first)
    return BlotterRow(
        key=key,
        mode=first.mode.value,
        time_text=datetime.fromtimestamp(first.created_at).strftime("%H:%M:%S"),
        symbol=request.symbol,
        side="" if kind is StructureKind.OCO else request.side.value,  # an OCO's legs each have their own
        quantity="" if kind is StructureKind.OCO else str(request.quantity),
        type_text="",
        price_text="",
        status=structure_state(legs),
        filled_text="",
        avg_price_text="",
        message=first.message,
        cancellable=any(not leg.status.final and leg.status is not OrderStatus.PENDING_CANCEL for leg in legs),
        structure_text=structure_name(first),
        is_group=True,
    )


def leg_row(record: OrderRecord) -> BlotterRow:
    """A leg beneath its group row: its name, and how much of it has filled."""
    return replace(
        blotter_row(record),
        structure_text=leg_name(record.role, record.leg),
        group=record.structure,
        filled_text=f"{record.filled}/{record.request.quantity}",
    )


def leg_label(record: OrderRecord) -> str:
    """A leg named with its structure, for the broker's question about it: "Bracket entry"."""
    return f"{structure_name(record)} {leg_name(record.role, record.leg)}"


def structure_kind(leg: OrderRecord) -> StructureKind | None:
    return KIND_OF_ROLE.get(leg.role) if leg.role is not None else None


def structure_name(leg: OrderRecord) -> str:
    """ "Bracket", "OCO", "OTO": the kind of the structure `leg` belongs to."""
    kind = structure_kind(leg)
    return STRUCTURES[kind.value] if kind is not None else "Structure"


def structure_result_text(result: StructureResult) -> str:
    """What placing a structure did, in the core's words."""
    legs = result.legs
    if not legs:
        return f"Not placed: {result.refused}" if result.refused else "Done."
    if result.refused:
        return result.refused
    first = legs[0]
    request = first.request
    what = f"{first.mode.value}: {structure_name(first)} {request.side.value} {request.quantity} {request.symbol}"
    return f"{what}: {structure_state(legs)}."


def cancel_result_text(results: Sequence[OrderResult]) -> tuple[str, bool]:
    """What cancelling a structure did: every leg's refusal, or how many legs were asked to cancel."""
    refusals = [result.refused for result in results if result.refused]
    if refusals:
        return " ".join(refusals), False
    if not results:
        return "Nothing to cancel: every leg is already done.", True
    return f"Cancel asked for {len(results)} leg{'s' if len(results) != 1 else ''} of the structure.", True
