"""Time and sales: the newest prints at the top, each price coloured by its move from the print before.

A declarative table over at most N rows; it is reset only when the prints actually change, and it never
re-sorts. Rows have a fixed height. Columns are as wide as their text: they are measured again only
when the longest text of a column grows (or the price format changes), and the widget asks for their
sum as its minimum width, so a narrow window squeezes the chart beside it and never cuts a column.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QVBoxLayout, QWidget

from widgets.market_view_models import COLORS, Print, format_price, format_size, price_decimals
from widgets.table_spec import Column, RowTableModel

_Index = QModelIndex | QPersistentModelIndex

DIRECTION_COLORS = {"up": QColor(COLORS["up"]), "down": QColor(COLORS["down"]), "flat": QColor(COLORS["text"])}


@dataclass(frozen=True, slots=True)
class TapeRow:
    time: str
    price: str
    size: str
    direction: str  # "up" | "down" | "flat", against the previous (older) print


TAPE_COLUMNS = (
    Column("time", "Time"),
    Column("price", "Price", colored_by="direction"),
    Column("size", "Size"),
)
_NUMERIC = {"price", "size"}
# What each column is at least as wide as, so the first prints do not shift the layout.
_PLACEHOLDERS = {"time": "00:00:00.000", "price": "0,000.00", "size": "00,000"}
CELL_PADDING = 12  # px around a cell's text: the style's item margins, with room to spare


def _alignment(key: str) -> Qt.AlignmentFlag:
    horizontal = Qt.AlignmentFlag.AlignRight if key in _NUMERIC else Qt.AlignmentFlag.AlignLeft
    return horizontal | Qt.AlignmentFlag.AlignVCenter


class TapeModel(RowTableModel):
    """`RowTableModel` whose `colored_by` names a price direction, with numbers right-aligned."""

    def __init__(self, columns: Sequence[Column]) -> None:
        super().__init__(columns)
        self.columns = tuple(columns)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole:
            if not column.colored_by:
                return None
            return DIRECTION_COLORS[getattr(self.row_object(index.row()), column.colored_by)]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _alignment(column.key)
        return super().data(index, role)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.TextAlignmentRole:
            return _alignment(self.columns[section].key)
        return super().headerData(section, orientation, role)


def tape_rows(prints: Sequence[Print], decimals: int) -> tuple[TapeRow, ...]:
    """Newest-first prints as table rows; the oldest shown print has nothing to compare with and is flat."""
    rows = []
    for i, p in enumerate(prints):
        older = prints[i + 1].price if i + 1 < len(prints) else p.price
        direction = "up" if p.price > older else "down" if p.price < older else "flat"
        seconds, millis = divmod(round(p.epoch_s * 1000), 1000)  # rounded: 0.3 s is not 299 ms
        clock = time.strftime("%H:%M:%S", time.localtime(seconds))
        rows.append(TapeRow(f"{clock}.{millis:03d}", format_price(p.price, decimals), format_size(p.size), direction))
    return tuple(rows)


class TimeAndSales(QWidget):
    """The last `max_prints` prints, newest first."""

    def __init__(self, max_prints: int = 50, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timeAndSales")
        self.max_prints = max_prints
        self._prints: tuple[Print, ...] = ()
        self._rows: tuple[TapeRow, ...] = ()
        self._decimals = -1
        self.model = TapeModel(TAPE_COLUMNS)
        self.table = QTableView(self)
        self.table.setAccessibleName("Time and sales")
        self.table.setModel(self.model)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(9.0)
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.table.setFont(font)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # a tape: the wheel scrolls
        vertical = self.table.verticalHeader()
        vertical.setVisible(False)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.table.fontMetrics().height() + 4)
        horizontal = self.table.horizontalHeader()
        horizontal.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        horizontal.setMinimumSectionSize(24)
        horizontal.setStretchLastSection(False)  # spare width is shared by every column (`_spread`)
        self._longest: tuple[int, ...] = ()  # the longest text of each column, in characters, when last measured
        self._fitted: list[int] = []  # each column's width for its text, before spare width is shared out
        self._fit_columns(())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 4, 0)  # the sizes, right-aligned, keep off the window's edge
        layout.addWidget(self.table)

    def set_prints(self, prints: Sequence[Print], tick_size: float) -> None:
        """Reset the table only when the shown prints or the price format changed."""
        shown = tuple(prints[: self.max_prints + 1])  # one more than shown, to colour the oldest row
        decimals = price_decimals(tick_size)
        if shown == self._prints and decimals == self._decimals:
            return
        if decimals != self._decimals:
            self._longest = ()  # another instrument, most likely: its widths start afresh
        self._prints, self._decimals = shown, decimals
        self._rows = tape_rows(shown, decimals)[: self.max_prints]
        self.model.set_rows(self._rows)
        self._fit_columns(self._rows)

    def _fit_columns(self, rows: Sequence[TapeRow]) -> None:
        """Widen a column to its text and header when its longest text grew; never narrow it in between.

        Counting characters is cheap; measuring is done only when a count grew, so columns do not
        twitch as long prints scroll in and out of the tape.
        """
        keys = [column.key for column in TAPE_COLUMNS]
        longest = tuple(
            max(len(_PLACEHOLDERS[key]), max((len(getattr(row, key)) for row in rows), default=0)) for key in keys
        )
        if self._longest and all(new <= old for new, old in zip(longest, self._longest, strict=True)):
            return
        self._longest = tuple(max(pair) for pair in zip(longest, self._longest or longest, strict=True))
        metrics, header = self.table.fontMetrics(), self.table.horizontalHeader()
        total = 0
        widths: list[int] = []
        for index, count in enumerate(self._longest):
            width = max(
                metrics.horizontalAdvance("0" * count) + CELL_PADDING,  # digits are the widest characters
                self.table.sizeHintForColumn(index),
                header.sectionSizeHint(index),
            )
            widths.append(width)
            total += width
        self._fitted = widths
        self.table.setMinimumWidth(total + 2 * self.table.frameWidth())
        self._spread()

    def _spread(self) -> None:
        """Each column gets its text's width plus an equal share of what is left, so a wide tape has even gaps."""
        if not self._fitted:
            return
        # The viewport's width: the table shows no scroll bars. Asked of the table, since a Python wrapper for the
        # viewport itself (a class PySide6 does not know) makes PySide6 build every Qt class's enums first.
        spare = max(0, self.table.maximumViewportSize().width() - sum(self._fitted))
        share, rest = divmod(spare, len(self._fitted))
        for index, width in enumerate(self._fitted):
            self.table.setColumnWidth(index, width + share + (rest if index == len(self._fitted) - 1 else 0))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._spread()

    def showEvent(self, event: QShowEvent) -> None:
        """Measure again once shown: the header's style sheet (its padding) applies only from then on."""
        self._longest = ()
        self._fit_columns(self._rows)
        super().showEvent(event)

    def sizeHint(self) -> QSize:
        return QSize(self.table.minimumWidth(), super().sizeHint().height())

    def cell(self, row: int, column: int, role: Qt.ItemDataRole = Qt.ItemDataRole.DisplayRole) -> Any:
        return self.model.data(self.model.index(row, column), role)
