"""The market-data worker on a thread of its own, so the window's loop never parses or merges a frame.

The socket, the parser and the book's writes live on the worker's loop; the session's HTTP calls
(re-authentication) go back to the loop that owns the session. The window and the order path read
snapshots taken under the book's lock, and the few calls that change what is streamed are handed to
the worker's loop and waited for, so they raise exactly as `MarketStream`'s own do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from brokers.core.loop_thread import LoopThread
from brokers.core.market import DataAge, StreamState
from brokers.ibkr.book import BookModel
from brokers.ibkr.quote_snapshot import QuoteSnapshot
from brokers.ibkr.stream import DEFAULT_FIELDS, MarketStream


class ThreadedMarketStream:
    """A `MarketFeed`: one `MarketStream` running on its own thread while `run` is awaited."""

    def __init__(self, stream: MarketStream, *, thread_name: str = "brokerdeck-market-data") -> None:
        self._stream = stream
        self._thread = LoopThread(thread_name)

    # ---- what is streamed: handed to the worker's loop --------------------------------------------

    def subscribe(self, conid: int, fields: Iterable[str] = DEFAULT_FIELDS) -> None:
        self._thread.call(self._stream.subscribe, conid, tuple(fields))

    def unsubscribe(self, conid: int) -> None:
        self._thread.call(self._stream.unsubscribe, conid)

    def subscribe_depth(self, conid: int, exchange: str | None = None) -> None:
        self._thread.call(self._stream.subscribe_depth, conid, exchange)

    def unsubscribe_depth(self) -> None:
        self._thread.call(self._stream.unsubscribe_depth)

    def watch(self, conid: int) -> None:
        self._thread.call(self._stream.watch, conid)

    # ---- what the worker publishes: read from any thread ------------------------------------------

    def quotes(self, conid: int) -> QuoteSnapshot | None:
        return self._stream.quotes(conid)

    def data_age(self, conid: int, now_monotonic: float) -> DataAge:
        return self._stream.data_age(conid, now_monotonic)

    @property
    def state(self) -> StreamState:
        return self._stream.state

    @property
    def book(self) -> BookModel:
        return self._stream.book

    # ---- the worker -------------------------------------------------------------------------------

    async def run(self) -> None:
        """Start the worker's thread and stream on it until cancelled; the thread ends with it."""
        self._thread.start()
        try:
            await self._thread.run(self._stream.run(session_loop=asyncio.get_running_loop()))
        finally:
            await self._thread.stop()
