"""The blotter: every order of this session and its fills, newest first, each marked SHADOW or LIVE.

Rows arrive from the app already in order and are updated in place (`KeyedRowTableModel`), so a row the
trader selected stays selected and the rows they scrolled to stay in view while new orders come in.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QItemSelectionModel, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from widgets.table_spec import Column, KeyedRowTableModel
from widgets.trading_views import BlotterRow

BLOTTER_COLUMNS = (
    Column("mode", "Mode", painted_by="mode_colors", centered=True),
    Column("time_text", "Time"),
    Column("symbol", "Symbol"),
    Column("side", "Side"),
    Column("quantity", "Qty"),
    Column("type_text", "Type"),
    Column("price_text", "Price"),
    Column("status", "Status", tooltip_key="message"),
    Column("filled_text", "Filled"),
    Column("avg_price_text", "Avg price"),
    Column("message", "Message", tooltip_key="message"),
)
EMPTY_TEXT = "No orders yet in this session."


class Blotter(QWidget):
    """Shows `BlotterRow`s; Cancel asks the app to cancel the selected order when it can be cancelled."""

    cancelRequested = Signal(str)  # the order's key

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("blotter")
        self.model = KeyedRowTableModel(BLOTTER_COLUMNS)
        self.table = QTableView(self)
        self.table.setObjectName("blotterTable")
        self.table.setModel(self.model)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        self.table.setSortingEnabled(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerItem)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.heading = QLabel("<b>Orders and fills</b>", self)
        self.count_label = QLabel(EMPTY_TEXT, self)
        self.count_label.setObjectName("blotterCount")
        self.count_label.setProperty("role", "muted")
        self.cancel_button = QPushButton("Cancel order", self)
        self.cancel_button.setObjectName("cancelOrder")
        self.cancel_button.setToolTip("Ask the broker (or the simulator) to cancel the selected order")
        self.cancel_button.clicked.connect(self._cancel_selected)
        self.table.selectionModel().selectionChanged.connect(self._sync_cancel)
        self.model.dataChanged.connect(self._sync_cancel)

        top = QHBoxLayout()
        top.addWidget(self.heading)
        top.addWidget(self.count_label, 1)
        top.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        self._sync_cancel()

    def show_rows(self, rows: Sequence[BlotterRow]) -> None:
        """Show `rows` in the order given, keeping the selection and, when scrolled, the rows in view."""
        scrolled = self.table.verticalScrollBar().value() > 0
        top_row = self.table.rowAt(0)
        top_key = self.model.key_of(top_row) if scrolled and top_row >= 0 else ""
        self.model.set_rows(rows)
        if top_key and (row := self.model.row_of(top_key)) >= 0:
            self.table.doItemsLayout()  # the scroll range must include the new rows before scrolling
            self.table.scrollTo(self.model.index(row, 0), QAbstractItemView.ScrollHint.PositionAtTop)
        count = len(rows)
        self.count_label.setText(f"{count} order{'s' if count != 1 else ''}" if count else EMPTY_TEXT)
        self._sync_cancel()

    def selected_key(self) -> str:
        rows = self.table.selectionModel().selectedRows()
        return self.model.key_of(rows[0].row()) if rows else ""

    def select_key(self, key: str) -> None:
        row = self.model.row_of(key)
        if row >= 0:
            flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
            self.table.selectionModel().setCurrentIndex(self.model.index(row, 0), flags)

    def _selected_row(self) -> BlotterRow | None:
        key = self.selected_key()
        row = self.model.row_of(key) if key else -1
        return self.model.row_object(row) if row >= 0 else None

    def _sync_cancel(self) -> None:
        row = self._selected_row()
        self.cancel_button.setEnabled(row is not None and row.cancellable)

    def _cancel_selected(self) -> None:
        row = self._selected_row()
        if row is not None and row.cancellable:
            self.cancelRequested.emit(row.key)
