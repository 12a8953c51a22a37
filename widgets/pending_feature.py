"""A compact marker for a feature that is not in this version yet, saying so plainly.

It sits in the status strip, so it is one line: the fact as a badge, a short note beside it, and the
whole explanation as its tooltip. It must stay honest without taking room from the market.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget


class PendingFeature(QWidget):
    """`heading` as a badge, `note` beside it, `explanation` when the trader hovers either."""

    def __init__(
        self, heading: str, note: str, explanation: str, parent: QWidget | None = None, object_name: str = ""
    ) -> None:
        super().__init__(parent)
        self.heading = QLabel(heading, self)
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        if object_name:
            self.heading.setObjectName(object_name)
        self.note = QLabel(note, self)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.setProperty("role", "muted")
        self.explanation = explanation
        self.setToolTip(explanation)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.heading)
        layout.addWidget(self.note)


def trading_mode_pending(parent: QWidget | None = None) -> PendingFeature:
    return PendingFeature(
        "Trading mode: SHADOW",
        "LIVE not available yet",
        "This version sends no orders to any broker. The typed-confirm switch between SHADOW "
        "(record and simulate) and LIVE (real orders) is not available yet.",
        parent,
        object_name="tradingModeBadge",
    )
