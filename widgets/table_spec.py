"""Declarative tables: a list of columns instead of hand-built cells.

Rows are replaced wholesale at a low rate (status reports), so a reset model is the simple, correct
choice here; sorting is left off so an update never re-sorts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from widgets.severity import severity_color
from widgets.theme import tokens

_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column:
    key: str  # attribute read from each row object
    title: str
    tooltip_key: str = ""  # attribute shown as the cell's tooltip
    colored_by: str = ""  # attribute holding a severity; colours the cell's text
    painted_by: str = ""  # attribute holding a (background, text) pair of colours; fills the cell
    centered: bool = False
    toned_by: str = ""  # attribute holding a tone ("gain", "loss" or ""); colours the cell's text as the theme does
    numeric: bool = False  # right-aligned, so digits line up
    sort_by: str = ""  # attribute whose value orders the column (a number behind formatted text); default `key`


class RowTableModel(QAbstractTableModel):
    """A read-only table over a sequence of row objects, described by `Column`s."""

    def __init__(self, columns: Sequence[Column]) -> None:
        super().__init__()
        self._columns = tuple(columns)
        self._rows: tuple[Any, ...] = ()

    def set_rows(self, rows: Sequence[Any]) -> None:
        """Replace the rows; the same rows again (a re-render with nothing new) leave the view alone."""
        if tuple(rows) == self._rows:
            return
        self.beginResetModel()
        self._rows = tuple(rows)
        self.endResetModel()

    def row_object(self, row: int) -> Any:
        return self._rows[row]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self._columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._columns[section].title
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = self._rows[index.row()], self._columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return str(getattr(row, column.key))
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip_key:
            return str(getattr(row, column.tooltip_key)) or None
        if role == Qt.ItemDataRole.ForegroundRole and column.painted_by:
            return QColor(getattr(row, column.painted_by)[1])
        if role == Qt.ItemDataRole.BackgroundRole and column.painted_by:
            return QColor(getattr(row, column.painted_by)[0])
        if role == Qt.ItemDataRole.ForegroundRole and column.colored_by:
            return severity_color(getattr(row, column.colored_by))
        if role == Qt.ItemDataRole.ForegroundRole and column.toned_by:
            tone = getattr(row, column.toned_by)
            return QColor(tokens()[tone]) if tone else None
        if role == Qt.ItemDataRole.TextAlignmentRole and column.centered:
            return Qt.AlignmentFlag.AlignCenter
        if role == Qt.ItemDataRole.TextAlignmentRole and column.numeric:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        return None


class KeyedRowTableModel(RowTableModel):
    """Rows that keep their identity (the `key` attribute) across updates, for tables a trader works in.

    An update removes, inserts and changes rows in place instead of resetting, so the view keeps its
    selection and current row; the rows keep the order they come in (nothing is re-sorted here).
    """

    def __init__(self, columns: Sequence[Column], key: str = "key") -> None:
        super().__init__(columns)
        self._key = key

    def key_of(self, row: int) -> str:
        return str(getattr(self._rows[row], self._key))

    def row_of(self, key: str) -> int:
        """The row holding `key`, or -1."""
        return next((i for i in range(len(self._rows)) if self.key_of(i) == key), -1)

    def set_rows(self, rows: Sequence[Any]) -> None:
        new = tuple(rows)
        if new == self._rows:
            return
        new_keys = [str(getattr(row, self._key)) for row in new]
        wanted = set(new_keys)
        for index in range(len(self._rows) - 1, -1, -1):
            if self.key_of(index) not in wanted:
                self.beginRemoveRows(QModelIndex(), index, index)
                self._rows = self._rows[:index] + self._rows[index + 1 :]
                self.endRemoveRows()
        kept = {self.key_of(i) for i in range(len(self._rows))}
        order = [key for key in new_keys if key in kept]
        if order != [self.key_of(i) for i in range(len(self._rows))]:
            self._reorder(order)
        for index, key in enumerate(new_keys):
            if index >= len(self._rows) or self.key_of(index) != key:
                self.beginInsertRows(QModelIndex(), index, index)
                self._rows = (*self._rows[:index], new[index], *self._rows[index:])
                self.endInsertRows()
        self._rows = new
        if new:
            self.dataChanged.emit(self.index(0, 0), self.index(len(new) - 1, self.columnCount() - 1))

    def _reorder(self, order: list[str]) -> None:
        """Put the kept rows in `order`, moving the view's persistent indexes (its selection) with them."""
        self.layoutAboutToBeChanged.emit()
        by_key = {self.key_of(i): self._rows[i] for i in range(len(self._rows))}
        moved_to = {key: row for row, key in enumerate(order)}
        old = self.persistentIndexList()
        new = [self.index(moved_to[self.key_of(index.row())], index.column()) for index in old]
        self._rows = tuple(by_key[key] for key in order)
        self.changePersistentIndexList(old, new)
        self.layoutChanged.emit()
