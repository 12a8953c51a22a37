"""The Accounts dock: a profile's balances, positions and P&L, its broker accounts and its SHADOW book apart.

The trader picks a profile and, when it has several, an account; the SHADOW book is an entry of its own
(badged SHADOW, its rows in SHADOW's colours), so simulated holdings are never added to a real account's.
The positions table sorts when its header is clicked and keeps that order afterwards: an update changes
cells in place and appends a new holding at the end, so a row never jumps under the trader's pointer.
The age of the figures turns amber when they are older than their reader promised, with the broker's
words when it refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from widgets.account_view_models import AccountBook, AccountsDockView, PositionLine
from widgets.flow_layout import FlowLayout
from widgets.table_spec import Column, KeyedRowTableModel
from widgets.theme import tokens
from widgets.trading_views import MODE_COLORS, SHADOW

POSITION_COLUMNS = (
    Column("book", "Book", tooltip_key="tip", painted_by="book_colors", centered=True),
    Column("symbol", "Symbol"),
    Column("quantity", "Qty", numeric=True, sort_by="quantity_value"),
    Column("average_price", "Avg price", numeric=True, sort_by="average_value"),
    Column("market_price", "Mkt price", numeric=True, sort_by="price_value"),
    Column("market_value", "Mkt value", numeric=True, sort_by="value_value"),
    Column("unrealized_pnl", "Unrealized", numeric=True, toned_by="unrealized_tone", sort_by="unrealized_value"),
    Column("realized_pnl", "Realized", numeric=True, toned_by="realized_tone", sort_by="realized_value"),
)
NO_PROFILE_TEXT = "No connected profile shows accounts yet."
_Index = QModelIndex | QPersistentModelIndex


class PositionsModel(KeyedRowTableModel):
    """The positions of one book, the totals row (always last) in bold."""

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.FontRole and index.isValid() and self.row_object(index.row()).is_total:
            font = QFont()
            font.setBold(True)
            return font
        return super().data(index, role)


def sorted_lines(lines: Sequence[PositionLine], column: Column, order: Qt.SortOrder) -> list[PositionLine]:
    """`lines` ordered by `column`'s value; rows without one come last either way."""
    attribute = column.sort_by or column.key
    known = [line for line in lines if getattr(line, attribute) not in (None, "")]
    unknown = [line for line in lines if getattr(line, attribute) in (None, "")]

    def value(line: PositionLine) -> Decimal | str:
        found = getattr(line, attribute)
        return found.casefold() if isinstance(found, str) else found

    known.sort(key=value, reverse=order == Qt.SortOrder.DescendingOrder)
    return known + unknown


class AccountsDock(QWidget):
    """Renders `AccountsDockView`s; says which profile to show, asks for a fresh read, names a chosen position."""

    profileChosen = Signal(str)
    refreshRequested = Signal(str)  # the profile whose accounts to read again now
    positionChosen = Signal(str, str)  # instrument id (may be empty), symbol

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("accountsDock")
        self._view = AccountsDockView()
        self._book_key = ""  # the book the trader picked, kept across updates
        self._shown_book = ""  # "profile/book" whose rows the table holds
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self._order: list[str] = []  # the rows' keys in the trader's order, once they sorted

        self.profile_picker = QComboBox(self)
        self.profile_picker.setObjectName("accountsProfile")
        self.profile_picker.setAccessibleName("Accounts: profile")
        self.profile_picker.setToolTip("The profile whose accounts are shown")
        self.profile_picker.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.profile_picker.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        self.profile_picker.activated.connect(self._profile_activated)
        self.account_picker = QComboBox(self)
        self.account_picker.setObjectName("accountsAccount")
        self.account_picker.setAccessibleName("Accounts: account")
        self.account_picker.setToolTip("The account shown; SHADOW is the simulated book, never a broker's")
        self.account_picker.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.account_picker.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        self.account_picker.activated.connect(self._account_activated)
        self.shadow_badge = QLabel(SHADOW, self)
        self.shadow_badge.setObjectName("accountsShadowBadge")
        self.shadow_badge.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.shadow_badge.setToolTip("Simulated: what the SHADOW strategy would hold and earn. No broker holds it.")
        background, text = MODE_COLORS[SHADOW]
        self.shadow_badge.setStyleSheet(
            f"background: {background}; color: {text}; font-weight: bold; padding: 2px 8px; border-radius: 3px;"
        )
        self.age_label = QLabel(self)
        self.age_label.setObjectName("accountsAge")
        self.age_label.setWordWrap(True)  # a narrow dock wraps the age rather than squeezing the pickers
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setObjectName("accountsRefresh")
        self.refresh_button.setToolTip("Read the profile's accounts from the broker again now")
        self.refresh_button.clicked.connect(self._refresh_clicked)
        self.problem_label = QLabel(self)
        self.problem_label.setObjectName("accountsProblem")
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet(f"color: {tokens()['stale']};")
        self.balances = QFrame(self)
        self.balances.setObjectName("accountsBalances")
        self._balance_flow = FlowLayout(self.balances, spacing=18)  # wraps: a narrow dock never widens the window
        self.balance_labels: dict[str, QLabel] = {}
        self.model = PositionsModel(POSITION_COLUMNS)
        self.table = self._build_table()
        self.note_label = QLabel(self)
        self.note_label.setObjectName("accountsNote")
        self.note_label.setProperty("role", "muted")
        self.note_label.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(self.profile_picker)
        top.addWidget(self.account_picker)
        top.addWidget(self.shadow_badge, 0, Qt.AlignmentFlag.AlignVCenter)
        top.addWidget(self.age_label, 1)
        top.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.balances)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.note_label)
        self.show_accounts(self._view)

    def _build_table(self) -> QTableView:
        table = QTableView(self)
        table.setObjectName("positionsTable")
        table.setAccessibleName("Positions")
        table.setModel(self.model)
        table.verticalHeader().setVisible(False)
        table.setWordWrap(False)
        table.setSortingEnabled(False)  # the dock sorts on a click only, never on an update
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(False)
        header.sectionClicked.connect(self.sort_by_column)
        table.clicked.connect(self._row_chosen)
        table.activated.connect(self._row_chosen)
        return table

    # ---- what the app shows ---------------------------------------------------------------------

    def show_accounts(self, view: AccountsDockView) -> None:
        self._view = view
        self._fill_picker(self.profile_picker, view.profiles, view.profile)
        keys = [book.key for book in view.books]
        if self._book_key not in keys:
            self._book_key = keys[0] if keys else ""
        self._fill_picker(self.account_picker, tuple((b.key, b.label) for b in view.books), self._book_key)
        self.account_picker.setVisible(len(view.books) > 1)
        self.refresh_button.setEnabled(bool(view.profile))
        self._show_book(self.book())

    def book(self) -> AccountBook | None:
        """The book shown now, if any."""
        return next((b for b in self._view.books if b.key == self._book_key), None)

    def select_book(self, key: str) -> None:
        """Show the book `key` (a masked account, or SHADOW), as picking it in the account picker does."""
        if any(book.key == key for book in self._view.books):
            self._book_key = key
            self.account_picker.setCurrentIndex(self.account_picker.findData(key))
            self._show_book(self.book())

    def sort_by_column(self, section: int) -> None:
        """Order the rows by `section` once (again: the other way); later updates keep this order."""
        same = self._sort is not None and self._sort[0] == section
        ascending = Qt.SortOrder.AscendingOrder
        order = Qt.SortOrder.DescendingOrder if same and self._sort == (section, ascending) else ascending
        self._sort = (section, order)
        self.table.horizontalHeader().setSortIndicatorShown(True)
        self.table.horizontalHeader().setSortIndicator(section, order)
        book = self.book()
        if book is not None:
            self._order = [line.key for line in sorted_lines(book.positions, POSITION_COLUMNS[section], order)]
            self._show_rows(book)

    def rows(self) -> list[PositionLine]:
        """The rows as the table holds them, the totals row last."""
        return [self.model.row_object(i) for i in range(self.model.rowCount())]

    # ---- internals ------------------------------------------------------------------------------

    def _show_book(self, book: AccountBook | None) -> None:
        simulated = book is not None and book.simulated
        self.shadow_badge.setVisible(simulated)
        if book is None:
            self.age_label.setText(NO_PROFILE_TEXT if not self._view.profiles else "")
            self.problem_label.hide()
            self.note_label.hide()
            self.balances.hide()
            self._shown_book = ""
            self.model.set_rows(())
            return
        self.age_label.setText(book.age_text)
        self.age_label.setStyleSheet(f"color: {tokens()['muted'] if book.fresh else tokens()['stale']};")
        self.age_label.setToolTip("" if book.fresh else "Older than the broker's reader promised: it may have stopped")
        self.problem_label.setText(book.problem)
        self.problem_label.setVisible(bool(book.problem))
        self.note_label.setText(book.note)
        self.note_label.setVisible(bool(book.note))
        self._show_balances(book)
        shown = f"{self._view.profile}/{book.key}"
        if shown != self._shown_book:
            self._shown_book = shown
            self._order = []
            if self._sort is not None:  # a book picked anew is ordered as the trader last sorted
                column, order = self._sort
                self._order = [line.key for line in sorted_lines(book.positions, POSITION_COLUMNS[column], order)]
        self._show_rows(book)

    def _show_rows(self, book: AccountBook) -> None:
        """The book's rows in the trader's order: kept rows where they were, new ones at the end, totals last."""
        by_key = {line.key: line for line in book.positions}
        kept = [by_key[key] for key in self._order if key in by_key]
        placed = {line.key for line in kept}
        rows = kept + [line for line in book.positions if line.key not in placed]
        self._order = [line.key for line in rows] if self._sort is not None else []
        self.model.set_rows((*rows, book.total) if book.total is not None else tuple(rows))

    def _show_balances(self, book: AccountBook) -> None:
        """A title over each figure, wrapping onto more rows in a narrow dock; the strip is laid out again only
        when the book's set of figures changes."""
        self.balances.setVisible(bool(book.balances))
        keys = tuple(figure.key for figure in book.balances)
        if keys != tuple(self.balance_labels):
            while (item := self._balance_flow.takeAt(0)) is not None:
                if (widget := item.widget()) is not None:
                    widget.deleteLater()
            self.balance_labels = {}
            for figure in book.balances:
                cell = QWidget(self.balances)
                stack = QVBoxLayout(cell)
                stack.setContentsMargins(0, 2, 0, 2)
                stack.setSpacing(0)
                title = QLabel(figure.title, cell)
                title.setProperty("role", "muted")
                value = QLabel(cell)
                value.setObjectName(f"balance-{figure.key}")
                value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                stack.addWidget(title)
                stack.addWidget(value)
                self._balance_flow.addWidget(cell)
                self.balance_labels[figure.key] = value
        for figure in book.balances:
            label = self.balance_labels[figure.key]
            label.setText(figure.text)
            color = tokens()[figure.tone] if figure.tone else tokens()["text"]
            label.setStyleSheet(f"color: {color}; font-weight: bold;")

    @staticmethod
    def _fill_picker(picker: QComboBox, entries: tuple[tuple[str, str], ...], current: str) -> None:
        """Entries as (data, text); rebuilt only when they changed, so an open picker is not disturbed."""
        shown = tuple((picker.itemData(i), picker.itemText(i)) for i in range(picker.count()))
        if shown != entries:
            picker.blockSignals(True)
            picker.clear()
            for data, text in entries:
                picker.addItem(text, data)
            picker.blockSignals(False)
        index = picker.findData(current)
        if index >= 0 and index != picker.currentIndex():
            picker.setCurrentIndex(index)

    def _profile_activated(self, index: int) -> None:
        name = self.profile_picker.itemData(index)
        if name and name != self._view.profile:
            self.profileChosen.emit(name)

    def _account_activated(self, index: int) -> None:
        key = self.account_picker.itemData(index)
        if key:
            self.select_book(key)

    def _refresh_clicked(self) -> None:
        if self._view.profile:
            self.refreshRequested.emit(self._view.profile)

    def _row_chosen(self, index: QModelIndex) -> None:
        line: PositionLine = self.model.row_object(index.row())
        if not line.is_total:
            self.positionChosen.emit(line.instrument_id, line.symbol)
