"""Market data for the viewer: one WebSocket worker, pulled by the UI at display rate.

The worker writes only the latest state into the book; a QTimer reads it 60 times a second and hands
the viewer a fresh picture when anything changed. No Qt signal is ever emitted per frame.
"""

from __future__ import annotations

import asyncio
import logging
import time

from PySide6.QtCore import QObject, Qt, QTimer

from app.ibkr_sessions import IbkrSessions
from app.market_view import market_view, stream_text
from app.operations import Operations
from brokers.core.profiles import IbkrProfile, ProfileOrigin
from brokers.ibkr.book import BookModel
from brokers.ibkr.session import IbkrSession
from brokers.ibkr.stream import MarketStream
from widgets.market_view_models import SearchResult
from widgets.market_viewer import MarketViewer

log = logging.getLogger(__name__)

REFRESH_HZ = 60
SANDBOX_FIRST_INSTRUMENT = 265598  # what a first run against the sandbox opens on: its AAPL


class MarketController(QObject):
    """Starts the stream on the first ready IBKR session and feeds the viewer from its book."""

    def __init__(
        self,
        viewer: MarketViewer,
        sessions: IbkrSessions,
        operations: Operations,
        refresh_hz: float = REFRESH_HZ,
        parent: QObject | None = None,
        remembered: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.viewer = viewer
        self.book = BookModel()
        self._sessions = sessions
        self._operations = operations
        self._source: tuple[IbkrProfile, IbkrSession] | None = None
        self.stream: MarketStream | None = None
        self._task: asyncio.Task[None] | None = None
        self.conid: int | None = None
        self._remembered = remembered  # the instrument the trader watched last time
        self._shown: tuple[int, str, str] | None = None  # (book version, age, stream text) last rendered
        self._version = 0
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(max(1, round(1000 / refresh_hz)))
        self._timer.timeout.connect(self.refresh)
        sessions.changed.connect(self._follow_sessions)
        viewer.searchRequested.connect(self._search)
        viewer.instrumentChosen.connect(self.choose)

    def start(self) -> None:
        self.viewer.show_market(None)
        self._follow_sessions()
        self._timer.start()

    async def stop(self) -> None:
        self._timer.stop()
        await self._stop_stream()

    def choose(self, conid: int) -> None:
        """Show `conid`: stream its quotes and its depth ladder instead of the previous instrument's."""
        if self.stream is None:
            self.viewer.stream_label.setText("No IBKR session is connected: market data needs one.")
            return
        if self.conid is not None and self.conid != conid:
            self.stream.unsubscribe(self.conid)
        self.conid = conid
        self.stream.subscribe(conid)
        self.stream.subscribe_depth(conid)
        self._shown = None

    def refresh(self) -> None:
        """Pull the newest state; render only when something the trader sees has changed."""
        if self.conid is None or self.stream is None:
            return
        book = self.book.book(self.conid)
        if book is None:
            return
        age = self.book.data_age(self.conid, time.monotonic())
        text = stream_text(self.stream.state)
        shown = (book.version, age, text)
        if shown == self._shown:
            return
        self._shown = shown
        self._version += 1
        self.viewer.show_market(market_view(book, self.book, time.monotonic(), self._version, text))

    # -- internals -----------------------------------------------------------------------------

    def _follow_sessions(self) -> None:
        ready = self._sessions.ready()
        if self._source is not None and self._source not in ready:
            return  # a lapsed session reconnects by itself; the stream re-authenticates with it
        if self._source is None and ready:
            self._source = ready[0]
            profile, session = self._source
            self.stream = MarketStream(session, self.book, account=profile.account)
            self._task = asyncio.get_running_loop().create_task(self.stream.run(), name="ibkr-market-stream")
            self._task.add_done_callback(self._on_stream_ended)
            self.viewer.stream_label.setText(f"IBKR WebSocket via {profile.display_name}: connecting…")
            log.info("Market data stream started on %s", profile.name)
            first = self._remembered or (SANDBOX_FIRST_INSTRUMENT if profile.origin == ProfileOrigin.SANDBOX else None)
            if first is not None:
                self.choose(first)

    def _search(self, text: str) -> None:
        if self._source is None or not text.strip():
            self.viewer.show_search_results(())
            return
        _, session = self._source
        request = session.request("GET", "/iserver/secdef/search", params={"symbol": text.strip()}, what="search")
        self._operations.run(request, self._show_results, self._search_failed)

    def _show_results(self, rows: object) -> None:
        results = []
        for row in rows if isinstance(rows, list) else []:
            try:
                results.append(SearchResult(int(row["conid"]), str(row["symbol"]), str(row.get("companyName", ""))))
            except (KeyError, TypeError, ValueError):
                continue
        self.viewer.show_search_results(tuple(results))

    def _search_failed(self, error: BaseException) -> None:
        self.viewer.show_search_results(())
        self.viewer.stream_label.setText(f"Search failed: {error}")

    def _on_stream_ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self._operations.report(task.exception())

    async def _stop_stream(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._task = self.stream = self._source = None
