"""The trading core's state in the words and rows the trading widgets show; no Qt, no I/O.

The mapping is one to one (the widgets use the core's codes); what is added here is formatting: masked
accounts, local times, amounts with separators, and the ticket's form fields read into an `OrderRequest`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from brokers.core.accounts import mask_account
from brokers.core.orders import Mode, OrderRequest, OrderStatus, OrderType, Side, TimeInForce
from brokers.trading.desk import OrderResult
from brokers.trading.exchange_clock import EXCHANGE_TZ
from brokers.trading.limits import Limits
from brokers.trading.mode_state import ProfileMode
from brokers.trading.order_book import OrderRecord
from brokers.trading.readiness import Checklist
from widgets.trading_views import (
    DEFAULT_TICK,
    BlotterRow,
    CheckItemView,
    ProfileModeView,
    QuestionView,
    TicketContext,
    TicketValues,
)


class TicketInputError(ValueError):
    """A form field that is not a number; the message says which and what to enter."""


@dataclass(frozen=True)
class ProfileTrading:
    """What the window knows of one profile's trading at one moment."""

    profile: str
    can_trade: bool
    state: ProfileMode
    checklist: Checklist
    limits: Limits
    note: str = ""


def mode_view(facts: ProfileTrading) -> ProfileModeView:
    state = facts.state
    live = state.mode is Mode.LIVE
    until = ""
    if live and state.until is not None:
        until = f"until {datetime.fromtimestamp(state.until, EXCHANGE_TZ):%H:%M} New York"
    return ProfileModeView(
        profile=facts.profile,
        mode=state.mode.value,
        account_masked=mask_account(state.account) if state.account else "",
        until_text=until,
        can_trade=facts.can_trade,
        checklist=tuple(
            CheckItemView(item.title, item.ok, "" if item.ok else item.detail, item.fix)
            for item in facts.checklist.items
        ),
        note=facts.note,
        per_order_cap_text=_plain(facts.limits.per_order),
        daily_limit_text=_plain(facts.limits.daily),
    )


def ticket_context(
    profile: str,
    mode: Mode,
    account: str,
    symbol: str,
    conid: int | None,
    headroom: tuple[Decimal, Decimal],
    why_not: str,
    read_only: str = "",
    live_structures: frozenset[str] = frozenset(),
    tick_size: str = DEFAULT_TICK,
) -> TicketContext:
    per_order, daily_left = headroom
    return TicketContext(
        profile=profile,
        symbol=symbol,
        conid=conid,
        mode=mode.value,
        account_masked=mask_account(account) if account else "",
        per_order_left_text=f"{money_text(per_order)} per order",
        daily_left_text=f"{money_text(daily_left)} of buys today",
        can_place=not why_not,
        why_not=why_not,
        read_only=read_only,
        live_structures=live_structures,
        tick_size=tick_size,
    )


def read_only_text(display_name: str, checks: Checklist) -> str:
    """What the ticket says when the checklist finds that the profile's broker cannot trade; "" when it can."""
    can_trade = next((item for item in checks.items if item.key == "can_trade"), None)
    if can_trade is None or can_trade.ok:
        return ""
    return f"{display_name} is read-only in this version: orders are not sent. SHADOW still simulates them."


def tick_text(tick: float | None) -> str:
    """The instrument's price step as the ticket shows it ("0.01", "0.00005"); the default when unknown."""
    if tick is None or tick <= 0:
        return DEFAULT_TICK
    return f"{Decimal(str(tick)):f}"


def order_request(values: TicketValues, decision_id: str) -> OrderRequest:
    """The ticket's fields as an order; TicketInputError for a field that is not a number (the core judges
    everything else, in its own words)."""
    return OrderRequest(
        profile=values.profile,
        symbol=values.symbol,
        conid=values.conid,
        side=Side(values.side),
        quantity=ticket_number(values.quantity, "quantity") or Decimal(0),
        order_type=OrderType(values.order_type),
        limit_price=ticket_number(values.limit_price, "limit price"),
        stop_price=ticket_number(values.stop_price, "stop price"),
        tif=TimeInForce(values.tif),
        outside_rth=values.outside_rth,
        decision_id=decision_id,
    )


def blotter_row(record: OrderRecord) -> BlotterRow:
    request = record.request
    price = request.limit_price if request.order_type.needs_limit else request.stop_price
    if request.order_type is OrderType.STOP_LIMIT:
        price_text = f"{request.limit_price} (stop {request.stop_price})"
    else:
        price_text = str(price) if price is not None else "market"
    return BlotterRow(
        key=record.key,
        mode=record.mode.value,
        time_text=datetime.fromtimestamp(record.created_at).strftime("%H:%M:%S"),
        symbol=request.symbol,
        side=request.side.value,
        quantity=str(request.quantity),
        type_text=request.order_type.value,
        price_text=price_text,
        status=record.status.value,
        filled_text=str(record.filled),
        avg_price_text=price_text_of(record.average_price),
        message=record.message,
        cancellable=not record.status.final,
    )


def question_view(record: OrderRecord, account: str) -> QuestionView | None:
    question = record.question
    if question is None:
        return None
    request = record.request
    price = f" {request.limit_price or request.stop_price}" if request.order_type is not OrderType.MARKET else ""
    where = f"{record.mode.value}, {mask_account(account)}" if account else record.mode.value
    label = f"{request.side.value} {request.quantity} {request.symbol} {request.order_type.value}{price} ({where})"
    return QuestionView(record.key, label, question.messages, question.message_ids)


def ticket_number(text: str, what: str) -> Decimal | None:
    cleaned = text.strip().replace(",", "")
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise TicketInputError(f"The {what} must be a number, such as 100 or 189.50, not {text!r}.") from None
    if not value.is_finite():
        raise TicketInputError(f"The {what} must be a number, such as 100 or 189.50.")
    return value


def money_text(value: Decimal) -> str:
    """'250,000' for whole amounts, '1,234.50' otherwise."""
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


def price_text_of(value: Decimal | None) -> str:
    """A price with two to four decimals ('190.00', '190.0125'); "" when there is none."""
    if value is None:
        return ""
    text = f"{value:.4f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(2, '0')}"


def _plain(value: Decimal | None) -> str:
    return "" if value is None else f"{value:f}"


def order_result_text(result: OrderResult) -> tuple[str, bool]:
    """What placing, answering or cancelling one order did, in the core's words, and whether it was done."""
    record = result.record
    if result.refused:
        return (f"Not placed: {result.refused}" if record is None else result.refused), False
    if record is None:
        return "Done.", True
    request = record.request
    what = f"{record.mode.value}: {request.side.value} {request.quantity} {request.symbol}"
    if record.status is OrderStatus.QUESTION:
        return f"{what} waits for your answer to the broker's question.", True
    filled = f", filled {record.filled} at {price_text_of(record.average_price)}" if record.average_price else ""
    return f"{what} {record.status.value.lower().replace('_', ' ')}{filled}. {record.message}", True
