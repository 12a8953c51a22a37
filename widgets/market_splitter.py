"""The ladder, the chart and the tape side by side, sharing the width by rule rather than by history.

A plain QSplitter hands every pixel of a resize to its stretch factors, so which pane grows depends on
the sizes the window went through. Here each side pane gets a share of the width, never less than its
text needs nor more than twice that, and the chart the rest: on a laptop the sides keep their natural
width and the chart takes everything, on a 2560 px screen the ladder and the tape widen too. Moving a
handle sets the shares, without that cap, so the trader's split survives the next resize.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QSplitter, QWidget

SIDE_SHARES = (0.15, 0.14)  # of the width: the ladder's and the tape's, once more than their natural width
SIDE_GROWTH = 2.0  # a side pane grows to at most this many times its natural width; the chart gets the rest


class MarketSplitter(QSplitter):
    """Left side pane, centre pane, right side pane; the centre takes what the sides leave."""

    def __init__(self, left: QWidget, centre: QWidget, right: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setChildrenCollapsible(False)
        for widget in (left, centre, right):
            self.addWidget(widget)
        self.left, self.right = left, right
        self.shares = SIDE_SHARES
        self.moved = False  # the trader moved a handle: their shares hold without the SIDE_GROWTH cap
        self.splitterMoved.connect(self._remember_shares)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.share_width()

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        if event.type() == QEvent.Type.LayoutRequest:  # a pane's text grew: its natural width did too
            self.share_width()
        return handled

    def share_width(self) -> None:
        """Give each side its share of the width: at least its natural width, at most SIDE_GROWTH times it."""
        room = self.width() - self.handleWidth() * (self.count() - 1)
        growth = math.inf if self.moved else SIDE_GROWTH
        left, right = (
            round(min(max(share * room, natural), growth * natural))
            for share, natural in zip(self.shares, (self._natural(self.left), self._natural(self.right)), strict=True)
        )
        self.setSizes([left, room - left - right, right])

    @staticmethod
    def _natural(widget: QWidget) -> int:
        return max(widget.sizeHint().width(), widget.minimumSizeHint().width())

    def _remember_shares(self, _pos: int, _index: int) -> None:
        left, centre, right = self.sizes()
        room = left + centre + right
        if room > 0:
            self.shares = (left / room, right / room)
            self.moved = True
