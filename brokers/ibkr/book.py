"""The market book: the stream worker writes the latest state here, the UI reads it when it repaints.

Coalescing by design: a merge overwrites, so however fast frames arrive the UI only ever reads the
newest state plus two bounded rings (recent prints, and a numpy history for charts). The worker may run
on its own thread: every merge holds the model's lock, and readers take a `QuoteSnapshot` under the same
lock, so none of them sees half a frame. Merging allocates only what a changed value needs.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from brokers.core.market import QUOTE_HISTORY_POINTS, DataAge
from brokers.ibkr.frames import Depth, MarketData, parse_ladder_price, parse_number, parse_price, parse_size
from brokers.ibkr.quote_snapshot import QuoteSnapshot, ladder_tick_size

TRADES_CAPACITY = 500
HISTORY_CAPACITY = 20_000

# field id -> (attribute, parser); 31 (last, with its prefix) and 6509 (availability) are special
_FIELDS: dict[str, tuple[str, Callable[[str], object]]] = {
    "84": ("bid", parse_number),
    "86": ("ask", parse_number),
    "88": ("bid_size", parse_size),
    "85": ("ask_size", parse_size),
    "7059": ("last_size", parse_size),
    "87": ("volume", parse_size),
    "7295": ("open", parse_number),
    "70": ("high", parse_number),
    "71": ("low", parse_number),
    "7296": ("close", parse_number),
    "7635": ("mark", parse_number),
    "55": ("symbol", str),
}
# 6509's first letter; "Y" is IBKR's frozen-delayed. Anything else (N not subscribed, …) is unknown.
_AVAILABILITY = {"R": "live", "D": "delayed", "Z": "frozen", "Y": "frozen"}
_NAN = float("nan")


class InstrumentBook:
    """One conid's latest state. Prices are floats, sizes ints; None until IBKR has sent the field."""

    __slots__ = (
        "_cells",
        "_hist",
        "_hist_count",
        "_hist_pos",
        "ask",
        "ask_size",
        "asks",
        "availability",
        "bid",
        "bid_size",
        "bids",
        "close",
        "conid",
        "high",
        "ladder_last",
        "ladder_version",
        "last",
        "last_arrival_ns",
        "last_frame_monotonic",
        "last_prefix",
        "last_size",
        "low",
        "mark",
        "open",
        "quote_version",
        "symbol",
        "trades",
        "version",
        "volume",
    )

    def __init__(self, conid: int, history_capacity: int = HISTORY_CAPACITY) -> None:
        self.conid = conid
        self.symbol = ""
        self.last: float | None = None
        self.last_prefix = ""  # "C" prior close (no trade yet today), "H" halted
        self.last_size: int | None = None
        self.bid: float | None = None
        self.ask: float | None = None
        self.bid_size: int | None = None
        self.ask_size: int | None = None
        self.volume: int | None = None
        self.open: float | None = None
        self.high: float | None = None
        self.low: float | None = None
        self.close: float | None = None
        self.mark: float | None = None
        self.availability: str | None = None
        self.bids: list[tuple[float, int]] = []
        self.asks: list[tuple[float, int]] = []
        self.ladder_last: tuple[float, int] | None = None
        self.trades: deque[tuple[float, float, int]] = deque(maxlen=TRADES_CAPACITY)
        self.version = 0
        # The two streams tick at their own rates; these tell the viewer which one is newer.
        self.quote_version = 0
        self.ladder_version = 0
        self.last_frame_monotonic: float | None = None
        self.last_arrival_ns: int | None = None
        # rows of (t epoch s, last, bid, ask, volume); np.empty leaves untouched pages uncommitted
        self._hist = np.empty((max(1, history_capacity), 5), dtype=np.float64)
        # flat float64 view: 5 C stores, no temporary row (typeshed types a memoryview's items as ints)
        self._cells: Any = memoryview(self._hist.reshape(-1))
        self._hist_pos = 0
        self._hist_count = 0

    def merge(self, fields: dict[str, str], updated_ms: int | None, now_monotonic: float, arrival_ns: int) -> None:
        """Apply an smd delta: absent fields keep their value, present-but-unparseable ones become None.

        Print rule: once the book holds state, a merge that leaves an unprefixed last price and
        changes the last price (or drops its "C" prefix) or the last size (7059), or raises the
        volume (87), is one new print `(epoch_s, last, last_size or 0)`. IBKR sends only changed
        fields, so two identical consecutive prints still raise the volume; a full snapshot re-sent
        after a resubscribe changes nothing and records nothing; the first snapshot's last trade
        predates us and is not a print.
        """
        last, prefix, last_size, volume = self.last, self.last_prefix, self.last_size, self.volume
        bid, ask = self.bid, self.ask
        for key, text in fields.items():
            spec = _FIELDS.get(key)
            if spec is not None:
                setattr(self, spec[0], spec[1](text))
            elif key == "31":
                parsed = parse_price(text)
                if parsed is None:
                    self.last, self.last_prefix = None, ""
                else:
                    self.last, self.last_prefix = parsed
            elif key == "6509":
                self.availability = _AVAILABILITY.get(text[:1])
        new_last, new_volume = self.last, self.volume
        changed = new_last != last or self.bid != bid or self.ask != ask or new_volume != volume
        printed = (
            self.version > 0
            and new_last is not None
            and not self.last_prefix
            and (
                new_last != last
                or prefix == "C"
                or self.last_size != last_size
                or (new_volume is not None and volume is not None and new_volume > volume)
            )
        )
        if changed or printed:
            epoch_s = updated_ms / 1000.0 if updated_ms is not None else time.time()
            if changed:
                pos = self._hist_pos
                cells, cell = self._cells, pos * 5
                cells[cell] = epoch_s
                cells[cell + 1] = _NAN if new_last is None else new_last
                cells[cell + 2] = _NAN if self.bid is None else self.bid
                cells[cell + 3] = _NAN if self.ask is None else self.ask
                cells[cell + 4] = _NAN if new_volume is None else new_volume
                pos += 1
                self._hist_pos = 0 if pos == len(self._hist) else pos
                self._hist_count += 1
            if printed and new_last is not None:
                self.trades.append((epoch_s, new_last, self.last_size or 0))
        self.version = self.quote_version = self.version + 1
        self.last_frame_monotonic = now_monotonic
        self.last_arrival_ns = arrival_ns

    def replace_ladder(self, rows: list[dict[str, object]], now_monotonic: float, arrival_ns: int) -> None:
        """Every sbd frame is a full ladder (protocol CHOICE): rebuild bids best-first and asks best-first."""
        bids: list[tuple[float, int]] = []
        asks: list[tuple[float, int]] = []
        ladder_last = None
        for row in rows:
            parsed = parse_ladder_price(row.get("price"))
            if parsed is None:
                continue
            price, print_size = parsed
            if print_size is not None:
                ladder_last = (price, print_size)
            elif row.get("focus") == 1 and ladder_last is None:
                ladder_last = (price, 0)
            bid = row.get("bid")
            if type(bid) is str and (size := parse_size(bid)):
                bids.append((price, size))
            ask = row.get("ask")
            if type(ask) is str and (size := parse_size(ask)):
                asks.append((price, size))
        bids.sort(reverse=True)
        asks.sort()
        self.bids, self.asks, self.ladder_last = bids, asks, ladder_last
        self.version = self.ladder_version = self.version + 1
        self.last_frame_monotonic = now_monotonic
        self.last_arrival_ns = arrival_ns

    def clear_ladder(self) -> None:
        self.bids, self.asks, self.ladder_last = [], [], None
        self.version = self.ladder_version = self.version + 1

    def tick_size(self) -> float:
        return ladder_tick_size(self.bids, self.asks)

    @property
    def history_len(self) -> int:
        return min(self._hist_count, len(self._hist))

    def history_view(self, max_points: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Copies of the newest `max_points` rows, oldest first: (t epoch s, last, bid, ask, volume); NaN = unknown."""
        block = self._history_block(max_points)
        t, last, bid, ask, volume = (np.array(block[:, i]) for i in range(5))
        return t, last, bid, ask, volume

    def snapshot(self, history_points: int) -> QuoteSnapshot:
        """Everything a reader sees, copied: call it under the model's lock."""
        block = self._history_block(history_points)
        return QuoteSnapshot(
            conid=self.conid,
            symbol=self.symbol,
            version=self.version,
            quote_version=self.quote_version,
            ladder_version=self.ladder_version,
            last=self.last,
            last_prefix=self.last_prefix,
            last_size=self.last_size,
            bid=self.bid,
            ask=self.ask,
            bid_size=self.bid_size,
            ask_size=self.ask_size,
            volume=self.volume,
            open=self.open,
            high=self.high,
            low=self.low,
            close=self.close,
            mark=self.mark,
            availability=self.availability,
            bids=tuple(self.bids),
            asks=tuple(self.asks),
            ladder_last=self.ladder_last,
            trades=tuple(self.trades),
            last_frame_monotonic=self.last_frame_monotonic,
            last_arrival_ns=self.last_arrival_ns,
            history=block if block.base is None else block.copy(),
        )

    def _history_block(self, max_points: int) -> np.ndarray:
        """The newest `max_points` rows in time order: a view of the ring when they lie in one piece, else a copy."""
        n = min(self.history_len, max(0, max_points))
        end = self._hist_pos
        start = end - n
        hist = self._hist
        return hist[start:end] if start >= 0 else np.concatenate((hist[start:], hist[:end]))


class BookModel:
    """All instruments' books plus the stream's frame counters (plain ints, written by the worker only).

    `book()` is the worker's live book; a reader on another thread takes `snapshot()` instead.
    """

    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, history_capacity: int = HISTORY_CAPACITY
    ) -> None:
        self._books: dict[int, InstrumentBook] = {}
        self._clock = clock
        self._history_capacity = history_capacity
        self._lock = threading.Lock()
        self._snapshots: dict[int, QuoteSnapshot] = {}  # the last one taken per conid, reused until the book changes
        self.frames = 0  # every frame received
        self.malformed = 0  # not what IBKR sends
        self.unknown = 0  # well-formed, but a topic this client does not consume
        self.dropped = 0  # data for a conid (or ladder) no longer subscribed

    def _book_for(self, conid: int) -> InstrumentBook:
        book = self._books.get(conid)
        if book is None:
            book = self._books[conid] = InstrumentBook(conid, self._history_capacity)
        return book

    def merge_market_data(self, frame: MarketData, arrival_ns: int) -> None:
        book = self._books.get(frame.conid) or self._book_for(frame.conid)
        now = self._clock()
        with self._lock:
            book.merge(frame.fields, frame.updated_ms, now, arrival_ns)

    def merge_depth(self, frame: Depth, arrival_ns: int) -> None:
        book = self._book_for(frame.conid)
        now = self._clock()
        with self._lock:
            book.replace_ladder(frame.rows, now, arrival_ns)

    def clear_depth(self, conid: int) -> None:
        book = self._books.get(conid)
        if book is not None:
            with self._lock:
                book.clear_ladder()

    def book(self, conid: int) -> InstrumentBook | None:
        """The live book the worker writes; from another thread read `snapshot` instead."""
        return self._books.get(conid)

    def snapshot(self, conid: int) -> QuoteSnapshot | None:
        """`conid`'s book as of one moment between two frames; the same object until the book changes."""
        book = self._books.get(conid)
        if book is None:
            return None
        with self._lock:
            taken = self._snapshots.get(conid)
            if taken is None or taken.version != book.version:
                taken = self._snapshots[conid] = book.snapshot(QUOTE_HISTORY_POINTS)
        return taken

    def conids(self) -> list[int]:
        return list(self._books)

    def __iter__(self) -> Iterator[InstrumentBook]:
        return iter(list(self._books.values()))

    def data_age(self, conid: int, now_monotonic: float, stale_after_s: float = 5.0) -> DataAge:
        """What the UI badge shows. Frozen data does not tick by definition, so it never turns stale;
        fresh data whose availability (6509) is unknown counts as live."""
        book = self._books.get(conid)
        if book is None:
            return "none"
        with self._lock:
            last_frame, availability = book.last_frame_monotonic, book.availability
        if last_frame is None:
            return "none"
        if availability == "frozen":
            return "frozen"
        if now_monotonic - last_frame > stale_after_s:
            return "stale"
        return "delayed" if availability == "delayed" else "live"
