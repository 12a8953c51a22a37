"""The market area end to end: a real sandbox, the sandbox IBKR session, the worker and the viewer."""

from __future__ import annotations

import numpy as np
import pytest

from app.context import AppContext
from app.market_controller import MarketController
from app.market_view import market_view
from app.operations import Operations
from app.status_controller import StatusController
from brokers.ibkr.book import BookModel
from brokers.ibkr.frames import parse_frame
from tests.conftest import run_on_qt_loop
from widgets.main_window import MainWindow

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
        assert viewer.age_badge.text() == "LIVE"
        assert viewer.ladder.spread_text().startswith("spread ")
        state = market.feed.state
        assert state.connected
        assert AAPL in state.subscriptions
        assert market.feed.quotes(AAPL).version > 0
    finally:
        run_on_qt_loop(qloop, qtbot, market.stop())
        run_on_qt_loop(qloop, qtbot, status.stop())
    assert errors == []


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
    view = market_view(book, book_model.data_age(1, book.last_frame_monotonic), version=7, stream="ok")
    assert (view.symbol, view.version, view.last, view.bid, view.ask) == ("XYZ", 7, 10.01, 9.99, 10.01)
    assert [level.price for level in view.asks] == [10.01, 10.02]
    assert [level.price for level in view.bids] == [10.00, 9.99]
    assert view.ladder_last == 10.00
    assert view.age == "live"
    assert book.tick_size() == pytest.approx(0.01)
    assert np.nansum(view.history_volume) == 300  # day volume turned into size per sample
