"""Market data for the viewer: one feed from the first session that offers one, pulled at display rate.

The feed writes only the latest state; a QTimer reads it 60 times a second and hands the viewer a fresh
picture when anything changed. No Qt signal is ever emitted per frame.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, SignalInstance

from app.market_view import market_view, stream_text
from app.operations import Operations, cancel_and_wait
from brokers.core.market import Instrument, MarketFeed, MarketSource
from widgets.market_view_models import SearchResult
from widgets.market_viewer import MarketViewer

log = logging.getLogger(__name__)

REFRESH_HZ = 60


class MarketController(QObject):
    """Opens a feed on the first market source the sessions offer and feeds the viewer from it."""

    def __init__(
        self,
        viewer: MarketViewer,
        sources: Callable[[], list[MarketSource]],
        sources_changed: SignalInstance,
        operations: Operations,
        refresh_hz: float = REFRESH_HZ,
        parent: QObject | None = None,
        remembered: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.viewer = viewer
        self._sources = sources
        self._operations = operations
        self._source: MarketSource | None = None
        self.feed: MarketFeed | None = None
        self._task: asyncio.Task[None] | None = None
        self.conid: int | None = None
        self._remembered = remembered  # the instrument the trader watched last time
        self._shown: tuple[int, str, tuple[str, str]] | None = None  # (book version, age, stream text) rendered
        self._version = 0
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(max(1, round(1000 / refresh_hz)))
        self._timer.timeout.connect(self.refresh)
        sources_changed.connect(self._follow_sources)
        viewer.searchRequested.connect(self._search)
        viewer.instrumentChosen.connect(self.choose)

    def start(self) -> None:
        self.viewer.show_market(None)
        self._follow_sources()
        self._timer.start()

    async def stop(self) -> None:
        self._timer.stop()
        await self._stop_feed()

    def choose(self, conid: int) -> None:
        """Show `conid`: stream its quotes and its depth ladder instead of the previous instrument's."""
        if self.feed is None:
            self.viewer.stream_label.setText("No session that streams market data is connected yet.")
            return
        self.conid = conid
        self.feed.watch(conid)
        self._shown = None

    def choose_symbol(self, symbol: str) -> None:
        """Show the instrument whose symbol is exactly `symbol` (another broker's holding), once found."""
        if self._source is None:
            self.viewer.stream_label.setText("No session that streams market data is connected yet.")
            return

        def found(hits: tuple[Instrument, ...]) -> None:
            exact = [hit for hit in hits if hit.symbol.upper() == symbol.upper()]
            if exact:
                self.choose(exact[0].conid)
            else:
                self.viewer.stream_label.setText(f"No instrument with the symbol {symbol} at {self._source_label()}.")

        self._operations.run(self._source.search(symbol), found, self._search_failed)

    def _source_label(self) -> str:
        return self._source.label if self._source is not None else "the market data source"

    def refresh(self) -> None:
        """Pull the newest state; render only when something the trader sees has changed."""
        if self.conid is None or self.feed is None:
            return
        quotes = self.feed.quotes(self.conid)
        if quotes is None:
            return
        now = time.monotonic()
        age = self.feed.data_age(self.conid, now)
        text = stream_text(self._source.name if self._source else "", self.feed.state)
        shown = (quotes.version, age, text)
        if shown == self._shown:
            return
        self._shown = shown
        self._version += 1
        self.viewer.show_market(market_view(quotes, age, self._version, text))

    # -- internals -----------------------------------------------------------------------------

    def _follow_sources(self) -> None:
        available = self._sources()
        if self._source is not None or not available:
            return  # a lapsed session reconnects by itself; the feed re-authenticates with it
        source = self._source = available[0]
        self.feed = source.open_feed()
        self._task = self._operations.run(self.feed.run(), lambda _: None)  # it only ends by cancellation
        self.viewer.stream_label.setText(f"{source.label}: connecting…")
        log.info("Market data stream started: %s", source.label)
        first = self._remembered or source.first_instrument
        if first is not None:
            self.choose(first)

    def _search(self, text: str) -> None:
        if self._source is None or not text.strip():
            self.viewer.show_search_results(())
            return
        self._operations.run(self._source.search(text), self._show_results, self._search_failed)

    def _show_results(self, found: tuple[Instrument, ...]) -> None:
        self.viewer.show_search_results(tuple(SearchResult(i.conid, i.symbol, i.description) for i in found))

    def _search_failed(self, error: BaseException) -> None:
        self.viewer.show_search_results(())
        self.viewer.stream_label.setText(f"Search failed: {error}")

    async def _stop_feed(self) -> None:
        await cancel_and_wait(self._task)
        self._task = self.feed = self._source = None
