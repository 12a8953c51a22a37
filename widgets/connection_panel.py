"""The connection panel: every profile with its state, what is wrong with the profiles file, and the
buttons to connect, reconnect or disconnect a profile.

The app decides which connection actions a profile allows (`ProfileRow.connect_actions`); the panel only
enables the matching buttons and emits intents. Disconnecting asks first, inline, because it revokes
tokens at the broker; a non-modal bar keeps the qasync loop free of nested event loops.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
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

from widgets.login_wait import LoginWaitPanel
from widgets.table_spec import Column, RowTableModel
from widgets.view_models import ProfileRow, StatusView

PROFILE_COLUMNS = (
    Column("label", "Profile", tooltip_key="origin"),
    Column("kind", "Kind"),
    Column("state", "State", tooltip_key="hint", colored_by="severity"),
    Column("reason", "Detail", tooltip_key="reason"),
)


class ConnectionPanel(QWidget):
    """Lists profiles and emits the trader's intents; it never connects anything itself."""

    reloadRequested = Signal()
    profileSelected = Signal(str)
    connectRequested = Signal(str)  # profile name; Connect and Reconnect both ask for a browser sign-in
    disconnectRequested = Signal(str)  # only after the trader confirmed
    addProfileRequested = Signal()
    cancelLoginRequested = Signal(str)
    reopenBrowserRequested = Signal(str)
    pasteUrlRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connectionPanel")
        self.model = RowTableModel(PROFILE_COLUMNS)

        self.table = QTableView(self)
        self.table.setObjectName("profileTable")
        self.table.setAccessibleName("Profiles")
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

        self._view = StatusView()
        self._build_actions()
        self.login_wait = LoginWaitPanel(self)
        self.login_wait.cancelRequested.connect(self.cancelLoginRequested)
        self.login_wait.reopenRequested.connect(self.reopenBrowserRequested)
        self.login_wait.pasteRequested.connect(self.pasteUrlRequested)

        top = QHBoxLayout()
        top.addWidget(self.source_label, 1)
        top.addWidget(self.reload_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(self.action_row)
        layout.addWidget(self.disconnect_confirm)
        layout.addWidget(self.login_wait)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.errors_label)
        layout.addWidget(self.sandbox_label)
        self.show_status(StatusView())

    def _build_actions(self) -> None:
        """The Connect / Reconnect / Disconnect / Add profile row and the inline disconnect confirmation."""
        self.connect_button = QPushButton("Connect", self)
        self.connect_button.setObjectName("connectButton")
        self.connect_button.setToolTip("Open the broker's sign-in page in your browser")
        self.reconnect_button = QPushButton("Reconnect", self)
        self.reconnect_button.setObjectName("reconnectButton")
        self.reconnect_button.setToolTip("Sign in again in your browser to replace this profile's tokens")
        self.disconnect_button = QPushButton("Disconnect", self)
        self.disconnect_button.setObjectName("disconnectButton")
        self.disconnect_button.setToolTip("Revoke this profile's tokens at the broker and delete them here")
        self.add_profile_button = QPushButton("Add profile…", self)
        self.add_profile_button.setObjectName("addProfileButton")
        self.add_profile_button.setToolTip("Add an OAuth 2 broker profile to profiles.toml")
        self.action_buttons = {
            "connect": self.connect_button,
            "reconnect": self.reconnect_button,
            "disconnect": self.disconnect_button,
        }
        self.connect_button.clicked.connect(self._on_connect_clicked)
        self.reconnect_button.clicked.connect(self._on_connect_clicked)
        self.disconnect_button.clicked.connect(self._on_disconnect_clicked)
        self.add_profile_button.clicked.connect(self.addProfileRequested)
        self.action_row = QHBoxLayout()
        for button in self.action_buttons.values():
            self.action_row.addWidget(button)
        self.action_row.addStretch(1)
        self.action_row.addWidget(self.add_profile_button)

        self.disconnect_confirm = QFrame(self)
        self.disconnect_confirm.setObjectName("disconnectConfirm")
        self.disconnect_confirm.setFrameShape(QFrame.Shape.StyledPanel)
        self.confirm_text = QLabel(self.disconnect_confirm)
        self.confirm_text.setTextFormat(Qt.TextFormat.PlainText)
        self.confirm_text.setWordWrap(True)
        self.confirm_button = QPushButton("Disconnect", self.disconnect_confirm)
        self.confirm_button.setObjectName("confirmDisconnectButton")
        self.cancel_disconnect_button = QPushButton("Keep connected", self.disconnect_confirm)
        self.cancel_disconnect_button.setObjectName("cancelDisconnectButton")
        self.confirm_button.clicked.connect(self._on_disconnect_confirmed)
        self.cancel_disconnect_button.clicked.connect(self._hide_confirm)
        confirm_layout = QHBoxLayout(self.disconnect_confirm)
        confirm_layout.addWidget(self.confirm_text, 1)
        confirm_layout.addWidget(self.confirm_button)
        confirm_layout.addWidget(self.cancel_disconnect_button)
        self._confirming = ""  # the profile the confirmation bar asks about
        self.disconnect_confirm.hide()

    def show_status(self, view: StatusView) -> None:
        self._view = view
        selected = self.selected_profile()
        self.model.set_rows(view.profiles)
        self.source_label.setText(f"Profiles from {view.profiles_file}" if view.profiles_file else "")
        self.empty_label.setVisible(not view.profiles and not view.profile_errors)  # "none yet" only when true
        self.empty_label.setText(
            "No profiles yet. Press Add profile… for an OAuth 2 broker. Add a [profiles.NAME] section to "
            "profiles.toml for the other kinds (the README shows every kind), then press Reload profiles."
        )
        self.errors_label.setVisible(bool(view.profile_errors))
        self.errors_label.setText("Problems in profiles.toml:\n" + "\n".join(f"• {e}" for e in view.profile_errors))
        self.sandbox_label.setText(view.sandbox_text)
        self.sandbox_label.setVisible(bool(view.sandbox_text))
        self.login_wait.show_login(view.login)
        if selected:
            self.select_profile(selected)
        self._sync_actions()

    def selected_profile(self) -> str:
        row = self._selected_row()
        return row.name if row is not None else ""

    def _selected_row(self) -> ProfileRow | None:
        index = self.table.currentIndex()
        return self.model.row_object(index.row()) if index.isValid() else None

    def select_profile(self, name: str) -> None:
        for row in range(self.model.rowCount()):
            if self.model.row_object(row).name == name:
                self.table.selectRow(row)
                return

    def _on_row_changed(self, current: object, _previous: object) -> None:
        self._sync_actions()
        name = self.selected_profile()
        if name:
            self.profileSelected.emit(name)

    def _sync_actions(self) -> None:
        """Enable what the selected row allows; no new sign-in may start while one is under way."""
        row = self._selected_row()
        allowed = set(row.connect_actions) if row is not None else set()
        if self._view.login is not None:
            allowed -= {"connect", "reconnect"}
        for action, button in self.action_buttons.items():
            button.setEnabled(action in allowed)
        if self._confirming and (row is None or row.name != self._confirming or "disconnect" not in allowed):
            self._hide_confirm()

    def _on_connect_clicked(self) -> None:
        row = self._selected_row()
        if row is not None:
            self.connectRequested.emit(row.name)

    def _on_disconnect_clicked(self) -> None:
        row = self._selected_row()
        if row is None or "disconnect" not in row.connect_actions:
            return
        self._confirming = row.name
        self.confirm_text.setText(
            f"Disconnect {row.label}? Its tokens are revoked at the broker and deleted here; "
            "you will need to sign in again."
        )
        self.disconnect_confirm.show()

    def _on_disconnect_confirmed(self) -> None:
        name = self._confirming
        self._hide_confirm()
        if name:
            self.disconnectRequested.emit(name)

    def _hide_confirm(self) -> None:
        self._confirming = ""
        self.disconnect_confirm.hide()
