"""The market area end to end: a real sandbox, the sandbox IBKR session, the worker and the viewer."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from app.context import AppContext
from app.market_controller import MarketController
from app.market_view import market_view, stream_text
from app.operations import Operations
from app.status_controller import StatusController
from brokers.core.market import InstrumentQuotes, StreamState
from brokers.ibkr.book import BookModel
from brokers.ibkr.frames import Depth, parse_frame
from tests.conftest import run_on_qt_loop
from widgets.main_window import MainWindow
from widgets.market_viewer import MarketViewer

pytestmark = pytest.mark.secretservice

AAPL = 265598


def test_search_pick_and_watch_a_live_market(home, vault, sandbox, qloop, qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    errors: list[BaseException] = []
    operations = Operations(errors.append)
    status = StatusController(AppContext(home), vault, window, operations)
    market = MarketController(
        window.market_viewer, status.sessions.market_sources, status.sessions.changed, operations, parent=window
    )
    status.start()
    market.start()
    viewer = window.market_viewer
    try:
        qtbot.waitUntil(lambda: market.feed is not None, timeout=30_000)
        with qtbot.waitSignal(viewer.searchRequested, timeout=3000):
            qtbot.keyClicks(viewer.symbol_edit, "AA")
        qtbot.waitUntil(lambda: viewer.results.count() > 0, timeout=10_000)
        found = {viewer.results.itemData(i): viewer.results.itemText(i) for i in range(viewer.results.count())}
        assert found[AAPL].startswith("AAPL")
        assert "conid 265598" in found[AAPL]

        with qtbot.waitSignal(viewer.instrumentChosen, timeout=3000) as chosen:
            viewer.results.activated.emit(viewer.results.findData(AAPL))  # what a click on the item sends
        assert chosen.args == [AAPL]
        assert market.conid == AAPL  # the pick reached the controller through the signal
        qtbot.waitUntil(lambda: viewer.render_count > 0 and len(viewer.ladder.rows()) >= 20, timeout=15_000)
        rows = viewer.ladder.rows()
        asks = [r for r in rows if r.side == "ask"]
        bids = [r for r in rows if r.side == "bid"]
        assert len(asks) >= 10
        assert len(bids) >= 10
        assert max(b.price for b in bids) < min(a.price for a in asks)
        assert viewer.quote_symbol.text() == "AAPL"
        assert viewer.age_badge.text() == "● Real-time"
        assert viewer.ladder.spread_text().startswith("spread ")
        state = market.feed.state
        assert state.connected
        assert AAPL in state.subscriptions
        assert market.feed.quotes(AAPL).version > 0

        # The sandbox streams top of book at 20 Hz and the ladder at 5 Hz, as IBKR's two feeds differ:
        # the raw streams disagree between ladder frames, and the viewer must never show it.
        watch = InsideWatch(viewer, lambda: market.feed.quotes(AAPL))
        qtbot.waitUntil(watch.enough, timeout=20_000)
        assert watch.disagreements == []
    finally:
        run_on_qt_loop(qloop, qtbot, market.stop())
        run_on_qt_loop(qloop, qtbot, status.stop())
    assert errors == []


class InsideWatch:
    """Samples the viewer while it streams: the quote line and the ladder's best rows must agree."""

    def __init__(self, viewer: MarketViewer, quotes: Callable[[], InstrumentQuotes]) -> None:
        self.viewer, self.quotes = viewer, quotes
        self.renders: set[int] = set()
        self.raw_disagreed = 0  # samples where the streams themselves disagreed
        self.disagreements: list[str] = []

    def enough(self) -> bool:
        """Sample once; True when enough renders were seen, some of them while the raw streams disagreed."""
        book, viewer = self.quotes(), self.viewer
        if book.bids and book.asks and (book.bids[0][0], book.asks[0][0]) != (book.bid, book.ask):
            self.raw_disagreed += 1
        if viewer.render_count not in self.renders:
            self.renders.add(viewer.render_count)
            rows = viewer.ladder.rows()
            bid = next(r for r in rows if r.side == "bid" and r.inside)
            ask = next(r for r in rows if r.side == "ask" and r.inside)
            quote = (viewer.quote_bid.text(), viewer.quote_ask.text())
            if quote != (f"bid {bid.price_text} × {bid.bid_text}", f"ask {ask.price_text} × {ask.ask_text}"):
                self.disagreements.append(f"{quote} beside the ladder's {bid.price_text} / {ask.price_text}")
            if max(r.price for r in rows if r.side == "bid") >= min(r.price for r in rows if r.side == "ask"):
                self.disagreements.append(f"crossed ladder {[r.price_text for r in rows]}")
        return len(self.renders) >= 100 and self.raw_disagreed >= 5


def test_market_view_maps_the_book_for_the_viewer():
    book_model = BookModel()
    frames = [
        '{"topic":"smd+1","conid":1,"55":"XYZ","31":"10.00","84":"9.99","86":"10.01","87":"1,000","6509":"RpB"}',
        '{"topic":"smd+1","conid":1,"31":"10.01","7059":"300","87":"1,300"}',
        '{"topic":"sbd+DU1+1","data":[{"row":0,"focus":0,"price":"10.02","ask":"200"},'
        '{"row":1,"focus":0,"price":"10.01","ask":"100"},{"row":2,"focus":1,"price":"300 @ 10.00","bid":"500"},'
        '{"row":3,"focus":0,"price":"9.99","bid":"700"}]}',
    ]
    for number, text in enumerate(frames):
        frame = parse_frame(text)
        if hasattr(frame, "rows"):
            book_model.merge_depth(frame, number)
        else:
            book_model.merge_market_data(frame, number)
    book = book_model.book(1)
    view = market_view(book, book_model.data_age(1, book.last_frame_monotonic), version=7, stream=("ok", "ok"))
    # the ladder came last, and its 500 bid at 10.00 shows the quote's 9.99 bid is out of date
    assert (view.symbol, view.version, view.last, view.bid, view.ask) == ("XYZ", 7, 10.01, 10.00, 10.01)
    assert (view.bid_size, view.ask_size) == (500, 100)
    assert [level.price for level in view.asks] == [10.01, 10.02]
    assert [level.price for level in view.bids] == [10.00, 9.99]
    assert view.ladder_last == 10.00
    assert view.age == "live"
    assert book.tick_size() == pytest.approx(0.01)
    assert np.nansum(view.history_volume) == 300  # day volume turned into size per sample


REPORTED_QUOTE = '{"topic":"smd+2","conid":2,"55":"MSFT","84":"410.27","86":"410.29","88":"300","85":"200"}'
REPORTED_LADDER = (
    '{"topic":"sbd+DU1+2","data":[{"row":0,"focus":0,"price":"410.31","ask":"90"},'
    '{"row":1,"focus":0,"price":"410.30","ask":"60"},{"row":2,"focus":0,"price":"410.29","bid":"120"},'
    '{"row":3,"focus":0,"price":"410.28","bid":"80"},{"row":4,"focus":0,"price":"410.27","bid":"45"}]}'
)


@pytest.mark.parametrize(
    ("frames", "inside", "bids", "asks"),
    [
        # the quote came last: the ladder's 410.29 and 410.28 bids are gone, its inside is the quote's
        ((REPORTED_LADDER, REPORTED_QUOTE), (410.27, 300, 410.29, 200), [410.27], [410.29, 410.30, 410.31]),
        # the ladder came last: its bid at 410.29 proves the quote out of date on both sides
        ((REPORTED_QUOTE, REPORTED_LADDER), (410.29, 120, 410.30, 60), [410.29, 410.28, 410.27], [410.30, 410.31]),
    ],
)
def test_the_reported_crossed_frame_is_shown_as_one_inside_market(frames, inside, bids, asks):
    """The report: quote line 410.27 / 410.29 beside a ladder whose best were 410.29 / 410.30."""
    book_model = BookModel()
    for number, text in enumerate(frames):
        frame = parse_frame(text)
        if isinstance(frame, Depth):
            book_model.merge_depth(frame, number)
        else:
            book_model.merge_market_data(frame, number)
    book = book_model.book(2)
    assert (book.bid, book.ask, book.bids[0][0], book.asks[0][0]) == (410.27, 410.29, 410.29, 410.30)
    view = market_view(book, "live", version=1, stream=("ok", "ok"))
    assert (view.bid, view.bid_size, view.ask, view.ask_size) == inside
    assert [level.price for level in view.bids] == bids
    assert [level.price for level in view.asks] == asks
    assert (view.bids[0].size, view.asks[0].size) == (view.bid_size, view.ask_size)


def test_the_stream_status_is_short_and_its_detail_complete():
    state = StreamState(
        connected=True,
        reconnects=2,
        last_error="",
        frames=1_234_567,
        malformed=0,
        stale_reconnects=0,
        subscriptions=(1,),
    )
    short, detail = stream_text("IBKR WebSocket", state)
    assert short == "IBKR WebSocket: connected, 1,234,567 frames"
    assert detail == (
        "IBKR WebSocket: connected; 1 market data line, 1,234,567 frames received, "
        "0 malformed and dropped, 2 reconnects"
    )
    down = StreamState(False, 3, "Cannot reach the IBKR stream (refused). Reconnecting.", 10, 4, 0, ())
    assert (
        stream_text("IBKR WebSocket", down)
        == ("IBKR WebSocket: reconnecting… Cannot reach the IBKR stream (refused). Reconnecting.",) * 2
    )
