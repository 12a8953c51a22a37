"""The one mapping from severity to colour, shared by every widget.

The colours are chosen for the dark theme (widgets/theme.py): each keeps a contrast of at least 4.5:1
as text on the window and table backgrounds, so a state word reads as well as the text around it.
"""

from __future__ import annotations

from PySide6.QtGui import QColor

SEVERITY_COLORS: dict[str, QColor] = {
    "ok": QColor("#3fb950"),
    "warn": QColor("#d29922"),
    "error": QColor("#f85149"),
    "idle": QColor("#8b949e"),
}

SEVERITY_WORDS: dict[str, str] = {
    "ok": "healthy",
    "warn": "needs attention soon",
    "error": "needs action",
    "idle": "not connected",
}


def severity_color(severity: str) -> QColor:
    return SEVERITY_COLORS.get(severity, SEVERITY_COLORS["idle"])
