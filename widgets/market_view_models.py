"""Plain data the market widgets render, plus the formatting and colours they share.

The app maps its market state onto these, so the widgets never see a broker or a socket. Views are
immutable and carry a `version`, which lets the composite skip a frame when nothing changed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

AGE_STATES = ("live", "delayed", "frozen", "stale", "none")  # the feed's codes; traders read AGE_WORDS


def _empty() -> np.ndarray:
    import numpy as np  # here, not above: the window paints before numpy loads (it comes with the chart)

    return np.empty(0, dtype=float)


@dataclass(frozen=True, slots=True)
class LadderLevel:
    price: float
    size: int


@dataclass(frozen=True, slots=True)
class Print:
    epoch_s: float
    price: float
    size: int


@dataclass(frozen=True, slots=True)
class SearchResult:
    conid: int
    symbol: str
    description: str


@dataclass(frozen=True, slots=True)
class MarketView:
    """One instrument's market at one moment. Arrays are excluded from equality; compare `version`."""

    conid: int
    symbol: str
    version: int
    last: float | None = None
    last_size: int | None = None
    last_prefix: str = ""  # the feed's marker on the last price, e.g. "C" for a previous close
    bid: float | None = None
    ask: float | None = None
    bid_size: int | None = None
    ask_size: int | None = None
    volume: int | None = None
    high: float | None = None
    low: float | None = None
    bids: tuple[LadderLevel, ...] = ()  # best (highest) first
    asks: tuple[LadderLevel, ...] = ()  # best (lowest) first
    ladder_last: float | None = None
    prints: tuple[Print, ...] = ()  # newest first
    # Sampled history in time order, all the same length; volume is the size traded since the previous sample.
    history_t: np.ndarray = field(default_factory=_empty, compare=False)
    history_last: np.ndarray = field(default_factory=_empty, compare=False)
    history_bid: np.ndarray = field(default_factory=_empty, compare=False)
    history_ask: np.ndarray = field(default_factory=_empty, compare=False)
    history_volume: np.ndarray = field(default_factory=_empty, compare=False)
    age: str = "none"  # one of AGE_STATES
    age_detail: str = ""
    tick_size: float = 0.01
    stream_text: str = ""  # the feed's status in a few words
    stream_detail: str = ""  # the same in full, for a tooltip


# One dark palette for the whole market area, so ladder, chart and tape read as one instrument.
COLORS: dict[str, str] = {
    "background": "#0f1419",
    "row_alt": "#131920",
    "grid": "#232b34",
    "text": "#d5dbe1",
    "muted": "#7a8591",
    "bid": "#3d8bfd",
    "bid_bar": "#1b4176",
    "bid_inside": "#15294a",
    "ask": "#f0625a",
    "ask_bar": "#6e2a27",
    "ask_inside": "#421b1a",
    "last": "#e3b341",
    "up": "#3fb950",
    "down": "#f85149",
    "band": "#3d8bfd",
    "volume": "#56606b",
}

AGE_COLORS: dict[str, str] = {
    "live": "#2e9d57",
    "delayed": "#d48a00",
    "frozen": "#6ea8d8",
    "stale": "#d0342c",
    "none": "#7d8590",
}

# How fresh the data is. LIVE and SHADOW name the trading mode, so no word here may say "live".
AGE_WORDS: dict[str, str] = {
    "live": "Real-time",
    "delayed": "Delayed",
    "frozen": "Frozen",
    "stale": "Stale",
    "none": "No data",
}


def price_decimals(tick_size: float) -> int:
    """Decimals a price needs to show every multiple of the tick: 0.01 -> 2, 0.25 -> 2, 0.005 -> 3."""
    if not tick_size or tick_size <= 0 or not math.isfinite(tick_size):
        return 2
    try:
        exponent = Decimal(repr(tick_size)).normalize().as_tuple().exponent
    except InvalidOperation:
        return 2
    return max(0, -exponent) if isinstance(exponent, int) else 2


def format_price(price: float | None, decimals: int) -> str:
    return "" if price is None else f"{price:,.{decimals}f}"


def format_size(size: int | None) -> str:
    return "" if size is None else f"{size:,}"
