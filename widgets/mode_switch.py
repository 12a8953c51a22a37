"""The mode switch: where each profile's orders go (SHADOW or LIVE), why it may or may not be armed, and
the limits every order is held to.

It only shows and asks. Arming asks the app (which opens the typed confirmation); going back to SHADOW is
one click with no question, because it can only make things safer. The checklist is the core's, item by
item, with what is wrong and what fixes it; nothing here decides whether it passed.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from widgets.mode_badge import ModeBadge
from widgets.table_spec import Column, RowTableModel
from widgets.trading_views import LIVE, SHADOW, ProfileModeView

CHECK_COLUMNS = (
    Column("mark", "", colored_by="severity", centered=True),
    Column("title", "Item"),
    Column("detail", "What is wrong", tooltip_key="detail"),
    Column("fix", "What fixes it", tooltip_key="fix"),
)
NO_PROFILE = ProfileModeView(profile="")


def mode_text(view: ProfileModeView) -> str:
    """The mode in words, as loud as it is: LIVE names the account and how long it lasts."""
    if view.mode == LIVE:
        account = f" to {view.account_masked}" if view.account_masked else ""
        until = f", {view.until_text}" if view.until_text else ""
        return f"LIVE — real orders{account}{until}"
    return "SHADOW — orders are simulated; nothing is sent"


def arm_blocker(view: ProfileModeView) -> str:
    """Why "Arm LIVE…" is disabled, or "" when it may be pressed."""
    if not view.profile:
        return "No profile to arm."
    if view.live:
        return ""
    if not view.can_trade:
        return "This profile's broker connection cannot place orders."
    if not view.ready:
        return "Every checklist item must pass before LIVE can be armed."
    return ""


class ModeSwitch(QWidget):
    """Renders `ProfileModeView`s, one profile at a time (a selector appears when there are several)."""

    armRequested = Signal(str)  # profile
    shadowRequested = Signal(str)  # profile
    limitsRequested = Signal(str, str, str)  # profile, per-order cap as typed, daily limit as typed
    profileSelected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modeSwitch")
        self._views: dict[str, ProfileModeView] = {}
        self._shown_limits: tuple[str, str, str] | None = None

        self.profile_combo = QComboBox(self)
        self.profile_combo.setObjectName("modeProfile")
        self.profile_label = QLabel("Profile", self)
        self.profile_combo.currentIndexChanged.connect(self._on_profile_changed)
        self.badge = ModeBadge(self, point_size=12.0)
        self.badge.setObjectName("modeBadge")
        self.note = QLabel(self)
        self.note.setObjectName("modeNote")
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.setWordWrap(True)
        self.note.setProperty("role", "muted")

        self.checklist = RowTableModel(CHECK_COLUMNS)
        self.checklist_table = QTableView(self)
        self.checklist_table.setObjectName("checklistTable")
        self.checklist_table.setAccessibleName("Readiness checklist")
        self.checklist_table.setModel(self.checklist)
        self.checklist_table.verticalHeader().setVisible(False)
        self.checklist_table.setWordWrap(False)
        self.checklist_table.setSelectionMode(QTableView.SelectionMode.NoSelection)
        self.checklist_table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.checklist_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)

        self.arm_button = QPushButton("Arm LIVE…", self)
        self.arm_button.setObjectName("armLive")
        self.arm_button.clicked.connect(self._arm)
        self.shadow_button = QPushButton("Back to SHADOW", self)
        self.shadow_button.setObjectName("backToShadow")
        self.shadow_button.clicked.connect(self._back_to_shadow)
        self.arm_reason = QLabel(self)
        self.arm_reason.setObjectName("armReason")
        self.arm_reason.setTextFormat(Qt.TextFormat.PlainText)
        self.arm_reason.setWordWrap(True)
        self.arm_reason.setProperty("role", "muted")

        self.per_order_edit = QLineEdit(self)
        self.per_order_edit.setObjectName("perOrderCap")
        self.per_order_edit.setAccessibleName("Per-order cap")
        self.per_order_edit.setPlaceholderText("e.g. 25000")
        self.daily_edit = QLineEdit(self)
        self.daily_edit.setObjectName("dailyLimit")
        self.daily_edit.setAccessibleName("Daily limit")
        self.daily_edit.setPlaceholderText("e.g. 200000")
        self.limits_button = QPushButton("Set limits", self)
        self.limits_button.setObjectName("setLimits")
        self.limits_button.clicked.connect(self._request_limits)
        self.limits_error = QLabel(self)
        self.limits_error.setObjectName("limitsError")
        self.limits_error.setTextFormat(Qt.TextFormat.PlainText)
        self.limits_error.setWordWrap(True)
        self.limits_error.setProperty("role", "error")
        self.limits_error.hide()

        top = QHBoxLayout()
        top.addWidget(self.profile_label)
        top.addWidget(self.profile_combo, 1)
        top.addWidget(self.arm_button)
        top.addWidget(self.shadow_button)
        limits = QHBoxLayout()
        limits.addWidget(QLabel("Per-order cap", self))
        limits.addWidget(self.per_order_edit, 1)
        limits.addWidget(QLabel("Daily limit", self))
        limits.addWidget(self.daily_edit, 1)
        limits.addWidget(self.limits_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.badge)
        layout.addWidget(self.note)
        layout.addWidget(self.arm_reason)
        layout.addWidget(QLabel("<b>Readiness checklist</b>", self))
        layout.addWidget(self.checklist_table, 1)
        layout.addLayout(limits)
        layout.addWidget(self.limits_error)
        self.show_modes(())

    # ---- what the app shows ---------------------------------------------------------------------

    def show_modes(self, views: Sequence[ProfileModeView]) -> None:
        """Every profile's mode; the profile the trader was looking at stays selected."""
        self._views = {view.profile: view for view in views}
        selected = self.selected_profile()
        names = list(self._views)
        texts = [f"{name} — {self._views[name].mode}" for name in names]
        if [self.profile_combo.itemText(i) for i in range(self.profile_combo.count())] != texts:
            self.profile_combo.blockSignals(True)
            self.profile_combo.clear()
            for name, text in zip(names, texts, strict=True):
                self.profile_combo.addItem(text, name)
            self.profile_combo.setCurrentIndex(names.index(selected) if selected in names else 0 if names else -1)
            self.profile_combo.blockSignals(False)
        several = len(names) > 1
        self.profile_combo.setVisible(several)
        self.profile_label.setVisible(several)
        self._show_view(self.current_view())

    def select_profile(self, name: str) -> None:
        index = self.profile_combo.findData(name)
        if index >= 0:
            self.profile_combo.setCurrentIndex(index)

    def show_limits_error(self, text: str) -> None:
        """The core refused the limits; its words, and the values as typed, stay until the next try."""
        self.limits_error.setText(text)
        self.limits_error.setVisible(bool(text))

    # ---- what is shown --------------------------------------------------------------------------

    def selected_profile(self) -> str:
        name = self.profile_combo.currentData()
        return name if isinstance(name, str) else ""

    def current_view(self) -> ProfileModeView:
        return self._views.get(self.selected_profile(), NO_PROFILE)

    def _show_view(self, view: ProfileModeView) -> None:
        if view.profile:
            self.badge.show_mode(view.mode, mode_text(view))
        else:
            self.badge.show_mode(SHADOW, "SHADOW — no profile yet; nothing is sent")
        self.note.setText(view.note)
        self.note.setVisible(bool(view.note))
        self.checklist.set_rows(view.checklist)
        blocker = arm_blocker(view)
        self.arm_button.setEnabled(not view.live and not blocker)
        self.arm_button.setVisible(not view.live)
        self.shadow_button.setEnabled(view.live)
        self.arm_reason.setText(blocker)
        self.arm_reason.setVisible(bool(blocker))
        limits = (view.profile, view.per_order_cap_text, view.daily_limit_text)
        if limits != self._shown_limits:  # the trader's typing is not overwritten by a re-render
            self._shown_limits = limits
            self.per_order_edit.setText(view.per_order_cap_text)
            self.daily_edit.setText(view.daily_limit_text)
            self.limits_error.hide()
        for widget in (self.per_order_edit, self.daily_edit, self.limits_button):
            widget.setEnabled(bool(view.profile))

    # ---- what the trader asks -------------------------------------------------------------------

    def _on_profile_changed(self, _index: int) -> None:
        self._show_view(self.current_view())
        self.profileSelected.emit(self.selected_profile())

    def _arm(self) -> None:
        view = self.current_view()
        if not view.live and not arm_blocker(view):
            self.armRequested.emit(view.profile)

    def _back_to_shadow(self) -> None:
        view = self.current_view()
        if view.profile:
            self.shadowRequested.emit(view.profile)

    def _request_limits(self) -> None:
        profile = self.selected_profile()
        if profile:
            self.limits_error.hide()
            self.limitsRequested.emit(profile, self.per_order_edit.text().strip(), self.daily_edit.text().strip())
