"""The market area: an instrument picker, a quote strip, the ladder, tick chart and tape side by side,
and the feed's status on a line of its own below them.

The app calls `show_market` at display rate with the newest view; a view whose version was already
shown costs one tuple comparison, so coalescing upstream and rendering here stay independent.

Down to about 980 px wide the ladder and the tape keep the width their text needs and the chart takes
the rest; on a wide screen they get a share of it too (`MarketSplitter`). The status line spans the
whole width, so it is not cut to a word.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from widgets.depth_ladder import DepthLadder
from widgets.market_splitter import MarketSplitter
from widgets.market_view_models import (
    AGE_COLORS,
    AGE_WORDS,
    COLORS,
    MarketView,
    SearchResult,
    format_price,
    format_size,
    price_decimals,
)
from widgets.tick_label import ElidedLabel, TickLabel
from widgets.time_and_sales import TimeAndSales

if TYPE_CHECKING:
    from widgets.tick_chart import TickChart

SEARCH_DEBOUNCE_MS = 250
CHART_HZ = 15.0  # redraw ceilings of the slow parts; the ladder and quotes follow the app's refresh rate
TAPE_HZ = 10.0
CHART_MIN_WIDTH = 320  # below this the chart is a sliver; at 980 px the ladder and tape leave it about 480
EMPTY_TEXT = "Pick an instrument to see its market."
INSIDE_WARNINGS = {"crossed": "Crossed: the best bid is above the best ask", "locked": "Locked: bid equals ask"}

_STYLE = f"""
#marketViewer {{ background: {COLORS["background"]}; }}
#marketViewer QLabel {{ color: {COLORS["text"]}; }}
#marketViewer QLabel[role="muted"] {{ color: {COLORS["muted"]}; }}
#marketViewer QLineEdit, #marketViewer QComboBox {{
    background: #161c23; color: {COLORS["text"]}; border: 1px solid {COLORS["grid"]}; padding: 3px 6px;
}}
#marketViewer QTableView {{
    background: {COLORS["background"]}; color: {COLORS["text"]}; border: none;
    alternate-background-color: {COLORS["row_alt"]};
}}
#marketViewer QHeaderView::section {{
    background: {COLORS["background"]}; color: {COLORS["muted"]}; border: none;
    border-bottom: 1px solid {COLORS["grid"]}; padding: 2px 6px;
}}
#marketViewer QSplitter::handle {{ background: {COLORS["grid"]}; }}
#quoteSymbol {{ font-size: 15pt; font-weight: bold; }}
#quoteLast {{ font-size: 15pt; font-weight: bold; color: {COLORS["last"]}; }}
#quoteBid {{ color: {COLORS["bid"]}; }}
#quoteAsk {{ color: {COLORS["ask"]}; }}
#insideWarning {{ color: {COLORS["down"]}; font-weight: bold; }}
#streamStatus {{ font-size: 8.5pt; }}
"""


def _label(
    name: str, parent: QWidget, muted: bool = False, elided: bool = False, left: bool = False, ticking: bool = False
) -> QLabel:
    """A label of the market area; `ticking` for text that changes with the market (see `tick_label`)."""
    if elided:
        label: QLabel = ElidedLabel(parent, Qt.AlignmentFlag.AlignLeft if left else Qt.AlignmentFlag.AlignRight)
    elif ticking:
        label = TickLabel(parent)
    else:
        label = QLabel(parent)
    label.setObjectName(name)
    if muted:
        label.setProperty("role", "muted")
    return label


class MarketViewer(QWidget):
    """Renders `MarketView`s and emits what the trader asks for: a search, or an instrument."""

    searchRequested = Signal(str)
    instrumentChosen = Signal(int)  # conid

    def __init__(
        self, levels: int = 10, max_prints: int = 50, window_s: float = 300.0, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("marketViewer")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setStyleSheet(_STYLE)
        self.last_render_ms = 0.0
        self.render_count = 0
        self._chart_due = 0.0
        self._chart_conid: int | None = None
        self._tape_due = 0.0
        self._shown: tuple[int, int] | None = None
        self._results: tuple[SearchResult, ...] = ()
        self._age = ""

        self.symbol_edit = QLineEdit(self)
        self.symbol_edit.setObjectName("symbolSearch")
        self.symbol_edit.setAccessibleName("Symbol search")
        self.symbol_edit.setPlaceholderText("Symbol, e.g. AAPL")
        self.symbol_edit.setClearButtonEnabled(True)
        self.symbol_edit.setMinimumWidth(120)
        self.symbol_edit.setMaximumWidth(170)
        self.results = QComboBox(self)
        self.results.setObjectName("searchResults")
        self.results.setAccessibleName("Search results")
        self.results.setMinimumWidth(150)
        self.results.setMaximumWidth(420)
        self.results.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.results.setPlaceholderText("Type a symbol to search")
        self.age_badge = _label("ageBadge", self)
        self.age_badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.age_badge.setMinimumWidth(96)
        self.stream_label = _label("streamStatus", self, muted=True, elided=True, left=True)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._emit_search)
        self.symbol_edit.textEdited.connect(self._restart_debounce)
        self.symbol_edit.returnPressed.connect(self._choose_typed)
        self.results.activated.connect(self._choose_index)

        self.quote_symbol = _label("quoteSymbol", self)
        self.quote_last = _label("quoteLast", self, ticking=True)
        self.quote_last_size = _label("quoteLastSize", self, muted=True, ticking=True)
        self.quote_bid = _label("quoteBid", self, ticking=True)
        self.quote_ask = _label("quoteAsk", self, ticking=True)
        self.inside_warning = _label("insideWarning", self)
        self.inside_warning.hide()
        self.quote_stats = _label("quoteStats", self, muted=True, elided=True)

        self.ladder = DepthLadder(levels, self)
        self.chart_slot = QWidget(self)  # the chart's place in the splitter; see build_chart
        self.chart_slot.setObjectName("chartSlot")
        self.chart_slot.setMinimumWidth(CHART_MIN_WIDTH)
        self._chart_layout = QVBoxLayout(self.chart_slot)
        self._chart_layout.setContentsMargins(0, 0, 0, 0)
        self._window_s = window_s
        self._chart: TickChart | None = None
        self.tape = TimeAndSales(max_prints, self)
        self.splitter = MarketSplitter(self.ladder, self.chart_slot, self.tape, self)
        self.empty_label = _label("marketEmpty", self, muted=True)
        self.empty_label.setText(EMPTY_TEXT)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.empty_label)
        self.stack.addWidget(self.splitter)

        picker = QHBoxLayout()
        picker.addWidget(self.symbol_edit)
        picker.addWidget(self.results, 1)
        picker.addStretch(1)
        picker.addWidget(self.age_badge)
        quote = QHBoxLayout()
        quote.setSpacing(14)
        for label in (
            self.quote_symbol,
            self.quote_last,
            self.quote_last_size,
            self.quote_bid,
            self.quote_ask,
            self.inside_warning,
        ):
            quote.addWidget(label, 0, Qt.AlignmentFlag.AlignBaseline)
        quote.addWidget(self.quote_stats, 1, Qt.AlignmentFlag.AlignBaseline)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 4)
        layout.addLayout(picker)
        layout.addLayout(quote)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.stream_label)
        self._show_empty()

    @property
    def chart(self) -> TickChart:
        return self.build_chart()

    def build_chart(self) -> TickChart:
        """The tick chart, built on first use: pyqtgraph and numpy are the slowest imports of the window, and
        the empty market area paints without them (the app builds it right after the first paint)."""
        if self._chart is None:
            from widgets.tick_chart import TickChart

            self._chart = TickChart(self._window_s, self.chart_slot)
            self._chart.setMinimumWidth(CHART_MIN_WIDTH)
            self._chart_layout.addWidget(self._chart)
        return self._chart

    # ---- the picker -------------------------------------------------------------------------------

    def show_search_results(self, results: tuple[SearchResult, ...]) -> None:
        """List the matches with their conids; nothing is chosen until the trader picks one."""
        self._results = tuple(results)
        self.results.clear()
        for result in self._results:
            self.results.addItem(f"{result.symbol}  {result.description}  ·  conid {result.conid}", result.conid)
        self.results.setCurrentIndex(-1)
        count = len(self._results)
        text = self.symbol_edit.text().strip()
        self.results.setPlaceholderText(
            f"No instrument matches “{text}”" if not count else f"{count} match{'es' if count > 1 else ''}: pick one"
        )

    def _restart_debounce(self, _text: str) -> None:
        self._debounce.start()

    def _emit_search(self) -> None:
        text = self.symbol_edit.text().strip()
        if text:
            self.searchRequested.emit(text)

    def _choose_index(self, index: int) -> None:
        if 0 <= index < len(self._results):
            self.instrumentChosen.emit(self._results[index].conid)

    def _choose_typed(self) -> None:
        """Enter picks a result whose symbol is exactly what was typed (the first such, in the app's order).

        Without an exact match the results may still be those of an earlier, shorter search, so
        nothing is chosen: the focus moves to the list for the trader to pick from.
        """
        typed = self.symbol_edit.text().strip().upper()
        exact = [i for i, r in enumerate(self._results) if r.symbol.upper() == typed]
        if exact:
            self.results.setCurrentIndex(exact[0])
            self._choose_index(exact[0])
        elif self._results:
            self.results.setFocus()

    # ---- rendering --------------------------------------------------------------------------------

    def show_market(self, view: MarketView | None) -> None:
        """Render `view`; a view already shown (same conid and version) is skipped."""
        if view is None:
            if self._shown is not None:
                self._show_empty()
            return
        key = (view.conid, view.version)
        if key == self._shown:
            return
        started = time.perf_counter()
        self._shown = key
        decimals = price_decimals(view.tick_size)
        self._show_age(view.age, view.age_detail)
        self.stream_label.setText(view.stream_text)
        self.stream_label.setToolTip(view.stream_detail or view.stream_text)
        self.quote_symbol.setText(view.symbol)
        last = format_price(view.last, decimals) or "—"
        self.quote_last.setText(f"{last} {view.last_prefix}".strip())
        self.quote_last_size.setText(f"× {format_size(view.last_size)}" if view.last_size is not None else "")
        self.quote_bid.setText(f"bid {format_price(view.bid, decimals) or '—'} × {format_size(view.bid_size) or '—'}")
        self.quote_ask.setText(f"ask {format_price(view.ask, decimals) or '—'} × {format_size(view.ask_size) or '—'}")
        self._show_inside_warning(view.bid, view.ask, view.tick_size)
        self.quote_stats.setText(
            f"vol {format_size(view.volume) or '—'}   "
            f"H {format_price(view.high, decimals) or '—'}   L {format_price(view.low, decimals) or '—'}"
        )
        self.ladder.set_book(view.bids, view.asks, view.ladder_last, view.tick_size)
        switched = view.conid != self._chart_conid
        chart_due = started >= self._chart_due or switched
        if chart_due:
            # A 5-minute chart gains nothing from 60 redraws a second; the ladder and quotes keep them.
            self._chart_due = started + 1.0 / CHART_HZ
            self._chart_conid = view.conid
            self.chart.set_history(
                view.history_t,
                view.history_last,
                view.history_bid,
                view.history_ask,
                view.history_volume,
                view.tick_size,
            )
        # Never the chart and the tape in one render: each is a few ms, and together they hold the loop twice as long.
        if (started >= self._tape_due and not chart_due) or switched:
            self._tape_due = started + 1.0 / TAPE_HZ
            self.tape.set_prints(view.prints, view.tick_size)
        if self.stack.currentIndex() != 1:
            self.stack.setCurrentIndex(1)
        self.render_count += 1
        self.last_render_ms = (time.perf_counter() - started) * 1000

    def shows_market(self) -> bool:
        """Whether the market area is at work: a chart with prices and a tape with prints."""
        shown = self.stack.currentIndex() == 1 and self._chart is not None and self._chart.prices_shown() >= 2
        return shown and self.tape.model.rowCount() > 0

    def _show_empty(self) -> None:
        self._shown = None
        self.stack.setCurrentIndex(0)
        for label in (self.quote_symbol, self.quote_last, self.quote_last_size, self.quote_bid, self.quote_ask):
            label.setText("")
        self.quote_stats.setText("")
        self.inside_warning.hide()
        self.stream_label.setText("")
        self._show_age("none", "No instrument is selected.")

    def _show_inside_warning(self, bid: float | None, ask: float | None, tick_size: float) -> None:
        """Say so when the inside itself is locked or crossed (the ladder's spread line says it too)."""
        state = ""
        if bid is not None and ask is not None:
            half_tick = (tick_size if tick_size > 0 else 0.01) / 2
            state = "crossed" if bid - ask > half_tick else "locked" if abs(ask - bid) < half_tick else ""
        if state:
            self.inside_warning.setText(state)
            self.inside_warning.setToolTip(INSIDE_WARNINGS[state])
        if self.inside_warning.isVisibleTo(self) != bool(state):
            self.inside_warning.setVisible(bool(state))

    def _show_age(self, age: str, detail: str) -> None:
        """Restyle the freshness indicator only when the state changes: a stylesheet polish is not free."""
        age = age if age in AGE_COLORS else "none"
        if age != self._age:
            self._age = age
            # A coloured dot and word in an outline: a status, not the filled LIVE/SHADOW mode badge.
            self.age_badge.setText(f"● {AGE_WORDS[age]}")
            self.age_badge.setStyleSheet(
                f"color: {AGE_COLORS[age]}; border: 1px solid {AGE_COLORS[age]}; border-radius: 9px; padding: 1px 8px;"
            )
        self.age_badge.setToolTip(detail)

    def age_color(self) -> str:
        """The indicator's colour (#rrggbb) for the state it shows."""
        return AGE_COLORS[self._age]
