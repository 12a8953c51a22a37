"""Coalescing: many changes in one loop turn become one signal, so the window renders once."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, SignalInstance


def emit_soon(parent: QObject, signal: SignalInstance) -> Callable[[], None]:
    """A trigger that emits `signal` on the next loop turn, once however often it is pulled before then."""
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(0)
    timer.timeout.connect(signal)
    return timer.start
