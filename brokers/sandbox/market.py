"""A deterministic synthetic market that the sandbox's streaming emulators publish.

Everything comes from `random.Random(seed)` so a failing test or a bug report replays tick for tick.
Prices live as whole ticks internally and are converted to floats only on the way out, so every
price a client sees sits exactly on its instrument's tick grid, as a real exchange guarantees.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

MAX_BOOK_LEVELS = 50
"""The deepest ladder `book()` serves; it also bounds how low a price may walk (bids stay > 0)."""

_MIN_MID_TICKS = 3 * MAX_BOOK_LEVELS + 10
_TRADE_PROBABILITY = 0.3
_BURST_PROBABILITY = 0.05
_MAX_BURST = 5


@dataclass(frozen=True)
class Instrument:
    """What the market trades; `conid` is the IBKR contract id the emulators key everything by."""

    conid: int
    symbol: str
    tick_size: float
    start_price: float


DEFAULT_INSTRUMENTS: tuple[Instrument, ...] = (
    Instrument(conid=265598, symbol="AAPL", tick_size=0.01, start_price=190.00),
    Instrument(conid=272093, symbol="MSFT", tick_size=0.01, start_price=410.00),
    Instrument(conid=495512557, symbol="ES", tick_size=0.25, start_price=5200.00),
    Instrument(conid=12087792, symbol="EUR.USD", tick_size=0.00005, start_price=1.08500),
)
MAX_INSTRUMENTS = 1000
SYNTHETIC_CONID_BASE = 900_000_000
"""Synthetic stocks' conids start here, far from the defaults' (IBKR's conids are plain positive ints)."""


def market_instruments(count: int) -> tuple[Instrument, ...]:
    """The first `count` of: the defaults, then synthetic stocks SYN0000, SYN0001, ... on a cent grid.

    Load runs need a universe as large as an account's market data lines (100 by default at IBKR);
    the defaults keep their conids, so everything written against them still finds them.
    """
    if not 1 <= count <= MAX_INSTRUMENTS:
        raise ValueError(f"the market trades from 1 to {MAX_INSTRUMENTS} instruments, not {count}")
    synthetic = (
        Instrument(SYNTHETIC_CONID_BASE + n, f"SYN{n:04d}", 0.01, float(20 + (n * 37) % 480))
        for n in range(count - len(DEFAULT_INSTRUMENTS))
    )
    return (*DEFAULT_INSTRUMENTS, *synthetic)[:count]


@dataclass(frozen=True)
class Quote:
    """One top-of-book update; `last`/`last_size` are set only when the update carries a trade print."""

    conid: int
    seq: int
    bid: float
    ask: float
    bid_size: int
    ask_size: int
    last: float | None = None
    last_size: int | None = None


@dataclass
class _State:
    """One instrument's walk, kept in whole ticks so prices never drift off the grid."""

    instrument: Instrument
    decimals: int
    mid_ticks: int
    bid_ticks: int = 0
    ask_ticks: int = 0
    seq: int = 0
    bid_size: int = 0
    ask_size: int = 0
    last_ticks: int | None = None
    last_size: int | None = None

    def price(self, ticks: int) -> float:
        return round(ticks * self.instrument.tick_size, self.decimals)

    def quote(self) -> Quote:
        last = None if self.last_ticks is None else self.price(self.last_ticks)
        return Quote(
            conid=self.instrument.conid,
            seq=self.seq,
            bid=self.price(self.bid_ticks),
            ask=self.price(self.ask_ticks),
            bid_size=self.bid_size,
            ask_size=self.ask_size,
            last=last,
            last_size=self.last_size,
        )


class SyntheticMarket:
    """A random-walk market over `instruments`; not thread-safe, drive it from one event loop."""

    def __init__(self, seed: int, instruments: tuple[Instrument, ...] = DEFAULT_INSTRUMENTS) -> None:
        if len({i.conid for i in instruments}) != len(instruments):
            raise ValueError("instrument conids must be unique")
        self.seed = seed
        self.instruments = instruments
        # Reproducible synthetic data, not secrets: the standard generator is the right tool here.
        self._rng = random.Random(seed)  # noqa: S311
        self._states: dict[int, _State] = {}
        for instrument in instruments:
            if instrument.tick_size <= 0 or instrument.start_price <= 0:
                raise ValueError(f"{instrument.symbol}: tick_size and start_price must be positive")
            mid = max(_MIN_MID_TICKS, round(instrument.start_price / instrument.tick_size))
            decimals = max(0, -int(Decimal(str(instrument.tick_size)).as_tuple().exponent))
            state = _State(instrument, decimals, mid)
            self._draw(state, trade=False)
            self._states[instrument.conid] = state

    def instrument(self, conid: int) -> Instrument:
        """The instrument with `conid`; KeyError when the market does not trade it."""
        return self._states[conid].instrument

    def quote(self, conid: int) -> Quote:
        """The latest top of book for `conid`."""
        return self._states[conid].quote()

    def step(self) -> list[Quote]:
        """Advance one tick: one update per instrument, several for an instrument in a burst.

        Bursts put more than one quote for a conid in the same step so that consumers which keep
        only the latest state per conid (the IBKR book model) get their coalescing exercised.
        """
        quotes: list[Quote] = []
        for state in self._states.values():
            updates = self._rng.randint(2, _MAX_BURST) if self._rng.random() < _BURST_PROBABILITY else 1
            for _ in range(updates):
                state.mid_ticks = max(_MIN_MID_TICKS, state.mid_ticks + self._rng.choice((-1, 0, 0, 1)))
                self._draw(state, trade=self._rng.random() < _TRADE_PROBABILITY)
                quotes.append(state.quote())
        return quotes

    def book(self, conid: int, levels: int = 10) -> tuple[list[tuple[float, int]], list[tuple[float, int]]]:
        """Depth ladders `(bids, asks)` of `levels` rows each, best first, matching the latest quote.

        The deeper rows come from their own generator seeded by (seed, conid, seq): reading the book
        never disturbs the tick stream, and the same quote always shows the same ladder.
        """
        if not 1 <= levels <= MAX_BOOK_LEVELS:
            raise ValueError(f"levels must be from 1 to {MAX_BOOK_LEVELS}")
        state = self._states[conid]
        rng = random.Random(f"{self.seed}/{conid}/{state.seq}")  # noqa: S311
        bid_ticks, ask_ticks = state.bid_ticks, state.ask_ticks
        bids = [(state.price(bid_ticks), state.bid_size)]
        asks = [(state.price(ask_ticks), state.ask_size)]
        for _ in range(levels - 1):
            bid_ticks -= 1 + (rng.random() < 0.2)
            ask_ticks += 1 + (rng.random() < 0.2)
            bids.append((state.price(bid_ticks), rng.randint(1, 900)))
            asks.append((state.price(ask_ticks), rng.randint(1, 900)))
        return bids, asks

    def _draw(self, state: _State, *, trade: bool) -> None:
        """Draw the next top of book around the current mid: spread 1-3 ticks, sizes, maybe a trade."""
        spread = self._rng.randint(1, 3)
        state.bid_ticks = state.mid_ticks - spread // 2
        state.ask_ticks = state.bid_ticks + spread
        state.bid_size, state.ask_size = self._rng.randint(1, 500), self._rng.randint(1, 500)
        state.last_ticks = state.last_size = None
        if trade:
            state.last_ticks = self._rng.choice((state.bid_ticks, state.ask_ticks))
            state.last_size = self._rng.randint(1, 100)
        state.seq += 1
