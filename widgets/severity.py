"""The one mapping from severity to colour, shared by every widget.

Each theme (widgets/theme.py) has its own set: each colour keeps a contrast of at least 4.5:1 as text on
that theme's window and table backgrounds, so a state word reads as well as the text around it. The
theme in use picks the set `severity_color` answers from; `SEVERITY_COLORS` are the dark (and bright) ones.
"""

from __future__ import annotations

from PySide6.QtGui import QColor

SEVERITY_COLORS: dict[str, QColor] = {
    "ok": QColor("#3fb950"),
    "warn": QColor("#d29922"),
    "error": QColor("#f85149"),
    "idle": QColor("#8b949e"),
}

LIGHT_SEVERITY_COLORS: dict[str, QColor] = {
    "ok": QColor("#17692e"),
    "warn": QColor("#8a5a00"),
    "error": QColor("#b42318"),
    "idle": QColor("#55616d"),
}

_in_use: dict[str, QColor] = SEVERITY_COLORS

SEVERITY_WORDS: dict[str, str] = {
    "ok": "healthy",
    "warn": "needs attention soon",
    "error": "needs action",
    "idle": "not connected",
}


def severity_color(severity: str) -> QColor:
    return _in_use.get(severity, _in_use["idle"])


def use_severity_colors(colors: dict[str, QColor]) -> None:
    """The theme's set (the theme calls this when it is applied)."""
    global _in_use
    _in_use = colors
