"""The selected profile's brokerage accounts, read-only: buying power, cash, equity and positions.

Two declarative tables (accounts, positions) under a line that says when the figures were read, or what
keeps them from being shown and how to fix it. Account numbers arrive masked; nothing here is a secret.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from widgets.table_spec import Column, RowTableModel
from widgets.view_models import AccountsView

ACCOUNT_COLUMNS = (
    Column("account", "Account", tooltip_key="note"),
    Column("kind", "Type"),
    Column("buying_power", "Buying power"),
    Column("cash", "Cash"),
    Column("equity", "Equity"),
)
POSITION_COLUMNS = (
    Column("account", "Account"),
    Column("symbol", "Symbol"),
    Column("quantity", "Quantity"),
    Column("average_price", "Avg price"),
    Column("market_value", "Market value"),
)


def _table(parent: QWidget, model: RowTableModel, name: str, spoken: str) -> QTableView:
    table = QTableView(parent)
    table.setObjectName(name)
    table.setAccessibleName(spoken)
    table.setModel(model)
    table.verticalHeader().setVisible(False)
    table.setWordWrap(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


class AccountsPanel(QWidget):
    """Hidden for profiles whose connector shows no accounts; otherwise the figures or why there are none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("accountsPanel")
        self.heading = QLabel("<b>Accounts</b>", self)
        self.status = QLabel(self)
        self.status.setObjectName("accountsStatus")
        self.status.setWordWrap(True)
        self.accounts = RowTableModel(ACCOUNT_COLUMNS)
        self.positions = RowTableModel(POSITION_COLUMNS)
        self.account_table = _table(self, self.accounts, "accountTable", "Balances")
        self.position_table = _table(self, self.positions, "positionTable", "Positions")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        for widget in (self.heading, self.status, self.account_table, self.position_table):
            layout.addWidget(widget)
        self.show_accounts(None)

    def show_accounts(self, view: AccountsView | None) -> None:
        self.setVisible(view is not None)
        if view is None:
            self.accounts.set_rows(())
            self.positions.set_rows(())
            return
        facts = [f"{what}: {value}" for what, value in view.details]
        if view.problem:
            self.status.setProperty("role", "error")
            self.status.setText(" · ".join([view.problem, *facts]))
        else:
            self.status.setProperty("role", "muted")
            read = f"Read at {view.read_at}" if view.read_at else "Not read yet"
            self.status.setText(" · ".join([read, *facts]))
        self.status.style().polish(self.status)
        self.accounts.set_rows(view.accounts)
        self.positions.set_rows(view.positions)
        self.account_table.setVisible(bool(view.accounts))
        self.position_table.setVisible(bool(view.positions))
        _fit_height(self.account_table, len(view.accounts))
        _fit_height(self.position_table, len(view.positions), most=8)


def _fit_height(table: QTableView, rows: int, most: int = 4) -> None:
    """As tall as its rows (up to `most`, then it scrolls), so the figures never leave empty bands behind."""
    shown = max(1, min(rows, most))
    height = table.horizontalHeader().sizeHint().height() + shown * table.verticalHeader().defaultSectionSize()
    table.setFixedHeight(height + 2 * table.frameWidth())
