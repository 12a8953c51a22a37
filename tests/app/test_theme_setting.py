"""View > Theme: switching repaints the whole app and is remembered for the next window."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import QApplication

from app.theme_setting import THEME_KEY, ThemeSetting
from resources import resource_path
from widgets.main_window import MainWindow
from widgets.theme import LIGHT, THEME, apply_dark_theme, tokens

TEMPLATE = resource_path("style.qss").read_text("utf-8")
ICONS = str(resource_path("icons"))


@pytest.fixture
def plain_app(qapp: QApplication) -> Iterator[QApplication]:
    """The test's app, put back as it was (and the dark tokens in use) afterwards."""
    style, palette, font, sheet = qapp.style().name(), QPalette(qapp.palette()), QFont(qapp.font()), qapp.styleSheet()
    yield qapp
    apply_dark_theme(qapp, TEMPLATE, ICONS)
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)
    qapp.setFont(font)
    qapp.setStyle(style)


def window_colour(app: QApplication) -> str:
    return app.palette().color(QPalette.ColorRole.Window).name()


def open_window(qtbot: Any, app: QApplication, ini: Path) -> tuple[MainWindow, ThemeSetting]:
    """A window wired as app/gui.py wires it, with its own QSettings on `ini`."""
    setting = ThemeSetting(app, QSettings(str(ini), QSettings.Format.IniFormat), TEMPLATE, ICONS)
    window = MainWindow()
    qtbot.addWidget(window)
    setting.attach(window)
    return window, setting


def test_the_system_choice_is_the_default_and_offscreen_says_nothing_so_it_is_dark(
    plain_app: QApplication, qtbot: Any, tmp_path: Path
) -> None:
    window, setting = open_window(qtbot, plain_app, tmp_path / "ui.ini")
    assert setting.choice == "system"
    assert window.theme_actions["system"].isChecked()
    assert window_colour(plain_app) == THEME["window"]


def test_switching_to_light_repaints_the_app_and_the_next_window_remembers(
    plain_app: QApplication, qtbot: Any, tmp_path: Path
) -> None:
    ini = tmp_path / "ui.ini"
    window, _ = open_window(qtbot, plain_app, ini)
    window.theme_actions["light"].trigger()
    assert window_colour(plain_app) == LIGHT["window"]
    assert LIGHT["window"] in plain_app.styleSheet()
    assert THEME["window"] not in plain_app.styleSheet()
    assert tokens() is LIGHT
    assert QSettings(str(ini), QSettings.Format.IniFormat).value(THEME_KEY) == "light"
    window.close()

    apply_dark_theme(plain_app, TEMPLATE, ICONS)  # as a fresh start would be before the setting applies
    again, setting = open_window(qtbot, plain_app, ini)
    assert setting.choice == "light"
    assert again.theme_actions["light"].isChecked()
    assert window_colour(plain_app) == LIGHT["window"]

    again.theme_actions["dark"].trigger()
    assert window_colour(plain_app) == THEME["window"]
    assert QSettings(str(ini), QSettings.Format.IniFormat).value(THEME_KEY) == "dark"
