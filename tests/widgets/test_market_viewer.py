"""The market viewer renders a known book; every value is read back from the real widgets."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics
from PySide6.QtWidgets import QLabel

from tests.widgets.axis_labels import drawn_labels
from widgets import market_viewer
from widgets.chart_axes import TIME_FORMAT
from widgets.market_splitter import SIDE_GROWTH
from widgets.market_view_models import (
    AGE_COLORS,
    AGE_STATES,
    AGE_WORDS,
    LadderLevel,
    MarketView,
    Print,
    SearchResult,
    price_decimals,
)
from widgets.market_viewer import EMPTY_TEXT, MarketViewer
from widgets.tick_chart import BAND_POINTS, MIN_SPAN_S, TickChart
from widgets.time_and_sales import DIRECTION_COLORS

T0 = 1_760_000_000.0  # a fixed epoch, so times are reproducible


def book(mid_ticks: int = 18942, tick: float = 0.01, levels: int = 12) -> tuple[tuple, tuple]:
    bids = tuple(LadderLevel(round((mid_ticks - 1 - i) * tick, 2), 100 * (i + 1) + 37 * (i % 3)) for i in range(levels))
    asks = tuple(LadderLevel(round((mid_ticks + 1 + i) * tick, 2), 90 * (i + 2) + 11 * (i % 4)) for i in range(levels))
    return bids, asks


def history(n: int = 2400, end: float = T0, seed: int = 7) -> dict[str, np.ndarray]:
    """A random walk in ticks at 4 samples a second: longer than the 5-minute window on purpose."""
    rng = np.random.default_rng(seed)
    t = end - (n - 1) * 0.25 + np.arange(n) * 0.25
    last = 189.42 + np.cumsum(rng.integers(-1, 2, n)) * 0.01
    half = rng.integers(1, 3, n) * 0.01
    volume = np.where(rng.random(n) < 0.4, rng.integers(1, 30, n) * 100, 0).astype(float)
    return {"t": t, "last": last, "bid": last - half, "ask": last + half, "volume": volume}


def make_view(version: int = 1, age: str = "live", shift: int = 0, **overrides) -> MarketView:
    bids, asks = book(18942 + shift)
    h = history(end=T0 + shift * 0.25)
    prints = (
        Print(T0 + 3.25, 189.43, 200),
        Print(T0 + 2.3, 189.41, 100),
        Print(T0 + 1, 189.42, 300),
        Print(T0, 189.42, 50),
    )
    fields = {
        "conid": 265598,
        "symbol": "AAPL",
        "version": version,
        "last": 189.43,
        "last_size": 200,
        "bid": bids[0].price,
        "ask": asks[0].price,
        "bid_size": bids[0].size,
        "ask_size": asks[0].size,
        "volume": 41_234_567,
        "high": 190.12,
        "low": 187.95,
        "bids": bids,
        "asks": asks,
        "ladder_last": 189.43,
        "prints": prints,
        "history_t": h["t"],
        "history_last": h["last"],
        "history_bid": h["bid"],
        "history_ask": h["ask"],
        "history_volume": h["volume"],
        "age": age,
        "age_detail": f"{age}: last update 0.2 s ago",
        "tick_size": 0.01,
        "stream_text": "IBKR WebSocket: subscribed, 42 msg/s",
    }
    fields.update(overrides)
    return MarketView(**fields)


@pytest.fixture
def viewer(qtbot):
    widget = MarketViewer()
    qtbot.addWidget(widget)
    widget.resize(1280, 560)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_price_decimals_follow_the_tick():
    assert [price_decimals(t) for t in (0.01, 0.25, 0.005, 1.0, 5.0, 0.0001, 0.0)] == [2, 2, 3, 0, 0, 4, 2]


def test_ladder_shows_asks_above_bids_with_inside_and_last(viewer):
    viewer.show_market(make_view())
    rows = viewer.ladder.rows()
    assert len(rows) == 20  # 10 levels a side, though the book has 12
    assert [r.side for r in rows] == ["ask"] * 10 + ["bid"] * 10
    assert rows[0].price_text == "189.52"
    assert rows[9].price_text == "189.43"
    assert rows[10].price_text == "189.41"
    assert rows[19].price_text == "189.32"
    assert [r.inside for r in rows].count(True) == 2
    assert rows[9].inside
    assert rows[10].inside
    assert [i for i, r in enumerate(rows) if r.last] == [9]
    assert (rows[9].ask_text, rows[9].bid_text) == ("180", "")
    assert (rows[10].bid_text, rows[10].ask_text) == ("100", "")
    assert rows[19].bid_text == "1,000"
    assert viewer.ladder.spread_text() == "spread 0.02 (2 ticks)"
    assert viewer.ladder.mid_text() == "mid 189.42"


def test_ladder_spread_wording_for_one_tick_half_tick_mid_and_empty(viewer):
    bids, asks = (LadderLevel(100.00, 5),), (LadderLevel(100.01, 7),)
    viewer.ladder.set_book(bids, asks, None, 0.01)
    assert (viewer.ladder.spread_text(), viewer.ladder.mid_text()) == ("spread 0.01 (1 tick)", "mid 100.005")
    viewer.ladder.set_book(bids, (LadderLevel(100.00, 7),), None, 0.01)
    assert viewer.ladder.spread_text() == "spread 0.00 (locked)"
    viewer.ladder.set_book((), asks, None, 0.01)
    assert (viewer.ladder.spread_text(), viewer.ladder.mid_text()) == ("spread —", "")
    viewer.ladder.set_book((LadderLevel(4512.25, 3),), (LadderLevel(4512.75, 9),), 4512.25, 0.25)
    assert viewer.ladder.spread_text() == "spread 0.50 (2 ticks)"
    assert [r.price_text for r in viewer.ladder.rows()] == ["4,512.75", "4,512.25"]
    assert viewer.ladder.rows()[1].last


def test_quote_strip_and_tape(viewer):
    viewer.show_market(make_view())
    assert viewer.quote_symbol.text() == "AAPL"
    assert viewer.quote_last.text() == "189.43"
    assert viewer.quote_bid.text() == "bid 189.41 × 100"
    assert viewer.quote_ask.text() == "ask 189.43 × 180"
    assert "vol 41,234,567" in viewer.quote_stats.text()
    tape = viewer.tape
    assert tape.model.rowCount() == 4
    assert [tape.cell(r, 1) for r in range(4)] == ["189.43", "189.41", "189.42", "189.42"]
    assert [tape.cell(r, 2) for r in range(4)] == ["200", "100", "300", "50"]
    assert tape.cell(0, 0) == time.strftime("%H:%M:%S", time.localtime(T0 + 3)) + ".250"
    assert tape.cell(1, 0).endswith(".300")  # rounded, not truncated to 299
    colours = [tape.cell(r, 1, Qt.ItemDataRole.ForegroundRole) for r in range(4)]
    assert colours == [DIRECTION_COLORS[d] for d in ("up", "down", "flat", "flat")]
    assert tape.cell(0, 0, Qt.ItemDataRole.ForegroundRole) is None


def test_tape_keeps_the_newest_n(qtbot):
    widget = MarketViewer(max_prints=3)
    qtbot.addWidget(widget)
    prints = tuple(Print(T0 - i, 100 + i * 0.01, i + 1) for i in range(10))
    widget.show_market(make_view(prints=prints))
    assert widget.tape.model.rowCount() == 3
    assert [widget.tape.cell(r, 2) for r in range(3)] == ["1", "2", "3"]
    assert widget.tape.cell(2, 1, Qt.ItemDataRole.ForegroundRole) == DIRECTION_COLORS["down"]


def test_chart_holds_the_history_and_scrolls_the_window(viewer):
    view = make_view()
    viewer.show_market(view)
    chart = viewer.chart
    window = view.history_t >= T0 - 300.25  # the window and the sample before it
    x, y = chart.last_curve.getOriginalDataset()
    np.testing.assert_array_equal(x, view.history_t[window])
    np.testing.assert_array_equal(y, view.history_last[window])
    np.testing.assert_array_equal(chart.bid_curve.getOriginalDataset()[1], view.history_bid[window])
    np.testing.assert_array_equal(chart.ask_curve.getOriginalDataset()[1], view.history_ask[window])
    shown_x, shown_y = chart.last_curve.getData()  # clipped to the view, then peak-downsampled
    assert len(shown_x) < window.sum()
    assert shown_x.min() >= T0 - 300.5
    assert shown_x.max() <= T0
    assert (shown_y.min(), shown_y.max()) == (view.history_last[window].min(), view.history_last[window].max())
    band = chart.band.path().boundingRect()
    assert band.left() >= T0 - 300.25
    assert band.right() == T0
    assert band.top() == pytest.approx(view.history_bid[-1201:].min())
    (x0, x1), _ = chart.price_plot.vb.viewRange()
    assert (x0, x1) == pytest.approx((T0 - 300, T0))
    assert chart.volume_plot.vb.viewRange()[0] == pytest.approx([T0 - 300, T0])
    viewer.grab()  # pyqtgraph auto-ranges Y just before it paints
    y0, y1 = chart.price_plot.vb.viewRange()[1]  # Y fits what is in the window, not the whole history
    in_view = view.history_t >= T0 - 300.25
    assert y0 <= view.history_bid[in_view].min()
    assert y1 >= view.history_ask[in_view].max()
    assert y1 - y0 < 1.5 * (view.history_ask[in_view].max() - view.history_bid[in_view].min())
    centres, heights = chart.bar_data()
    in_window = view.history_t >= T0 - 300
    assert heights.sum() == view.history_volume[in_window].sum()
    assert centres.min() >= T0 - 300 - 2.5
    assert centres.max() <= T0 + 2.5
    assert chart.last_line.value() == pytest.approx(view.history_last[-1])
    assert chart.last_curve.opts["clipToView"]
    assert chart.last_curve.opts["autoDownsample"]


def test_a_dense_band_is_decimated_but_keeps_its_extremes_and_newest_sample(qtbot):
    chart = TickChart()
    qtbot.addWidget(chart)
    t = T0 - 299.985 + np.arange(20_000) * 0.015  # 5 minutes at 66 samples a second
    bid = 100 + np.sin(t / 7)
    chart.set_history(t, bid + 0.01, bid, bid + 0.02, np.ones_like(t))
    path = chart.band.path()
    bounds = path.boundingRect()
    assert path.elementCount() <= 2 * (BAND_POINTS + 1)
    assert (bounds.left(), bounds.right()) == (t[0], t[-1])
    assert (bounds.top(), bounds.bottom()) == pytest.approx((bid.min(), bid.max() + 0.02))
    assert chart.bar_data()[1].sum() == 20_000


def drawn_time_labels(chart: TickChart) -> list[str]:
    return drawn_labels(chart.time_axis)


def feed(chart: TickChart, t: np.ndarray) -> None:
    price = 100 + np.sin(t / 9)
    chart.set_history(t, price, price - 0.01, price + 0.01, np.full(len(t), 100.0))


def test_a_new_instrument_starts_at_the_left_then_the_range_grows_then_scrolls(qtbot):
    chart = TickChart(window_s=300)
    qtbot.addWidget(chart)
    chart.resize(640, 360)
    chart.show()
    qtbot.waitExposed(chart)
    stages = [
        (T0 + np.arange(9) * 0.25, (T0, T0 + MIN_SPAN_S)),  # 2 s of data: at the left of a 30 s range
        (T0 + np.arange(480) * 0.25, (T0, T0 + 119.75)),  # 2 minutes: the range spans exactly the data
        (T0 + np.arange(2400) * 0.25, (T0 + 299.75, T0 + 599.75)),  # 10 minutes: the last 5, scrolling
    ]
    for t, expected in stages:
        feed(chart, t)
        (x0, x1), _ = chart.price_plot.vb.viewRange()
        assert (x0, x1) == pytest.approx(expected)
        assert chart.volume_plot.vb.viewRange()[0] == pytest.approx(expected)
        shown = t[(t >= x0) & (t <= x1)]
        assert shown[-1] - shown[0] >= 0.95 * (min(x1, t[-1]) - x0)  # data from the left edge on, no gap
        labels = drawn_time_labels(chart)
        assert len(labels) >= 3, labels
        assert all(re.fullmatch(r"\d\d:\d\d:\d\d", label) for label in labels)
        (_, ticks), *_ = chart.time_axis.tickValues(x0, x1, chart.time_axis.geometry().width())
        assert all(x0 <= tick <= x1 for tick in ticks)
        assert set(labels) <= {time.strftime(TIME_FORMAT, time.localtime(round(tick))) for tick in ticks}


def es_view(version: int = 1) -> MarketView:
    """A future with four-digit prices and five-digit sizes: the widest text the columns must hold."""
    bids = tuple(LadderLevel(5200.25 - 0.25 * i, 12_345 + i) for i in range(10))
    asks = tuple(LadderLevel(5200.50 + 0.25 * i, 23_456 + i) for i in range(10))
    prints = tuple(Print(T0 - i * 0.7, 5200.25 + 0.25 * (i % 3), 10_000 + 1_111 * i) for i in range(20))
    return make_view(
        version=version,
        symbol="ES",
        bids=bids,
        asks=asks,
        bid=bids[0].price,
        ask=asks[0].price,
        bid_size=bids[0].size,
        ask_size=asks[0].size,
        last=5200.25,
        ladder_last=5200.25,
        prints=prints,
        tick_size=0.25,
        stream_text="IBKR WebSocket: connected, 1,234,567 frames, 12 malformed",
    )


def test_a_narrow_viewer_keeps_every_column_readable_and_gives_the_chart_the_rest(qtbot):
    widget = MarketViewer()
    qtbot.addWidget(widget)
    widget.resize(1400, 560)
    widget.show()
    qtbot.waitExposed(widget)
    widget.show_market(es_view())
    qtbot.waitUntil(lambda: widget.tape.model.rowCount() == 20)
    wide = (widget.ladder.width(), widget.chart.width(), widget.tape.width())
    widget.resize(980, 560)
    qtbot.waitUntil(lambda: widget.width() == 980 and widget.chart.width() < wide[1])
    widget.grab()  # lay out and paint at the new size

    assert (widget.ladder.width(), widget.tape.width()) == (wide[0], wide[2])  # only the chart narrowed
    assert widget.chart.width() >= 400

    table, header = widget.tape.table, widget.tape.table.horizontalHeader()
    for column in range(widget.tape.model.columnCount()):
        needed = max(table.sizeHintForColumn(column), header.sectionSizeHint(column))
        assert table.columnWidth(column) >= needed, header.model().headerData(column, Qt.Orientation.Horizontal)
        assert table.columnViewportPosition(column) + table.columnWidth(column) <= table.viewport().width()

    bold = QFont(widget.ladder.font())
    bold.setBold(True)
    metrics = QFontMetrics(bold)
    texts = [text for row in widget.ladder.rows() for text in (row.price_text, row.bid_text, row.ask_text)]
    assert "5,200.25" in texts
    assert "12,345" in texts
    assert max(metrics.horizontalAdvance(text) for text in texts) <= widget.ladder.text_room()

    assert widget.stream_label.shown_text() == "IBKR WebSocket: connected, 1,234,567 frames, 12 malformed"
    assert widget.age_badge.width() >= widget.age_badge.sizeHint().width()
    for label in (widget.quote_symbol, widget.quote_last, widget.quote_bid, widget.quote_ask):
        assert label.width() >= label.sizeHint().width(), label.text()


def test_a_wide_viewer_gives_the_ladder_and_the_tape_a_share_and_the_chart_the_most(qtbot):
    widget = MarketViewer()
    qtbot.addWidget(widget)
    widget.resize(1280, 700)
    widget.show()
    qtbot.waitExposed(widget)
    widget.show_market(es_view())
    qtbot.waitUntil(lambda: widget.tape.model.rowCount() == 20)
    natural = (widget.ladder.width(), widget.tape.width())
    assert natural[0] == widget.ladder.sizeHint().width()  # 1280 px: the sides as wide as their text needs

    widget.resize(2548, 1300)
    qtbot.waitUntil(lambda: widget.chart.width() > 1500)
    ladder, chart, tape = widget.ladder.width(), widget.chart.width(), widget.tape.width()
    assert natural[0] * 1.3 < ladder <= natural[0] * SIDE_GROWTH
    assert natural[1] * 1.3 < tape <= natural[1] * SIDE_GROWTH
    assert chart > ladder + tape  # the chart is still the biggest by far
    assert ladder + chart + tape + 2 * widget.splitter.handleWidth() == widget.splitter.width()

    widget.resize(1280, 700)
    qtbot.waitUntil(lambda: widget.chart.width() < 1000)
    assert (widget.ladder.width(), widget.tape.width()) == natural


def test_a_moved_handle_keeps_its_share_through_a_resize(qtbot):
    widget = MarketViewer()
    qtbot.addWidget(widget)
    widget.resize(1600, 700)
    widget.show()
    qtbot.waitExposed(widget)
    widget.show_market(make_view())
    qtbot.waitUntil(lambda: widget.splitter.isVisible())
    splitter = widget.splitter
    splitter.moveSplitter(500, 1)  # what dragging the ladder's handle does
    assert widget.ladder.width() == 500
    share = widget.ladder.width() / sum(splitter.sizes())

    widget.resize(2400, 700)
    qtbot.waitUntil(lambda: widget.width() == 2400)
    assert widget.ladder.width() / sum(splitter.sizes()) == pytest.approx(share, abs=0.01)


def test_the_viewer_says_when_it_shows_a_working_market(viewer):
    assert not viewer.shows_market()  # the prompt to pick an instrument
    viewer.show_market(make_view(version=1))
    assert viewer.shows_market()
    viewer.show_market(make_view(version=2, conid=8314, prints=()))  # another instrument, nothing traded yet
    assert not viewer.shows_market()
    viewer.show_market(None)
    assert not viewer.shows_market()


def test_a_locked_or_crossed_inside_is_said_in_the_quote_line(viewer):
    viewer.show_market(make_view(version=1))
    assert not viewer.inside_warning.isVisible()
    viewer.show_market(make_view(version=2, bid=189.44, ask=189.43))
    assert viewer.inside_warning.isVisible()
    assert viewer.inside_warning.text() == "crossed"
    viewer.show_market(make_view(version=3, bid=189.43, ask=189.43))
    assert viewer.inside_warning.text() == "locked"
    viewer.show_market(make_view(version=4))
    assert not viewer.inside_warning.isVisible()


def test_the_stream_line_shows_the_short_status_and_holds_the_full_one(viewer):
    viewer.show_market(make_view(stream_text="IBKR WebSocket: connected, 42 frames", stream_detail="all of it"))
    assert viewer.stream_label.text() == "IBKR WebSocket: connected, 42 frames"
    assert viewer.stream_label.toolTip() == "all of it"


@pytest.mark.parametrize(
    ("age", "words"),
    [("live", "Real-time"), ("delayed", "Delayed"), ("frozen", "Frozen"), ("stale", "Stale"), ("none", "No data")],
)
def test_freshness_says_and_paints_the_state(viewer, age, words):
    viewer.show_market(make_view(age=age))
    assert viewer.age_badge.text() == f"● {words}"
    assert viewer.age_badge.toolTip() == f"{age}: last update 0.2 s ago"
    assert viewer.age_color() == AGE_COLORS[age]
    image = viewer.age_badge.grab().toImage()
    painted = {QColor(image.pixel(x, y)).name() for x in range(image.width()) for y in range(image.height())}
    assert AGE_COLORS[age] in painted  # the dot, the word and the outline
    assert len(set(AGE_COLORS.values())) == 5


def visible_texts(viewer: MarketViewer) -> list[str]:
    """Every text the market area shows: labels, the tape's headers and cells, the ladder's rows."""
    texts = [label.text() for label in viewer.findChildren(QLabel) if label.isVisible()]
    model = viewer.tape.model
    texts += [str(model.headerData(c, Qt.Orientation.Horizontal)) for c in range(model.columnCount())]
    texts += [str(viewer.tape.cell(r, c)) for r in range(model.rowCount()) for c in range(model.columnCount())]
    texts += [viewer.ladder.spread_text(), viewer.ladder.mid_text()]
    texts += [text for row in viewer.ladder.rows() for text in (row.price_text, row.bid_text, row.ask_text)]
    return texts


@pytest.mark.parametrize("age", AGE_STATES)
def test_no_market_text_says_live_the_trading_mode_word(viewer, age):
    """LIVE and SHADOW name the trading mode; data freshness has words of its own."""
    viewer.show_market(make_view(age=age))
    texts = visible_texts(viewer)
    assert f"● {AGE_WORDS[age]}" in texts
    assert [text for text in texts if re.search(r"\blive\b", text, re.IGNORECASE)] == []


class SteppingClock:
    """A `perf_counter` that moves on by `step_s` at each reading, so a measured time is known exactly."""

    def __init__(self, step_s: float) -> None:
        self.now, self.step_s = 1000.0, step_s

    def perf_counter(self) -> float:
        self.now += self.step_s
        return self.now


def test_same_version_is_skipped_and_none_shows_the_prompt(viewer, monkeypatch):
    monkeypatch.setattr(market_viewer, "time", SteppingClock(0.0025))  # each render measures 2.5 ms
    assert viewer.stack.currentWidget() is viewer.empty_label
    assert viewer.empty_label.text() == EMPTY_TEXT
    viewer.show_market(make_view(version=1))
    assert viewer.render_count == 1
    assert viewer.last_render_ms == pytest.approx(2.5)  # what the render took by the viewer's clock
    viewer.show_market(make_view(version=1, last=1.0))
    assert viewer.render_count == 1
    assert viewer.quote_last.text() == "189.43"
    viewer.show_market(make_view(version=2, last=189.5))
    assert viewer.render_count == 2
    assert viewer.quote_last.text() == "189.50"
    assert viewer.stack.currentWidget() is viewer.splitter
    viewer.show_market(None)
    assert viewer.stack.currentWidget() is viewer.empty_label
    assert viewer.age_badge.text() == "● No data"
    assert viewer.quote_symbol.text() == ""
    viewer.show_market(make_view(version=2))
    assert viewer.render_count == 3


def test_typing_searches_after_a_pause_and_picking_chooses(viewer, qtbot):
    with qtbot.assertNotEmitted(viewer.searchRequested, wait=100):
        qtbot.keyClicks(viewer.symbol_edit, "AA")
    with qtbot.waitSignal(viewer.searchRequested, timeout=1000) as searched:
        qtbot.keyClicks(viewer.symbol_edit, "PL")
    assert searched.args == ["AAPL"]

    results = (SearchResult(265598, "AAPL", "APPLE INC - NASDAQ"), SearchResult(38708077, "AAPL", "APPLE INC - MEXI"))
    viewer.show_search_results(results)
    assert viewer.results.count() == 2
    assert "conid 265598" in viewer.results.itemText(0)
    assert "conid 38708077" in viewer.results.itemText(1)
    assert viewer.results.currentIndex() == -1
    with qtbot.waitSignal(viewer.instrumentChosen, timeout=1000) as chosen:
        qtbot.keyClick(viewer.results, Qt.Key.Key_Down)
    assert chosen.args == [265598]
    with qtbot.waitSignal(viewer.instrumentChosen, timeout=1000) as chosen:
        qtbot.keyClick(viewer.results, Qt.Key.Key_Down)
    assert chosen.args == [38708077]
    with qtbot.waitSignal(viewer.instrumentChosen, timeout=1000) as chosen:
        qtbot.keyClick(viewer.symbol_edit, Qt.Key.Key_Return)
    assert chosen.args == [265598]

    viewer.symbol_edit.setText("AAP")  # results are for AAPL: Enter must not guess
    with qtbot.assertNotEmitted(viewer.instrumentChosen, wait=50):
        qtbot.keyClick(viewer.symbol_edit, Qt.Key.Key_Return)

    viewer.show_search_results(())
    assert viewer.results.count() == 0
    assert "No instrument matches" in viewer.results.placeholderText()


def test_screenshot_looks_like_a_market(viewer, qtbot, tmp_path):
    viewer.show_market(make_view())
    qtbot.wait(50)
    path = tmp_path / "market.png"
    assert viewer.grab().save(str(path))
    image = viewer.grab().toImage().scaled(320, 140)
    colours = {image.pixel(x, y) for x in range(image.width()) for y in range(image.height())}
    assert len(colours) > 200
    ladder = viewer.ladder.grab().toImage()
    ladder_colours = {QColor(ladder.pixel(x, y)).name() for x in range(ladder.width()) for y in range(ladder.height())}
    assert {"#1b4176", "#6e2a27", "#e3b341"} <= ladder_colours  # bid bars, ask bars, the last-trade frame


@pytest.mark.slow
def test_300_painted_updates_paint_without_fault(viewer):
    """A smoke test for the PySide6/pyqtgraph pin: repaint after every update, no crash and no warning.

    How fast this is belongs to `make bench`, not to a test.
    """
    for frame in range(300):
        viewer.show_market(make_view(version=frame + 1, shift=frame % 40, age="live" if frame % 50 else "delayed"))
        viewer.repaint()
    assert viewer.render_count == 300
    assert viewer.age_badge.text() == "● Real-time"
