"""A dock body for an area whose feature is not in this version yet, saying so plainly."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class PendingFeature(QWidget):
    """Shows a heading, what the area will do, and that it cannot do it yet."""

    def __init__(self, heading: str, explanation: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = QLabel(f"<b>{heading}</b>", self)
        self.explanation = QLabel(explanation, self)
        self.explanation.setWordWrap(True)
        self.explanation.setProperty("role", "muted")
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.explanation)
        layout.addStretch(1)
        layout.setAlignment(Qt.AlignmentFlag.AlignTop)


def trading_mode_pending(parent: QWidget | None = None) -> PendingFeature:
    return PendingFeature(
        "Trading mode: SHADOW",
        "This version cannot send orders to any broker. The typed-confirm switch between SHADOW "
        "(record and simulate) and LIVE (real orders) is not available yet.",
        parent,
    )
