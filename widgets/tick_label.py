"""Labels whose text changes at tick rate without making the window lay itself out again.

A QLabel asks its parents for a new layout on every `setText`: at 60 renders a second that is the
main window's whole layout (its docks included) and a repaint of everything under it, many times the
cost of the few characters that changed. These labels repaint only themselves, and ask for a layout
only when their text grows wider than it has ever been (so the strip settles after a few ticks).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class TickLabel(QLabel):
    """One line of plain text, drawn by itself; its size hint only ever grows."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._widest = 0

    def setText(self, text: str) -> None:  # plain text only
        if text == self._text:
            return
        self._text = text
        width = self.fontMetrics().horizontalAdvance(text)
        if width > self._widest:
            self._widest = width
            self.updateGeometry()
        self.update()

    def text(self) -> str:
        return self._text

    def sizeHint(self) -> QSize:
        margins = self.contentsMargins()
        extra = 2 * self.margin()
        return QSize(
            self._widest + margins.left() + margins.right() + extra,
            self.fontMetrics().height() + margins.top() + margins.bottom() + extra,
        )

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def shown_text(self) -> str:
        """The text as painted."""
        return self._text

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(self.contentsRect(), int(self.alignment() | Qt.AlignmentFlag.AlignVCenter), self.shown_text())
        painter.end()


class ElidedLabel(TickLabel):
    """A one-line label that shortens its text with "…" instead of widening a narrow dock."""

    def __init__(
        self, parent: QWidget | None = None, alignment: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignRight
    ) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setAlignment(alignment | Qt.AlignmentFlag.AlignVCenter)

    def setText(self, text: str) -> None:
        if text != self._text:
            self._text = text  # the layout ignores its width: never a new layout
            self.update()

    def shown_text(self) -> str:
        """The text as painted: shortened with "…" when it does not fit."""
        return self.fontMetrics().elidedText(self._text, Qt.TextElideMode.ElideRight, self.contentsRect().width())
