"""One conid's streamed state, as the emulated IBKR WebSocket sends it, and the helpers it needs.

Frames have to be cheap, up to tens of thousands a second per connection. Each conid's ticker
therefore keeps its current state as ready-made JSON fragments ('"84":"189.56"'), replaced
copy-on-write: a delta is a handful of string comparisons against the state last sent, and a frame
is one join. The shared market is stepped at most every `MARKET_STEP_S`, since a step costs several
times what sending a frame does; in between, `Ticker.micro` gives new sizes and a print at the
quoted bid or ask, so prices always come from the market while the configured rate is still met.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from brokers.sandbox.market import Instrument, Quote

FIELDS = ("55", "6509", "6119", "31", "84", "86", "88", "85", "7059", "87", "7295", "70", "71", "7296", "7635")
SYMBOL, _, _, LAST, BID, ASK, BID_SIZE, ASK_SIZE, LAST_SIZE, VOLUME, OPEN, HIGH, LOW, CLOSE, MARK = range(len(FIELDS))
FIELD_INDEX = {f: i for i, f in enumerate(FIELDS)}
"""The position of each smd field id in a ticker's `state`."""
MARKET_STEP_S = 0.005
OPENING_VOLUME = 125_000
_MICRO_ROWS = 1024


def format_size(size: int) -> str:
    """Sizes and volume as IBKR streams them: strings with thousands separators ("1,300")."""
    return f"{size:,}"


def price_formatter(tick_size: float) -> Callable[[float], str]:
    """A formatter that writes prices with as many decimals as the instrument's tick has."""
    decimals = max(0, -int(Decimal(str(tick_size)).as_tuple().exponent))
    return f"{{:.{decimals}f}}".format


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def epoch_ms() -> int:
    return int(time.time() * 1000)


def micro_table(rng: random.Random) -> list[tuple[Any, ...]]:
    """Precomputed in-between updates: (bid size, ask size, print at ask?, print size, their fragments)."""

    def size() -> int:
        return rng.randint(1000, 3000) if rng.random() < 0.1 else rng.randint(1, 500)

    rows = []
    for _ in range(_MICRO_ROWS):
        bid, ask, last = size(), size(), rng.randint(1, 100)
        fragments = (f'"88":"{format_size(bid)}"', f'"85":"{format_size(ask)}"', f'"7059":"{last}"')
        rows.append((bid, ask, rng.random() < 0.5, last, *fragments))
    return rows


class Ticker:
    """One conid's streamed state: numbers for the ladder, JSON fragments (`state`) for smd."""

    def __init__(self, instrument: Instrument, quote: Quote, table: list[Any], trades: dict[int, float]) -> None:
        self.conid, self._table, self._trades = instrument.conid, table, trades
        self.price = price_formatter(instrument.tick_size)
        self._row = instrument.conid % _MICRO_ROWS
        self.version = 0
        self.last: float | None = None
        self.last_size = 0
        self.volume = OPENING_VOLUME
        self.high = self.low = quote.bid
        close, opening = self.price(instrument.start_price), self.price(quote.bid)
        state: list[str | None] = [None] * len(FIELDS)
        state[SYMBOL] = '"55":' + dumps(instrument.symbol)
        state[1], state[2] = '"6509":"RpB"', '"6119":"q0"'
        state[LAST] = f'"31":"C{close}"'  # no print yet: IBKR shows the prior close, prefixed "C"
        state[VOLUME] = f'"87":"{format_size(self.volume)}"'
        state[OPEN], state[CLOSE] = f'"7295":"{opening}"', f'"7296":"{close}"'
        state[HIGH], state[LOW] = f'"70":"{opening}"', f'"71":"{opening}"'
        self._quote(state, quote.bid, quote.ask, quote.bid_size, quote.ask_size)
        self.state = state

    def _quote(self, state: list[str | None], bid: float, ask: float, bid_size: int, ask_size: int) -> None:
        self.bid, self.ask, self.bid_size, self.ask_size = bid, ask, bid_size, ask_size
        bid_text, ask_text = self.price(bid), self.price(ask)
        state[BID], state[ASK] = f'"84":"{bid_text}"', f'"86":"{ask_text}"'
        state[BID_SIZE], state[ASK_SIZE] = f'"88":"{format_size(bid_size)}"', f'"85":"{format_size(ask_size)}"'
        state[MARK] = f'"7635":"{self.price((bid + ask) / 2)}"'
        self._prints = (f'"31":"{bid_text}"', f'"31":"{ask_text}"')

    def _print(self, state: list[str | None], price: float, fragment: str, size: int, size_fragment: str) -> None:
        self.last, self.last_size = price, size
        self._trades[self.conid] = price
        state[LAST], state[LAST_SIZE] = fragment, size_fragment
        self.volume += size
        state[VOLUME] = f'"87":"{self.volume:,}"'
        if price > self.high:
            self.high = price
            state[HIGH] = f'"70":"{self.price(price)}"'
        elif price < self.low:
            self.low = price
            state[LOW] = f'"71":"{self.price(price)}"'

    def apply(self, quote: Quote) -> None:
        """Take one market update, print included."""
        state = list(self.state)
        self._quote(state, quote.bid, quote.ask, quote.bid_size, quote.ask_size)
        if quote.last is not None:
            size = quote.last_size or 0
            self._print(state, quote.last, f'"31":"{self.price(quote.last)}"', size, f'"7059":"{format_size(size)}"')
        self.state, self.version = state, self.version + 1

    def micro(self) -> None:
        """An in-between update: new top-of-book sizes and a print at the quoted bid or ask."""
        self._row = row = (self._row + 1) % _MICRO_ROWS
        bid_size, ask_size, at_ask, size, bid_fragment, ask_fragment, size_fragment = self._table[row]
        state = list(self.state)
        state[BID_SIZE], state[ASK_SIZE] = bid_fragment, ask_fragment
        self.bid_size, self.ask_size = bid_size, ask_size
        self._print(state, self.ask if at_ask else self.bid, self._prints[at_ask], size, size_fragment)
        self.state, self.version = state, self.version + 1
