"""One instrument's book frozen at one moment: what the window and the order path read.

The worker merges frames on its own thread; a reader that read the live book field by field could see
a bid from one frame and an ask from the next. A snapshot is copied whole under the book's lock and
never changes afterwards, so every reader sees one merged state.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class QuoteSnapshot:
    """An `InstrumentQuotes` that stays as it was when taken (prices floats, sizes ints, None until sent)."""

    conid: int
    symbol: str
    version: int
    quote_version: int
    ladder_version: int
    last: float | None
    last_prefix: str
    last_size: int | None
    bid: float | None
    ask: float | None
    bid_size: int | None
    ask_size: int | None
    volume: int | None
    open: float | None
    high: float | None
    low: float | None
    close: float | None
    mark: float | None
    availability: str | None
    bids: tuple[tuple[float, int], ...]
    asks: tuple[tuple[float, int], ...]
    ladder_last: tuple[float, int] | None
    trades: tuple[tuple[float, float, int], ...]
    last_frame_monotonic: float | None
    last_arrival_ns: int | None
    history: np.ndarray  # rows of (t epoch s, last, bid, ask, volume), oldest first; never written to

    def history_view(self, max_points: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Copies of the newest `max_points` rows, oldest first: (t epoch s, last, bid, ask, volume); NaN = unknown."""
        n = min(len(self.history), max(0, max_points))
        block = self.history[len(self.history) - n :]
        t, last, bid, ask, volume = (np.array(block[:, i]) for i in range(5))
        return t, last, bid, ask, volume

    def tick_size(self) -> float:
        return ladder_tick_size(self.bids, self.asks)


def ladder_tick_size(bids: Sequence[tuple[float, int]], asks: Sequence[tuple[float, int]]) -> float:
    """The smallest step between ladder prices; IBKR's stream does not carry the tick size itself."""
    prices = sorted({p for p, _ in bids} | {p for p, _ in asks})
    steps = [round(b - a, 10) for a, b in itertools.pairwise(prices) if b > a]
    return min(steps) if steps else 0.01
