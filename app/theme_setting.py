"""The trader's theme (System, Light or Dark), applied to the whole app and remembered in ui.ini.

System follows the operating system's colour scheme, also when it changes while the window is open.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QSettings, Qt
from PySide6.QtWidgets import QApplication

from widgets.main_window import MainWindow
from widgets.theme import SYSTEM, THEME_CHOICES, apply_theme, theme_for

THEME_KEY = "ui/theme"


class ThemeSetting(QObject):
    """Applies the saved choice at once; `choose` applies and saves a new one."""

    def __init__(self, app: QApplication, settings: QSettings, style_sheet_template: str, icons: str) -> None:
        super().__init__(app)
        self.app = app
        self.settings = settings
        self.template = style_sheet_template
        self.icons = icons
        saved = str(settings.value(THEME_KEY, SYSTEM))
        self.choice = saved if saved in THEME_CHOICES else SYSTEM
        self.theme = ""
        self._apply()
        app.styleHints().colorSchemeChanged.connect(lambda _scheme: self._apply())

    def attach(self, window: MainWindow) -> None:
        """Tick the choice in the window's View > Theme menu and follow what the trader picks there."""
        window.show_theme_choice(self.choice)
        window.themeRequested.connect(self.choose)

    def choose(self, choice: str) -> None:
        self.choice = choice if choice in THEME_CHOICES else SYSTEM
        self.settings.setValue(THEME_KEY, self.choice)
        self.settings.sync()
        self._apply()

    def _apply(self) -> None:
        dark_system = self.app.styleHints().colorScheme() != Qt.ColorScheme.Light  # unknown: dark, as before
        theme = theme_for(self.choice, dark_system)
        if theme != self.theme:
            self.theme = theme
            apply_theme(self.app, theme, self.template, self.icons)
