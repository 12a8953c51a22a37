"""The one mapping from severity to colour, shared by every widget."""

from __future__ import annotations

from PySide6.QtGui import QColor

SEVERITY_COLORS: dict[str, QColor] = {
    "ok": QColor("#2e9d57"),
    "warn": QColor("#d48a00"),
    "error": QColor("#d0342c"),
    "idle": QColor("#7d8590"),
}

SEVERITY_WORDS: dict[str, str] = {
    "ok": "healthy",
    "warn": "needs attention soon",
    "error": "needs action",
    "idle": "not connected",
}


def severity_color(severity: str) -> QColor:
    return SEVERITY_COLORS.get(severity, SEVERITY_COLORS["idle"])
