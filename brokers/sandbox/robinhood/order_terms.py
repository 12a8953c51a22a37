"""The terms of a sandbox Robinhood equity order, checked the way `place_equity_order`'s description says,
and the quotes the sandbox prices them with.

Every refusal is Robinhood's kind of tool error: what is wrong, then "The order was NOT placed." Numbers
arrive as strings and stay Decimal; the quotes are fixed so tests can name the prices they expect.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from mcp.server.fastmcp.exceptions import ToolError

NOT_PLACED = "The order was NOT placed."
ORDER_TYPES = ("market", "limit", "stop_market", "stop_limit")
SIDES = ("buy", "sell")
TIMES_IN_FORCE = ("gfd", "gtc")
MARKET_HOURS = ("regular_hours", "extended_hours", "all_day_hours")
MAX_DECIMALS = 6

#: symbol -> (bid, ask, last, previous close)
QUOTES: dict[str, tuple[str, str, str, str]] = {
    "AAPL": ("190.10", "190.14", "190.12", "188.40"),
    "MSFT": ("414.90", "415.10", "415.00", "411.75"),
    "F": ("11.90", "11.92", "11.91", "11.86"),
    "SPY": ("512.30", "512.34", "512.32", "509.80"),
    "TSLA": ("245.55", "245.70", "245.60", "250.20"),
}


@dataclass(frozen=True)
class Terms:
    """One order's checked terms (`kind` is the tool's `type`: market, limit, stop_market, stop_limit)."""

    symbol: str
    side: str
    kind: str
    quantity: Decimal | None
    dollar_amount: Decimal | None
    limit_price: Decimal | None
    stop_price: Decimal | None
    time_in_force: str
    market_hours: str

    @property
    def bid(self) -> Decimal:
        return Decimal(QUOTES[self.symbol][0])

    @property
    def ask(self) -> Decimal:
        return Decimal(QUOTES[self.symbol][1])

    def fill_price(self) -> Decimal:
        """Where the sandbox fills it: a limit at its limit, a market order at the far side of the quote."""
        if self.limit_price is not None:
            return self.limit_price
        return self.ask if self.side == "buy" else self.bid

    def shares(self) -> Decimal:
        """The shares it is for; a dollar amount buys what it pays for at the fill price (6 decimals)."""
        if self.quantity is not None:
            return self.quantity
        amount = self.dollar_amount or Decimal(0)
        return (amount / self.fill_price()).quantize(Decimal(1).scaleb(-MAX_DECIMALS))

    def cost(self) -> Decimal:
        return self.dollar_amount if self.dollar_amount is not None else self.shares() * self.fill_price()

    def echo(self) -> dict[str, Any]:
        """What `review_equity_order` repeats of the order."""
        return {
            "symbol": self.symbol,
            "side": self.side,
            "type": self.kind,
            "quantity": text(self.quantity),
            "dollar_amount": text(self.dollar_amount),
            "limit_price": text(self.limit_price),
            "stop_price": text(self.stop_price),
        }


def terms(
    *,
    symbol: str,
    side: str,
    type: str,
    quantity: str | None,
    dollar_amount: str | None,
    limit_price: str | None,
    stop_price: str | None,
    time_in_force: str,
    market_hours: str,
) -> Terms:
    """The checked terms, or a ToolError saying what breaks Robinhood's rules."""
    symbol = symbol.strip().upper()
    if symbol not in QUOTES:
        refuse(f"Symbol {symbol or '(empty)'} was not found. Check the ticker with search.")
    _one_of("side", side, SIDES)
    _one_of("type", type, ORDER_TYPES)
    _one_of("time_in_force", time_in_force, TIMES_IN_FORCE)
    _one_of("market_hours", market_hours, MARKET_HOURS)
    shares, dollars = _number("quantity", quantity), _number("dollar_amount", dollar_amount)
    limit, stop = _number("limit_price", limit_price), _number("stop_price", stop_price)
    if (shares is None) == (dollars is None):
        refuse("Give exactly one of quantity and dollar_amount.")
    if dollars is not None and type != "market":
        refuse("dollar_amount is for market orders only.")
    if type in ("limit", "stop_limit") and limit is None:
        refuse(f"A {type} order needs limit_price.")
    if type.startswith("stop") and stop is None:
        refuse(f"A {type} order needs stop_price.")
    if market_hours != "regular_hours" and type != "limit":
        refuse(f"Only limit orders may trade in {market_hours}; market and stop orders are regular-hours only.")
    fractional = shares is not None and shares != shares.to_integral_value()
    if (fractional or dollars is not None) and (type != "market" or market_hours != "regular_hours"):
        refuse("Fractional shares trade only as market orders in regular hours.")
    return Terms(symbol, side, type, shares, dollars, limit, stop, time_in_force, market_hours)


def check_ref_id(ref_id: str | None) -> str:
    """A fresh server-side key when none came; a ref_id that is not a UUID is refused."""
    if ref_id is None:
        return str(uuid.uuid4())
    try:
        return str(uuid.UUID(ref_id))
    except ValueError:
        refuse("ref_id must be a UUID.")
        raise


def quote(symbol: str, at: str) -> dict[str, Any]:
    """`quote_data` / a `get_equity_quotes` quote of `symbol` at the ISO time `at`."""
    bid, ask, last, close = QUOTES[symbol]
    return {
        "symbol": symbol,
        "last_trade_price": last,
        "venue_last_trade_time": at,
        "last_non_reg_trade_price": None,
        "venue_last_non_reg_trade_time": None,
        "adjusted_previous_close": close,
        "previous_close": close,
        "previous_close_date": None,
        "bid_price": bid,
        "venue_bid_time": at,
        "ask_price": ask,
        "venue_ask_time": at,
        "has_traded": True,
        "state": "active",
    }


def text(value: Decimal | None) -> str | None:
    """A Decimal as Robinhood's string (no exponent), None as None."""
    return None if value is None else format(value, "f")


def refuse(reason: str) -> None:
    raise ToolError(f"{reason} {NOT_PLACED}")


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        refuse(f"{name} must be one of {', '.join(allowed)}, not {value!r}.")


def _number(name: str, value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = Decimal(-1)
    if not number.is_finite() or number <= 0:
        refuse(f"{name} must be a positive number written as a string, not {value!r}.")
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_DECIMALS:
        refuse(f"{name} takes at most {MAX_DECIMALS} decimals.")
    return number
