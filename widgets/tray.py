"""The tray icon: the worst credential state as its colour, every profile's trading mode in its tooltip.

A trader with the window hidden still sees at a glance whether a sign-in needs action and whether any
profile sends real orders, and can put everything back to SHADOW in one click. `TrayState` is what the
icon shows and `TrayIcon` owns the menu, so both work (and are tested) where there is no system tray;
the QSystemTrayIcon itself exists only when the desktop offers a tray.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QObject, QRectF, Qt, Signal, SignalInstance
from PySide6.QtGui import QAction, QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon, QWidget

from widgets.severity import SEVERITY_COLORS, SEVERITY_WORDS
from widgets.trading_views import LIVE, MODE_COLORS, ProfileModeView
from widgets.view_models import ProfileRow

SEVERITY_RANK = ("ok", "idle", "warn", "error")  # best to worst: not connected is worse than healthy
ICON_SIZE = 64
TITLE = "Brokerdeck"


@dataclass(frozen=True)
class TrayState:
    """The worst severity across profiles, each profile's mode, and the tooltip that says both."""

    severity: str = "idle"
    modes: tuple[tuple[str, str], ...] = ()  # (profile, SHADOW | LIVE), in the window's order

    @property
    def any_live(self) -> bool:
        return any(mode == LIVE for _, mode in self.modes)

    @property
    def tooltip(self) -> str:
        lines = [f"{TITLE}: credentials {SEVERITY_WORDS.get(self.severity, self.severity)}"]
        lines += [f"{profile}: {mode}" for profile, mode in self.modes] or ["No profiles yet"]
        return "\n".join(lines)


def tray_state(profiles: Sequence[ProfileRow], modes: Sequence[ProfileModeView]) -> TrayState:
    """The state from the window's status rows and the trading core's modes (a profile without one is SHADOW)."""
    ranks = [SEVERITY_RANK.index(row.severity) for row in profiles if row.severity in SEVERITY_RANK]
    severity = SEVERITY_RANK[max(ranks)] if ranks else "idle"
    mode_of = {view.profile: view.mode for view in modes}
    names = [row.name for row in profiles] + [view.profile for view in modes]
    return TrayState(severity, tuple((name, mode_of.get(name, "SHADOW")) for name in dict.fromkeys(names)))


def state_icon(state: TrayState) -> QIcon:
    """A disc in the severity's colour; a LIVE profile rings it in LIVE's red, so the mode shows too."""
    pixmap = QPixmap(ICON_SIZE, ICON_SIZE)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    ring = QColor(MODE_COLORS[LIVE][0]) if state.any_live else QColor("#ffffff")
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(ring)
    painter.drawEllipse(QRectF(2, 2, ICON_SIZE - 4, ICON_SIZE - 4))
    painter.setBrush(SEVERITY_COLORS.get(state.severity, SEVERITY_COLORS["idle"]))
    inset = 12 if state.any_live else 6
    painter.drawEllipse(QRectF(inset, inset, ICON_SIZE - 2 * inset, ICON_SIZE - 2 * inset))
    painter.end()
    return QIcon(pixmap)


class TrayIcon(QObject):
    """The tray's menu and state; the system tray icon when there is a tray. The window wires the signals."""

    openRequested = Signal()
    shadowRequested = Signal()
    quitRequested = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.state = TrayState()
        self.menu = QMenu(parent)
        self.menu.setObjectName("trayMenu")
        self.open_action = self._add("Open Brokerdeck", self.openRequested)
        self.shadow_action = self._add("Everything back to SHADOW", self.shadowRequested)
        self.shadow_action.setToolTip("Every profile to SHADOW at once: orders are simulated, nothing is sent")
        self.menu.addSeparator()
        self.quit_action = self._add("Quit", self.quitRequested)
        self.icon: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.icon = QSystemTrayIcon(self)
            self.icon.setContextMenu(self.menu)
            self.icon.activated.connect(self._activated)
        self.show_state(self.state)
        if self.icon is not None:
            self.icon.show()

    def show_state(self, state: TrayState) -> None:
        self.state = state
        if self.icon is not None:
            self.icon.setIcon(state_icon(state))
            self.icon.setToolTip(state.tooltip)

    def _add(self, text: str, signal: SignalInstance) -> QAction:
        action = self.menu.addAction(text)
        action.triggered.connect(signal)
        return action

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.openRequested.emit()
