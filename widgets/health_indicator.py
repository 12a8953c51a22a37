"""The credential-health detail of the selected profile: its state, why, the one action that fixes it, and
every credential with its expiry (the status strip carries the per-profile chips).

It renders what it is given and never sees a secret: only states, reasons and expiry times.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from widgets.accounts_panel import AccountsPanel
from widgets.severity import severity_color
from widgets.table_spec import Column, RowTableModel
from widgets.trading_views import ReconcileView
from widgets.view_models import ProfileRow, StatusView

CREDENTIAL_COLUMNS = (
    Column("name", "Credential"),
    Column("state", "State", colored_by="severity"),
    Column("expires", "Expires"),
    Column("detail", "Detail", tooltip_key="detail"),
)


class HealthIndicator(QWidget):
    """The selected profile's credentials, reason and next action, and Check now."""

    refreshRequested = Signal()
    actionRequested = Signal(str, str)  # profile, action

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("healthIndicator")
        self._rows: dict[str, ProfileRow] = {}
        self._reconciled: dict[str, ReconcileView] = {}
        self._selected = ""
        self.vault_label = QLabel(self)
        self.vault_label.setObjectName("vaultStatus")
        self.vault_label.setWordWrap(True)
        self.refresh_button = QPushButton("Check now", self)
        self.refresh_button.clicked.connect(self.refreshRequested)
        self.checked_label = QLabel(self)
        self.checked_label.setObjectName("checkedAt")

        self.title = QLabel(self)
        self.title.setObjectName("healthTitle")
        self.reason = QLabel(self)
        self.reason.setObjectName("healthReason")
        self.reason.setWordWrap(True)
        self.reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.action = QLabel(self)
        self.action.setObjectName("healthAction")
        self.action.setWordWrap(True)
        self.action_button = QPushButton(self)
        self.action_button.setObjectName("healthActionButton")
        self.action_button.setAccessibleName("Next action")
        self.action_button.clicked.connect(self._on_action_clicked)
        self.reconcile_note = QLabel(self)  # the latest reconciliation of the profile's orders, when there is one
        self.reconcile_note.setObjectName("reconcileNote")
        self.reconcile_note.setWordWrap(True)
        self.reconcile_note.setTextFormat(Qt.TextFormat.PlainText)
        self.reconcile_note.hide()
        self.credentials = RowTableModel(CREDENTIAL_COLUMNS)
        self.credential_table = QTableView(self)
        self.credential_table.setModel(self.credentials)
        self.credential_table.setObjectName("credentialTable")
        self.credential_table.setAccessibleName("Credentials")
        self.credential_table.verticalHeader().setVisible(False)
        # The detail is the long column: it takes the width left, shortened with "…" (its tooltip has it all),
        # so a narrow panel needs no sideways scroll.
        self.credential_table.setWordWrap(False)
        header = self.credential_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(CREDENTIAL_COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)

        footer = QHBoxLayout()
        footer.addWidget(self.vault_label, 1)
        footer.addWidget(self.checked_label)
        footer.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.reason)
        action_row = QHBoxLayout()
        action_row.addWidget(self.action, 1)
        action_row.addWidget(self.action_button)
        layout.addLayout(action_row)
        layout.addWidget(self.reconcile_note)
        layout.addWidget(self.credential_table, 1)
        self.accounts_panel = AccountsPanel(self)
        layout.addWidget(self.accounts_panel)
        layout.addLayout(footer)
        self.show_status(StatusView())

    def show_status(self, view: StatusView) -> None:
        self._rows = {row.name: row for row in view.profiles}
        self.vault_label.setText(view.vault_text)
        self.vault_label.setProperty("role", "" if view.vault_ok else "error")
        self.vault_label.style().polish(self.vault_label)
        self.checked_label.setText(f"checked {view.checked_at}" if view.checked_at else "")
        if self._selected not in self._rows:
            self._selected = view.profiles[0].name if view.profiles else ""
        self.select_profile(self._selected)

    def show_reconciliation(self, views: dict[str, ReconcileView]) -> None:
        """Each profile's latest reconciliation; the selected profile's shows as one line."""
        self._reconciled = dict(views)
        self._show_reconcile_note()

    def _show_reconcile_note(self) -> None:
        view = self._reconciled.get(self._selected) if self._selected in self._rows else None
        self.reconcile_note.setText(view.headline if view is not None else "")
        if view is not None:
            self.reconcile_note.setStyleSheet(f"color: {severity_color(view.severity).name()};")
        self.reconcile_note.setVisible(view is not None)

    def select_profile(self, name: str) -> None:
        self._selected = name
        self._show_reconcile_note()
        row = self._rows.get(name)
        if row is None:
            self.title.setText("No profiles to check yet.")
            self.reason.setText("")
            self.action.setText("")
            self.action_button.hide()
            self.credentials.set_rows(())
            self.accounts_panel.show_accounts(None)
            return
        self.title.setText(f"<b>{row.label}</b> ({row.name}, {row.kind}): {row.state}")
        self.reason.setText(row.reason)
        self.action.setText(f"Next: {row.hint}" if row.hint else "")
        self.action_button.setText(row.action_label)
        self.action_button.setToolTip(row.action_tooltip)
        self.action_button.setVisible(bool(row.action))
        self.credentials.set_rows(row.credentials)
        self.accounts_panel.show_accounts(row.accounts)

    def _on_action_clicked(self) -> None:
        row = self._rows.get(self._selected)
        if row is not None and row.action:
            self.actionRequested.emit(row.name, row.action)
