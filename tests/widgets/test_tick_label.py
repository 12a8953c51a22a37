"""Labels that change at tick rate ask for a new layout only when their text grows wider than ever before."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from widgets.tick_label import ElidedLabel, TickLabel


class LayoutRequests(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:
            self.count += 1
        return False


def _strip(qtbot, label: QLabel, *, fills: bool = False) -> tuple[QWidget, LayoutRequests]:
    """`label` in a strip, at its own width or (`fills`) taking all the strip's width."""
    strip = QWidget()
    qtbot.addWidget(strip)
    layout = QHBoxLayout(strip)
    layout.addWidget(label, 1 if fills else 0)
    if not fills:
        layout.addStretch(1)
    strip.show()
    qtbot.waitExposed(strip)
    requests = LayoutRequests()
    strip.installEventFilter(requests)
    return strip, requests


def _settle(qtbot) -> None:
    qtbot.wait(20)  # posted layout requests are delivered by the event loop


def test_a_tick_label_repaints_itself_and_lays_out_only_when_it_grows(qtbot):
    label = TickLabel()
    _, requests = _strip(qtbot, label)
    label.setText("bid 189.56 × 200")
    _settle(qtbot)
    grew = requests.count
    assert grew >= 1  # first text: wider than ever, so the strip makes room
    assert label.width() >= label.fontMetrics().horizontalAdvance("bid 189.56 × 200")
    for text in ("bid 189.57 × 100", "bid 189.5 × 1", "bid 189.58 × 300"):
        label.setText(text)
        _settle(qtbot)
    assert requests.count == grew  # narrower or as wide: no new layout
    assert label.text() == "bid 189.58 × 300"
    label.setText("bid 1,189.58 × 12,300")
    _settle(qtbot)
    assert requests.count > grew
    assert label.width() >= label.fontMetrics().horizontalAdvance("bid 1,189.58 × 12,300")


def test_an_ordinary_label_would_lay_out_the_strip_on_every_change(qtbot):
    label = QLabel()
    _, requests = _strip(qtbot, label)
    for text in ("bid 189.57 × 100", "bid 189.5 × 1", "bid 189.58 × 300"):
        label.setText(text)
        _settle(qtbot)
    assert requests.count >= 3  # what TickLabel saves the window at 60 renders a second


def test_an_elided_label_never_asks_for_a_layout_and_shortens_what_does_not_fit(qtbot):
    label = ElidedLabel()
    strip, requests = _strip(qtbot, label, fills=True)
    strip.resize(120, 30)
    _settle(qtbot)
    before = requests.count
    label.setText("IBKR WebSocket: connected, 123,456 frames, 0 malformed, and more words than fit")
    _settle(qtbot)
    assert requests.count == before
    assert label.shown_text().endswith("…")
    assert label.text().startswith("IBKR WebSocket")
