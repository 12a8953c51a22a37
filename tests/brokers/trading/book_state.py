"""A book at one moment, in the shape the market viewer's feed hands the trading core (`InstrumentQuotes`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass
class BookState:
    bids: Sequence[tuple[float, int]] = ()
    asks: Sequence[tuple[float, int]] = ()
    last: float | None = None
    trades: Sequence[tuple[float, float, int]] = ()
    conid: int = 265598
    symbol: str = "AAPL"
    version: int = 1
    quote_version: int = 1
    ladder_version: int = 1
    last_prefix: str = ""
    last_size: int | None = None
    volume: int | None = None
    high: float | None = None
    low: float | None = None
    ladder_last: tuple[float, int] | None = None

    @property
    def bid(self) -> float | None:
        return self.bids[0][0] if self.bids else None

    @property
    def ask(self) -> float | None:
        return self.asks[0][0] if self.asks else None

    @property
    def bid_size(self) -> int | None:
        return self.bids[0][1] if self.bids else None

    @property
    def ask_size(self) -> int | None:
        return self.asks[0][1] if self.asks else None

    def history_view(self, max_points: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        empty = np.zeros(0)
        return empty, empty, empty, empty, empty

    def tick_size(self) -> float:
        return 0.01
