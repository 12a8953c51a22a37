"""Declarative tables: a list of columns instead of hand-built cells.

Rows are replaced wholesale at a low rate (status reports), so a reset model is the simple, correct
choice here; sorting is left off so an update never re-sorts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from widgets.severity import severity_color

_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column:
    key: str  # attribute read from each row object
    title: str
    tooltip_key: str = ""  # attribute shown as the cell's tooltip
    colored_by: str = ""  # attribute holding a severity; colours the cell's text


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
        if role == Qt.ItemDataRole.ForegroundRole and column.colored_by:
            return severity_color(getattr(row, column.colored_by))
        return None
