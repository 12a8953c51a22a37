"""What makes an order ticket valid, and what it is worth for the cap and the ledger.

The desk runs these first, the same way in SHADOW and LIVE, so a SHADOW order that passes would have
been sent as it is.
"""

from __future__ import annotations

from decimal import Decimal
from enum import Enum

from brokers.core.market import InstrumentQuotes
from brokers.core.orders import OrderRequest, OrderType, Side, TimeInForce


def ticket_problem(request: OrderRequest) -> str:
    """What is wrong with the ticket, in words that say what to change; "" when it is valid."""
    if not request.profile.strip():
        return "The order names no profile."
    if not request.symbol.strip() or any(ch.isspace() for ch in request.symbol.strip()):
        return "Enter the instrument's symbol (one word, such as AAPL)."
    if not _member(request.side, Side):
        return "Choose BUY or SELL."
    if not _member(request.order_type, OrderType):
        return "Choose the order type: market, limit, stop or stop-limit."
    if not _member(request.tif, TimeInForce):
        return "Choose how long the order lasts: DAY, GTC, IOC or OPG."
    quantity = request.quantity
    if not isinstance(quantity, Decimal) or not quantity.is_finite() or quantity <= 0:
        return "Enter a quantity of at least 1."
    if quantity != quantity.to_integral_value():
        return "Enter a whole number of shares (fractions cannot be ordered here)."
    for price, needed, name in (
        (request.limit_price, request.order_type.needs_limit, "limit price"),
        (request.stop_price, request.order_type.needs_stop, "stop price"),
    ):
        kind = request.order_type.name.replace("_", "-").lower()
        if needed and price is None:
            return f"A {kind} order needs a {name}."
        if not needed and price is not None:
            return f"A {kind} order takes no {name}; clear it."
        if price is not None and (not isinstance(price, Decimal) or not price.is_finite() or price <= 0):
            return f"Enter a {name} above 0."
    return ""


def _member(value: object, kind: type[Enum]) -> bool:
    """A script may hand in plain text where an enum belongs; the ticket takes only the enum's members."""
    return isinstance(value, kind)


def valuation_price(request: OrderRequest, quotes: InstrumentQuotes | None) -> Decimal | None:
    """The price the cap counts the order at: its limit (the higher of limit and stop for a stop-limit),
    its stop, or for a market order the touch it would trade at; None when nothing prices it."""
    prices = [p for p in (request.limit_price, request.stop_price) if p is not None]
    if prices:
        return max(prices)
    if quotes is None:
        return None
    touch = quotes.ask if request.side is Side.BUY else quotes.bid
    if touch is None or touch <= 0:
        return None
    return Decimal(str(touch))
