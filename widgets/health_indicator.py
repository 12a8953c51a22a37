"""The credential-health indicator: a coloured chip per profile and a detail view of the selected one.

It renders what it is given and never sees a secret: only states, reasons and expiry times.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from widgets.severity import SEVERITY_WORDS, severity_color
from widgets.table_spec import Column, RowTableModel
from widgets.view_models import ProfileRow, StatusView

CREDENTIAL_COLUMNS = (
    Column("name", "Credential"),
    Column("state", "State", colored_by="severity"),
    Column("expires", "Expires"),
    Column("detail", "Detail", tooltip_key="detail"),
)


class HealthChip(QFrame):
    """A dot in the state's colour and the profile's name; click it to see the detail."""

    clicked = Signal(str)

    def __init__(self, row: ProfileRow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.profile = row.name
        self.severity = ""
        self.setObjectName(f"chip-{row.name}")
        self.setProperty("role", "chip")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.dot = QLabel("●", self)
        self.text = QLabel(self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 8, 2)
        layout.addWidget(self.dot)
        layout.addWidget(self.text)
        self.show_row(row)

    def show_row(self, row: ProfileRow) -> None:
        """Update in place: chips are rebuilt only when the set of profiles changes."""
        if row.severity != self.severity:
            self.severity = row.severity
            self.dot.setStyleSheet(f"color: {severity_color(row.severity).name()}; font-size: 16px;")
        self.text.setText(f"{row.label}  {row.state}")
        self.setToolTip(f"{row.label}: {SEVERITY_WORDS.get(row.severity, '')}. {row.reason}")

    def mousePressEvent(self, event: object) -> None:
        self.clicked.emit(self.profile)


class HealthIndicator(QWidget):
    """Always-visible chips plus the selected profile's credentials, reason and next action."""

    refreshRequested = Signal()
    profileSelected = Signal(str)
    actionRequested = Signal(str, str)  # profile, action

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("healthIndicator")
        self._rows: dict[str, ProfileRow] = {}
        self._selected = ""
        self.chips: dict[str, HealthChip] = {}

        self.chip_row = QWidget(self)  # the main window hides it: its status strip shows the same chips
        self.chip_bar = QHBoxLayout(self.chip_row)
        self.chip_bar.setContentsMargins(0, 0, 0, 0)
        self.chip_bar.setSpacing(4)
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
        self.action_button.clicked.connect(self._on_action_clicked)
        self.credentials = RowTableModel(CREDENTIAL_COLUMNS)
        self.credential_table = QTableView(self)
        self.credential_table.setModel(self.credentials)
        self.credential_table.setObjectName("credentialTable")
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
        layout.addWidget(self.chip_row)
        layout.addWidget(self.title)
        layout.addWidget(self.reason)
        action_row = QHBoxLayout()
        action_row.addWidget(self.action, 1)
        action_row.addWidget(self.action_button)
        layout.addLayout(action_row)
        layout.addWidget(self.credential_table, 1)
        layout.addLayout(footer)
        self.show_status(StatusView())

    def show_status(self, view: StatusView) -> None:
        self._rows = {row.name: row for row in view.profiles}
        self._rebuild_chips(view.profiles)
        self.vault_label.setText(view.vault_text)
        self.vault_label.setProperty("role", "" if view.vault_ok else "error")
        self.vault_label.style().polish(self.vault_label)
        self.checked_label.setText(f"checked {view.checked_at}" if view.checked_at else "")
        if self._selected not in self._rows:
            self._selected = view.profiles[0].name if view.profiles else ""
        self.select_profile(self._selected)

    def select_profile(self, name: str) -> None:
        self._selected = name
        row = self._rows.get(name)
        for chip_name, chip in self.chips.items():
            chip.setProperty("selected", chip_name == name)
            chip.style().polish(chip)
        if row is None:
            self.title.setText("No profiles to check yet.")
            self.reason.setText("")
            self.action.setText("")
            self.action_button.hide()
            self.credentials.set_rows(())
            return
        self.title.setText(f"<b>{row.label}</b> ({row.name}, {row.kind}): {row.state}")
        self.reason.setText(row.reason)
        self.action.setText(f"Next: {row.hint}" if row.hint else "")
        self.action_button.setText(row.action_label)
        self.action_button.setVisible(bool(row.action))
        self.credentials.set_rows(row.credentials)

    def _on_action_clicked(self) -> None:
        row = self._rows.get(self._selected)
        if row is not None and row.action:
            self.actionRequested.emit(row.name, row.action)

    def _rebuild_chips(self, rows: tuple[ProfileRow, ...]) -> None:
        if list(self.chips) == [row.name for row in rows]:
            for row in rows:
                self.chips[row.name].show_row(row)
            return
        while self.chip_bar.count():
            item = self.chip_bar.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.chips = {}
        for row in rows:
            chip = HealthChip(row, self.chip_row)
            chip.clicked.connect(self.profileSelected)
            chip.clicked.connect(self.select_profile)
            self.chip_bar.addWidget(chip)
            self.chips[row.name] = chip
        self.chip_bar.addStretch(1)
