"""Fixtures for the widget tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import QApplication

from resources import resource_path
from widgets.theme import apply_dark_theme


@pytest.fixture
def dark_theme(qapp: QApplication) -> Iterator[QApplication]:
    """The app's own theme (as app/gui.py applies it), taken off again so other tests see plain Qt."""
    style, palette, font, sheet = qapp.style().name(), QPalette(qapp.palette()), QFont(qapp.font()), qapp.styleSheet()
    apply_dark_theme(qapp, resource_path("style.qss").read_text("utf-8"), str(resource_path("icons")))
    yield qapp
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)
    qapp.setFont(font)
    qapp.setStyle(style)
