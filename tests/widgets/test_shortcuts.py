"""The common actions answer their keys from anywhere in the window, as the menus show them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from widgets.main_window import MainWindow
from widgets.view_models import ProfileRow, StatusView

CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def open_window(qtbot: Any, connect_actions: tuple[str, ...]) -> MainWindow:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    row = ProfileRow("ibkr", "IBKR", "ibkr-oauth1a", "profiles.toml", "Not connected", "idle", "", "")
    window.show_status(StatusView(profiles=(replace(row, connect_actions=connect_actions),)))
    window.activateWindow()  # shortcuts go to the active window only
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    return window


def test_ctrl_t_puts_the_cursor_in_the_tickets_quantity(qtbot: Any) -> None:
    window = open_window(qtbot, ())
    qtbot.keyClick(window, Qt.Key.Key_T, CTRL)
    qtbot.waitUntil(window.order_ticket.quantity.hasFocus, timeout=2000)


def test_ctrl_k_connects_the_selected_profile(qtbot: Any) -> None:
    window = open_window(qtbot, ("connect",))
    with qtbot.waitSignal(window.connection_panel.connectRequested) as asked:
        qtbot.keyClick(window, Qt.Key.Key_K, CTRL)
    assert asked.args == ["ibkr"]
    assert window.docks["connections"].isVisible()


def test_ctrl_k_does_nothing_when_the_profile_cannot_connect(qtbot: Any) -> None:
    window = open_window(qtbot, ("disconnect",))
    asked: list[str] = []
    window.connection_panel.connectRequested.connect(asked.append)
    qtbot.keyClick(window, Qt.Key.Key_K, CTRL)
    assert asked == []


def test_ctrl_shift_s_asks_for_everything_back_to_shadow_and_ctrl_r_reloads(qtbot: Any) -> None:
    window = open_window(qtbot, ())
    with qtbot.waitSignal(window.everything_shadow_action.triggered):
        qtbot.keyClick(window, Qt.Key.Key_S, CTRL_SHIFT)
    with qtbot.waitSignal(window.connection_panel.reloadRequested):
        qtbot.keyClick(window, Qt.Key.Key_R, CTRL)
