"""The blotter: every order of this session and its fills, newest first, each marked SHADOW or LIVE.

Rows arrive from the app already in order and are updated in place (`KeyedRowTableModel`), so a row the
trader selected stays selected and the rows they scrolled to stay in view while new orders come in. A
structure's legs come right after its group row; a click on the group's disclosure hides or shows them, and
Cancel on the group row cancels the whole structure. Below the table, the latest reconciliation's findings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from widgets.severity import severity_color
from widgets.table_spec import Column, KeyedRowTableModel, RowTableModel
from widgets.trading_views import BlotterRow, ReconcileView

BLOTTER_COLUMNS = (
    Column("mode", "Mode", painted_by="mode_colors", centered=True),
    Column("structure_text", "Order", tooltip_key="structure_tip"),
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
ORDER_COLUMN = 1
FINDING_COLUMNS = (Column("kind", "Finding"), Column("detail", "Detail", tooltip_key="detail"))
EMPTY_TEXT = "No orders yet in this session."
OPEN, CLOSED = "▾", "▸"  # a group row's disclosure: legs shown, legs hidden
LEG_MARK = "    └ "
FINDING_ROWS = 4  # the findings list shows this many before it scrolls


class Blotter(QWidget):
    """Shows `BlotterRow`s; Cancel asks the app to cancel the selected order (or structure) when it can be
    cancelled; Reconcile asks it to compare the selected profile's orders with its broker's."""

    cancelRequested = Signal(str)  # the order's key
    cancelStructureRequested = Signal(str)  # the structure's key (its group row's)
    reconcileRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("blotter")
        self.model = KeyedRowTableModel(BLOTTER_COLUMNS)
        self._rows: tuple[BlotterRow, ...] = ()
        self._collapsed: set[str] = set()  # the structures whose legs are hidden
        self.table = QTableView(self)
        self.table.setObjectName("blotterTable")
        self.table.setAccessibleName("Orders")
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
        self.reconcile_button = QPushButton("Reconcile", self)
        self.reconcile_button.setObjectName("reconcileOrders")
        self.reconcile_button.setToolTip(
            "Compare the selected profile's orders and fills with what its broker holds (reads only)"
        )
        self.reconcile_button.clicked.connect(self.reconcileRequested)
        self.table.selectionModel().selectionChanged.connect(self._sync_cancel)
        self.table.clicked.connect(self._clicked)
        self.model.dataChanged.connect(self._sync_cancel)
        self._build_findings()

        top = QHBoxLayout()
        top.addWidget(self.heading)
        top.addWidget(self.count_label, 1)
        top.addWidget(self.reconcile_button)
        top.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.findings_strip)
        self._sync_cancel()

    def _build_findings(self) -> None:
        """The latest reconciliation: one line, and its findings (kind and detail) when there are any."""
        self.findings_strip = QFrame(self)
        self.findings_strip.setObjectName("reconcileStrip")
        self.reconcile_label = QLabel(self.findings_strip)
        self.reconcile_label.setObjectName("reconcileSummary")
        self.reconcile_label.setWordWrap(True)
        self.findings = RowTableModel(FINDING_COLUMNS)
        self.findings_table = QTableView(self.findings_strip)
        self.findings_table.setObjectName("findingsTable")
        self.findings_table.setAccessibleName("Reconciliation findings")
        self.findings_table.setModel(self.findings)
        self.findings_table.verticalHeader().setVisible(False)
        self.findings_table.setWordWrap(False)
        self.findings_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.findings_table.setToolTip("Click a finding to select its order above")
        self.findings_table.clicked.connect(self._finding_clicked)
        header = self.findings_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        strip = QVBoxLayout(self.findings_strip)
        strip.setContentsMargins(0, 4, 0, 0)
        strip.addWidget(self.reconcile_label)
        strip.addWidget(self.findings_table)
        self.findings_strip.hide()

    def show_rows(self, rows: Sequence[BlotterRow]) -> None:
        """Show `rows` in the order given, keeping the selection and, when scrolled, the rows in view."""
        self._rows = tuple(rows)
        self._collapsed &= {row.key for row in self._rows if row.is_group}
        scrolled = self.table.verticalScrollBar().value() > 0
        top_row = self.table.rowAt(0)
        top_key = self.model.key_of(top_row) if scrolled and top_row >= 0 else ""
        self.model.set_rows(self._shown())
        if top_key and (row := self.model.row_of(top_key)) >= 0:
            self.table.doItemsLayout()  # the scroll range must include the new rows before scrolling
            self.table.scrollTo(self.model.index(row, 0), QAbstractItemView.ScrollHint.PositionAtTop)
        orders = sum(not row.is_group for row in self._rows)
        groups = len(self._rows) - orders
        text = f"{orders} order{'s' if orders != 1 else ''}" if orders else EMPTY_TEXT
        structures = f" ({groups} structure{'s' if groups != 1 else ''})" if groups else ""
        self.count_label.setText(text + structures)
        self._sync_cancel()

    def toggle_group(self, key: str) -> None:
        """Hide the legs of structure `key`, or show them again."""
        self._collapsed ^= {key}
        self.model.set_rows(self._shown())
        self._sync_cancel()

    def show_reconciliation(self, view: ReconcileView | None) -> None:
        """The selected profile's latest reconciliation, or nothing when it has had none."""
        self.findings_strip.setVisible(view is not None)
        if view is None:
            return
        self.reconcile_label.setText(f"<b>Reconciled {view.profile}</b> at {view.at_text}: {view.summary}")
        self.reconcile_label.setStyleSheet(f"color: {severity_color(view.severity).name()};")
        self.findings.set_rows(view.findings)
        self.findings_table.setVisible(bool(view.findings))
        rows = min(len(view.findings), FINDING_ROWS)  # as tall as its findings, up to a few: the orders come first
        row_height = self.findings_table.verticalHeader().defaultSectionSize()
        frame = 2 * self.findings_table.frameWidth()
        self.findings_table.setFixedHeight(
            self.findings_table.horizontalHeader().sizeHint().height() + rows * row_height + frame
        )

    def _shown(self) -> tuple[BlotterRow, ...]:
        """The rows as drawn: a group row with its disclosure, its legs indented beneath it unless hidden."""
        shown: list[BlotterRow] = []
        for row in self._rows:
            if row.is_group:
                mark = CLOSED if row.key in self._collapsed else OPEN
                shown.append(replace(row, structure_text=f"{mark} {row.structure_text}"))
            elif row.group:
                if row.group not in self._collapsed:
                    shown.append(replace(row, structure_text=LEG_MARK + row.structure_text))
            else:
                shown.append(row)
        return tuple(shown)

    def _finding_clicked(self, index: QModelIndex) -> None:
        """A finding about one of our orders (or structures) selects its row, so it can be looked at or cancelled."""
        key = self.findings.row_object(index.row()).key
        if key and (row := self.model.row_of(key)) >= 0:
            self.select_key(key)
            self.table.scrollTo(self.model.index(row, 0))

    def _clicked(self, index: QModelIndex) -> None:
        row = self.model.row_object(index.row())
        if index.column() == ORDER_COLUMN and row.is_group:
            self.toggle_group(row.key)

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
        self.cancel_button.setText("Cancel structure" if row is not None and row.is_group else "Cancel order")

    def _cancel_selected(self) -> None:
        row = self._selected_row()
        if row is not None and row.cancellable:
            (self.cancelStructureRequested if row.is_group else self.cancelRequested).emit(row.key)
