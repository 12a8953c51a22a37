"""The main window's menu bar (File, Profile, Trading, View, Help), the actions in it and the About box.

Every shortcut works wherever the focus is in the window, the market's fields included. The window and
the app connect what the actions do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMainWindow, QWidget

from widgets.rotate_keys_action import RotateKeysAction
from widgets.theme import THEME_CHOICES

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox


class WindowMenus:
    """The actions of `window`'s menu bar, which this fills; `view_toggles` (the docks') head the View menu."""

    def __init__(self, window: QMainWindow, view_toggles: Sequence[QAction]) -> None:
        menus = window.menuBar()
        file_menu = menus.addMenu("&File")
        self.add_profile = window_shortcut(file_menu.addAction("&Add profile…"))
        self.reload = window_shortcut(file_menu.addAction("&Reload profiles"), "Ctrl+R")
        file_menu.addSeparator()
        self.quit = window_shortcut(file_menu.addAction("&Quit"), "Ctrl+Q")
        self.quit.setMenuRole(QAction.MenuRole.QuitRole)

        profile_menu = menus.addMenu("&Profile")
        self.connect = window_shortcut(profile_menu.addAction("&Connect selected profile"), "Ctrl+K")
        self.connect.setToolTip("Sign the selected profile in (or again), from the connections detail")
        self.rotate_keys = RotateKeysAction(window)
        profile_menu.addAction(self.rotate_keys)

        trading_menu = menus.addMenu("&Trading")
        self.open_ticket = window_shortcut(trading_menu.addAction("Order &ticket"), "Ctrl+T")
        self.everything_shadow = window_shortcut(trading_menu.addAction("Everything back to &SHADOW"), "Ctrl+Shift+S")
        self.everything_shadow.setToolTip("Every profile to SHADOW at once: orders are simulated, nothing is sent")

        view_menu = menus.addMenu("&View")
        for toggle in view_toggles:
            view_menu.addAction(toggle)
        self.check_health = window_shortcut(view_menu.addAction("Check &health now"), "F5")
        self.reconcile = window_shortcut(view_menu.addAction("&Reconcile orders"))
        self.reconcile.setToolTip("Compare the selected profile's orders with its broker's (reads only)")
        self.find_instrument = window_shortcut(view_menu.addAction("&Find instrument"), "Ctrl+L")
        view_menu.addSeparator()
        theme_menu = view_menu.addMenu("T&heme")
        choices = QActionGroup(window)
        choices.setExclusive(True)
        self.themes: dict[str, QAction] = {}
        for choice, text in THEME_CHOICES.items():
            action = choices.addAction(theme_menu.addAction(text))
            action.setCheckable(True)
            self.themes[choice] = action

        help_menu = menus.addMenu("&Help")
        self.open_log_folder = window_shortcut(help_menu.addAction("Open &log folder"))
        self.about = window_shortcut(help_menu.addAction("&About Brokerdeck"))
        self.about.setMenuRole(QAction.MenuRole.AboutRole)


def window_shortcut(action: QAction, shortcut: str = "") -> QAction:
    """`action`, with `shortcut` if given, triggered wherever the focus is in its window."""
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    return action


def about_box(parent: QWidget, version: str, details: Sequence[tuple[str, str]] = ()) -> QMessageBox:
    """A non-modal box: a modal one would run a nested event loop under the asyncio loop.

    `details` are (what, value) lines from the app: where config, data and logs live, the vault in use.
    """
    from PySide6.QtWidgets import QMessageBox  # on first use: its class's enums need not delay the first paint

    box = QMessageBox(QMessageBox.Icon.NoIcon, "About Brokerdeck", "", QMessageBox.StandardButton.Close, parent)
    box.setWindowModality(Qt.WindowModality.NonModal)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)  # a path can be copied
    show_about_text(box, version, details)
    return box


def show_about_text(box: QMessageBox, version: str, details: Sequence[tuple[str, str]]) -> None:
    version = f" {version}" if version else ""
    lines = "".join(f"\n{what}: {value}" for what, value in details)
    box.setText(
        f"Brokerdeck{version}\n\nA control center for a trader's broker connections: sign-ins, "
        "credential health and Interactive Brokers market data.\n\nTrading mode: SHADOW at every "
        "start. Orders are simulated until LIVE is armed for a profile with a typed confirmation."
        + (f"\n{lines}" if lines else "")
    )
