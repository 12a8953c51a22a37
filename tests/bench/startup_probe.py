"""Seconds from process start to the first painted window: the real Brokerdeck window, or a bare one.

Run by the benchmark as `python -m tests.bench.startup_probe app|bare` with BENCH_T0 set to the parent's
time.time() just before it started this process. Prints the seconds and exits at the first paint.
"""

from __future__ import annotations

import os
import sys
import time

T0 = float(os.environ["BENCH_T0"])


def main(kind: str) -> None:
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication, QMainWindow

    class FirstPaint(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and isinstance(watched, QMainWindow):
                print(f"{time.time() - T0:.4f}", flush=True)
                os._exit(0)
            return False

    app = QApplication.instance() or QApplication(sys.argv[:1])
    watcher = FirstPaint()
    app.installEventFilter(watcher)
    if kind == "bare":
        window = QMainWindow()
        window.resize(1280, 800)
        window.show()
        app.exec()
        return
    from app.cli import main as brokerdeck

    brokerdeck([])  # the real entry point: logging, context, style, window, qasync loop


if __name__ == "__main__":
    main(sys.argv[1])
