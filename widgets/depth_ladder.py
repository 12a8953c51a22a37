"""The depth ladder: one painted widget over cached row data.

Painting text into fixed slots avoids a widget or table cell per level, so an update is a few dozen
string formats and one `update()`; nothing is re-sorted or rebuilt when the book moves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QFontMetrics, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from widgets.market_view_models import COLORS, LadderLevel, format_price, format_size, price_decimals

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_CENTER = Qt.AlignmentFlag.AlignCenter
_INSET = 10  # px of a column that its text may not use (the painted cells' insets)
TEXT_MARGIN = _INSET + 4  # px a column asks for besides its text: the insets and a small gap
_HEADERS = ("BID SIZE", "PRICE", "ASK SIZE")


class LadderRow(NamedTuple):
    """What one ladder row shows; `rows()` returns exactly what `paintEvent` draws (a tuple: cheap to build)."""

    side: str  # "ask" | "bid"
    price: float
    bid_size: int | None
    ask_size: int | None
    price_text: str
    bid_text: str
    ask_text: str
    inside: bool  # the best bid or best ask
    last: bool  # the last trade happened at this price


class DepthLadder(QWidget):
    """Asks above (highest at top), bids below, a spread and mid line between them."""

    def __init__(self, levels: int = 10, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("depthLadder")
        self.levels = levels
        self._rows: tuple[LadderRow, ...] = ()
        self._max_size = 1
        self._spread_text = "spread —"
        self._mid_text = ""
        self._font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self._font.setPointSizeF(9.5)
        self._font.setStyleHint(QFont.StyleHint.Monospace)
        self.setFont(self._font)
        self._bold = QFont(self._font)
        self._bold.setBold(True)
        self._header_font = QFont(self._font)
        self._header_font.setPointSizeF(8.5)
        self._divider_font = QFont(self._font)
        self._divider_font.setPointSizeF(9.0)
        self._colors = {name: QColor(value) for name, value in COLORS.items()}
        self._row_h = QFontMetrics(self._font).height() + 6
        self._min_row_h = QFontMetrics(self._font).height() + 1
        self.setAutoFillBackground(False)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self._decimals = -1
        self._longest = (0, 0)  # characters of the longest price and size text, when last measured
        self._column_min = 0
        self._fit_columns(len("0,000.00"), len("00,000"))

    # ---- data -------------------------------------------------------------------------------------

    def set_book(
        self,
        bids: Sequence[LadderLevel],
        asks: Sequence[LadderLevel],
        last: float | None,
        tick_size: float,
    ) -> None:
        """Format the visible levels once; painting then only draws cached strings."""
        decimals = price_decimals(tick_size)
        half_tick = (tick_size if tick_size > 0 else 0.01) / 2
        shown_asks = asks[: self.levels]
        shown_bids = bids[: self.levels]
        rows: list[LadderRow] = []
        for i in range(len(shown_asks) - 1, -1, -1):
            level = shown_asks[i]
            rows.append(self._row("ask", level, i == 0, last, half_tick, decimals))
        for i, level in enumerate(shown_bids):
            rows.append(self._row("bid", level, i == 0, last, half_tick, decimals))
        self._rows = tuple(rows)
        self._max_size = max((level.size for level in (*shown_asks, *shown_bids)), default=1) or 1
        self._spread_text, self._mid_text = self._spread_and_mid(bids, asks, tick_size, decimals)
        if decimals != self._decimals:
            self._decimals, self._longest = decimals, (0, 0)  # another instrument: widths start afresh
        self._fit_columns(
            max((len(row.price_text) for row in rows), default=0),
            max((len(row.bid_text or row.ask_text) for row in rows), default=0),
        )
        self.update()

    def _fit_columns(self, price_chars: int, size_chars: int) -> None:
        """Ask for the width the longest texts need (three equal columns); measured only when one grew."""
        longest = (max(price_chars, self._longest[0]), max(size_chars, self._longest[1]))
        if longest == self._longest:
            return
        self._longest = longest
        bold, header = QFontMetrics(self._bold), QFontMetrics(self._header_font)
        self._column_min = TEXT_MARGIN + max(
            bold.horizontalAdvance("0" * max(longest)), *(header.horizontalAdvance(text) for text in _HEADERS)
        )
        self.updateGeometry()

    def column_width(self) -> float:
        """Each of the three columns' width as painted: bid size, price, ask size."""
        return self.width() / 3

    def text_room(self) -> float:
        """The width a column gives its text."""
        return self.column_width() - _INSET

    @staticmethod
    def _row(
        side: str, level: LadderLevel, inside: bool, last: float | None, half_tick: float, decimals: int
    ) -> LadderRow:
        size_text = format_size(level.size)
        return LadderRow(
            side=side,
            price=level.price,
            bid_size=level.size if side == "bid" else None,
            ask_size=level.size if side == "ask" else None,
            price_text=format_price(level.price, decimals),
            bid_text=size_text if side == "bid" else "",
            ask_text=size_text if side == "ask" else "",
            inside=inside,
            last=last is not None and abs(level.price - last) < half_tick,
        )

    @staticmethod
    def _spread_and_mid(
        bids: Sequence[LadderLevel], asks: Sequence[LadderLevel], tick_size: float, decimals: int
    ) -> tuple[str, str]:
        if not bids or not asks:
            return "spread —", ""
        bid, ask = bids[0].price, asks[0].price
        spread = ask - bid
        if tick_size > 0:
            ticks = round(spread / tick_size)
            unit = "tick" if abs(ticks) == 1 else "ticks"
            detail = "locked" if ticks == 0 else "crossed" if ticks < 0 else f"{ticks} {unit}"
        else:
            detail = ""
        spread_text = f"spread {spread:.{decimals}f}" + (f" ({detail})" if detail else "")
        mid = (bid + ask) / 2
        exact = abs(mid * 10**decimals - round(mid * 10**decimals)) < 1e-6
        return spread_text, f"mid {format_price(mid, decimals if exact else decimals + 1)}"

    def rows(self) -> tuple[LadderRow, ...]:
        return self._rows

    def spread_text(self) -> str:
        return self._spread_text

    def mid_text(self) -> str:
        return self._mid_text

    # ---- painting ---------------------------------------------------------------------------------

    def sizeHint(self) -> QSize:
        return QSize(max(260, 3 * self._column_min), self._row_h * (2 * self.levels + 2))

    def minimumSizeHint(self) -> QSize:
        return QSize(3 * self._column_min, self._row_h * 8)

    def paintEvent(self, event: QPaintEvent) -> None:
        """Rows stack outwards from the spread line; when space is short that line is centred and
        the outermost levels are cut, so the inside market is always in view."""
        c = self._colors
        painter = QPainter(self)
        width, height, header_h = self.width(), self.height(), self._row_h
        painter.fillRect(self.rect(), c["background"])
        col = width / 3
        size_w = col - _INSET
        body_h = height - header_h
        row_h = max(self._min_row_h, min(self._row_h, body_h / (2 * self.levels + 1)))
        divider = header_h + min(self.levels * row_h, (body_h - row_h) / 2)

        ask_count = sum(1 for row in self._rows if row.side == "ask")
        for index, row in enumerate(self._rows):
            level = ask_count - 1 - index if row.side == "ask" else index - ask_count
            y = divider - (level + 1) * row_h if row.side == "ask" else divider + (level + 1) * row_h
            if y + row_h > header_h and y < height:
                self._paint_row(painter, row, QRectF(0, y, width, row_h), col, size_w, level)

        painter.fillRect(QRectF(0, divider, width, row_h), c["grid"])
        painter.setFont(self._divider_font)
        painter.setPen(c["text"])
        text_rect = QRectF(8, divider, width - 16, row_h)
        if self._rows:
            painter.drawText(text_rect, _LEFT, self._spread_text)
            metrics = painter.fontMetrics()
            if metrics.horizontalAdvance(f"{self._spread_text}  {self._mid_text}") <= text_rect.width():
                painter.setPen(c["muted"])
                painter.drawText(text_rect, _RIGHT, self._mid_text)
        else:
            painter.setPen(c["muted"])
            painter.drawText(text_rect, _CENTER, "No market depth")

        painter.fillRect(QRectF(0, 0, width, header_h), c["background"])
        painter.setFont(self._header_font)
        painter.setPen(c["muted"])
        bid_header, price_header, ask_header = _HEADERS
        painter.drawText(QRectF(4, 0, size_w, header_h), _RIGHT, bid_header)
        painter.drawText(QRectF(col, 0, col - 6, header_h), _RIGHT, price_header)
        painter.drawText(QRectF(2 * col + 4, 0, size_w, header_h), _RIGHT, ask_header)
        painter.setPen(c["grid"])
        painter.drawLine(0, header_h - 1, width, header_h - 1)
        painter.end()

    def _paint_row(
        self, painter: QPainter, row: LadderRow, rect: QRectF, col: float, size_w: float, level: int
    ) -> None:
        c = self._colors
        y, row_h = rect.y(), rect.height()
        bid = row.side == "bid"
        if row.inside:
            painter.fillRect(rect, c["bid_inside" if bid else "ask_inside"])
        elif level % 2:
            painter.fillRect(rect, c["row_alt"])
        bar_w = size_w * ((row.bid_size if bid else row.ask_size) or 0) / self._max_size
        if bid:
            painter.fillRect(QRectF(col - 2 - bar_w, y + 2, bar_w, row_h - 4), c["bid_bar"])
        else:
            painter.fillRect(QRectF(2 * col + 2, y + 2, bar_w, row_h - 4), c["ask_bar"])

        painter.setFont(self._bold if row.inside else self._font)
        painter.setPen(c["text"])
        painter.drawText(QRectF(4, y, size_w, row_h), _RIGHT, row.bid_text)
        painter.drawText(QRectF(2 * col + 4, y, size_w, row_h), _RIGHT, row.ask_text)
        price_rect = QRectF(col + 3, y + 1, col - 6, row_h - 2)
        if row.last:
            painter.setPen(QPen(c["last"], 1.5))
            painter.drawRect(price_rect)
            painter.setPen(c["last"])
            painter.setFont(self._bold)
        else:
            painter.setPen(c["bid"] if bid else c["ask"])
        painter.drawText(price_rect.adjusted(0, 0, -4, 0), _RIGHT, row.price_text)
