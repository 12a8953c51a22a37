"""The connection panel: every profile with its state, and what is wrong with the profiles file."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
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

from widgets.table_spec import Column, RowTableModel
from widgets.view_models import StatusView

PROFILE_COLUMNS = (
    Column("label", "Profile", tooltip_key="origin"),
    Column("kind", "Kind"),
    Column("state", "State", tooltip_key="hint", colored_by="severity"),
    Column("reason", "Detail", tooltip_key="reason"),
)


class ConnectionPanel(QWidget):
    """Lists profiles; emits `reloadRequested` when the trader asks to re-read profiles.toml."""

    reloadRequested = Signal()
    profileSelected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connectionPanel")
        self.model = RowTableModel(PROFILE_COLUMNS)

        self.table = QTableView(self)
        self.table.setObjectName("profileTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.selectionModel().currentRowChanged.connect(self._on_row_changed)

        self.source_label = QLabel(self)
        self.source_label.setObjectName("profilesSource")
        self.source_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.source_label.setWordWrap(True)
        self.reload_button = QPushButton("Reload profiles", self)
        self.reload_button.setToolTip("Read profiles.toml again")
        self.reload_button.clicked.connect(self.reloadRequested)

        self.empty_label = QLabel(self)
        self.empty_label.setObjectName("emptyProfiles")
        self.empty_label.setWordWrap(True)
        self.empty_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.errors_label = QLabel(self)
        self.errors_label.setObjectName("profileErrors")
        self.errors_label.setWordWrap(True)
        self.errors_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.errors_label.setProperty("role", "error")

        self.sandbox_label = QLabel(self)
        self.sandbox_label.setObjectName("sandboxStatus")
        self.sandbox_label.setWordWrap(True)
        self.sandbox_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        top = QHBoxLayout()
        top.addWidget(self.source_label, 1)
        top.addWidget(self.reload_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.errors_label)
        layout.addWidget(self.sandbox_label)
        self.show_status(StatusView())

    def show_status(self, view: StatusView) -> None:
        selected = self.selected_profile()
        self.model.set_rows(view.profiles)
        self.source_label.setText(f"Profiles from {view.profiles_file}" if view.profiles_file else "")
        self.empty_label.setVisible(not view.profiles)
        self.empty_label.setText(
            "No profiles yet. Add a [profiles.NAME] section to profiles.toml (the README shows every "
            "kind), then press Reload profiles."
        )
        self.errors_label.setVisible(bool(view.profile_errors))
        self.errors_label.setText(
            "Skipped because profiles.toml has problems:\n" + "\n".join(f"• {e}" for e in view.profile_errors)
        )
        self.sandbox_label.setText(view.sandbox_text)
        self.sandbox_label.setVisible(bool(view.sandbox_text))
        if selected:
            self.select_profile(selected)

    def selected_profile(self) -> str:
        index = self.table.currentIndex()
        return self.model.row_object(index.row()).name if index.isValid() else ""

    def select_profile(self, name: str) -> None:
        for row in range(self.model.rowCount()):
            if self.model.row_object(row).name == name:
                self.table.selectRow(row)
                return

    def _on_row_changed(self, current: object, _previous: object) -> None:
        name = self.selected_profile()
        if name:
            self.profileSelected.emit(name)
