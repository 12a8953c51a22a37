"""Market data as the viewer sees it, whichever connector serves it.

A running session that can stream quotes offers a `MarketSource`; the window opens one `MarketFeed`
from it and pulls the latest state at display rate (the feed coalesces: it keeps only the newest
state per instrument). Nothing here is ever pushed per tick.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    import numpy as np

DataAge = Literal["live", "delayed", "frozen", "stale", "none"]
QUOTE_HISTORY_POINTS = 5_000
"""The samples `InstrumentQuotes.history_view` holds at most: the chart's scrolling window."""


@dataclass(frozen=True)
class Instrument:
    """A search hit: what the trader picks to watch."""

    conid: int
    symbol: str
    description: str = ""


@dataclass(frozen=True)
class StreamState:
    """A feed's connection as the window shows it; nothing secret."""

    connected: bool
    reconnects: int
    last_error: str
    frames: int
    malformed: int
    stale_reconnects: int
    subscriptions: tuple[int, ...]


class InstrumentQuotes(Protocol):
    """One instrument's latest state: prices are floats and sizes ints, None until the broker sent them."""

    @property
    def conid(self) -> int: ...
    @property
    def symbol(self) -> str: ...
    @property
    def version(self) -> int: ...  # changes whenever anything below changes
    @property
    def quote_version(self) -> int: ...  # `version` at the newest top-of-book update (bid, ask, last, ...)
    @property
    def ladder_version(self) -> int: ...  # `version` at the newest depth ladder: the larger of the two is newer
    @property
    def last(self) -> float | None: ...
    @property
    def last_prefix(self) -> str: ...  # "C" prior close, "H" halted
    @property
    def last_size(self) -> int | None: ...
    @property
    def bid(self) -> float | None: ...
    @property
    def ask(self) -> float | None: ...
    @property
    def bid_size(self) -> int | None: ...
    @property
    def ask_size(self) -> int | None: ...
    @property
    def volume(self) -> int | None: ...
    @property
    def high(self) -> float | None: ...
    @property
    def low(self) -> float | None: ...
    @property
    def bids(self) -> Sequence[tuple[float, int]]: ...  # best first
    @property
    def asks(self) -> Sequence[tuple[float, int]]: ...  # best first
    @property
    def ladder_last(self) -> tuple[float, int] | None: ...
    @property
    def trades(self) -> Sequence[tuple[float, float, int]]: ...  # (epoch s, price, size), oldest first

    def history_view(self, max_points: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The newest `max_points` samples, oldest first: (t epoch s, last, bid, ask, volume)."""
        ...

    def tick_size(self) -> float:
        """The smallest price step the instrument trades in."""
        ...


class MarketFeed(Protocol):
    """A running market-data worker; the window drives `run()` and reads the rest at display rate."""

    @property
    def state(self) -> StreamState: ...

    async def run(self) -> None:
        """Connect and keep streaming until cancelled."""
        ...

    def watch(self, conid: int) -> None:
        """Stream `conid`'s quotes and depth instead of the instrument watched before."""
        ...

    def quotes(self, conid: int) -> InstrumentQuotes | None: ...

    def data_age(self, conid: int, now_monotonic: float) -> DataAge: ...


class MarketSource(Protocol):
    """What a connected session offers the market viewer."""

    @property
    def name(self) -> str: ...  # the feed, e.g. "IBKR WebSocket"

    @property
    def label(self) -> str: ...  # the feed and where it comes from, e.g. "IBKR WebSocket via Paper"

    @property
    def first_instrument(self) -> int | None: ...  # what a first run opens on, if anything

    def open_feed(self) -> MarketFeed: ...

    async def search(self, text: str) -> tuple[Instrument, ...]: ...
