"""Plain data the Accounts dock renders: a profile's books (its broker accounts and its SHADOW book) as text.

The app maps the core's account reports onto these, formatting money once, so the dock never sees a
Decimal or a broker. Each row carries the numbers it was made from only to sort by them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from widgets.theme import tokens
from widgets.trading_views import MODE_COLORS, SHADOW

GAIN, LOSS = "gain", "loss"  # a P&L figure's tone; "" when it is flat or unknown
TOTAL_KEY = "\x00total"  # the totals row's key: never an instrument's


def tone_of(value: Decimal | None) -> str:
    """GAIN above zero, LOSS below, "" at zero or when nobody said."""
    if value is None or value == 0:
        return ""
    return GAIN if value > 0 else LOSS


@dataclass(frozen=True)
class BalanceFigure:
    key: str  # "net_liquidation", "cash", ... (names the figure's label for tests and style)
    title: str
    text: str
    tone: str = ""


@dataclass(frozen=True)
class PositionLine:
    """One holding of the shown book, or the book's totals row (`is_total`)."""

    key: str  # the instrument id when the broker gave one, else the symbol
    book: str  # "SHADOW" for the simulated book, else the masked account
    symbol: str
    quantity: str
    average_price: str
    market_price: str
    market_value: str
    unrealized_pnl: str
    realized_pnl: str
    unrealized_tone: str = ""
    realized_tone: str = ""
    instrument_id: str = ""
    simulated: bool = False
    is_total: bool = False
    tip: str = ""  # what the row's book is, in words
    quantity_value: Decimal | None = None
    average_value: Decimal | None = None
    price_value: Decimal | None = None
    value_value: Decimal | None = None
    unrealized_value: Decimal | None = None
    realized_value: Decimal | None = None

    @property
    def book_colors(self) -> tuple[str, str]:
        """(background, text) of the book cell: SHADOW's own colours, so a simulated row never passes as real."""
        return MODE_COLORS[SHADOW] if self.simulated else (tokens()["base"], tokens()["muted"])


@dataclass(frozen=True)
class AccountBook:
    """One entry of the account picker: a broker account, or the profile's SHADOW book (`simulated`)."""

    key: str  # the masked account, or "SHADOW"
    label: str  # the picker's text
    simulated: bool
    balances: tuple[BalanceFigure, ...] = ()
    positions: tuple[PositionLine, ...] = ()
    total: PositionLine | None = None
    age_text: str = ""  # "read 12 s ago"
    fresh: bool = True
    problem: str = ""  # why the broker shows nothing (or nothing new), with what to do
    note: str = ""


@dataclass(frozen=True)
class AccountsDockView:
    """What the dock shows: the profiles to pick from, the picked one, and its books (broker accounts first)."""

    profiles: tuple[tuple[str, str], ...] = ()  # (name, label)
    profile: str = ""
    books: tuple[AccountBook, ...] = ()
