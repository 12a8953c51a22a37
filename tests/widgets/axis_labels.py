"""What a pyqtgraph axis paints: the tests read labels as drawn, not as computed."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QImage, QPainter


def drawn_labels(axis: pg.AxisItem) -> list[str]:
    """The labels `axis` paints now for its current range and size: it drops any that would not fit."""
    image = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _, _, texts = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [text for _, _, text in texts]
