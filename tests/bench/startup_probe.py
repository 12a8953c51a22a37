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
        """Watches the whole application until the main window's first event, then that window alone.

        An application-wide Python filter wraps every object that gets an event; the first object of a class
        PySide6 does not know (a combo box's popup, a scroll area's viewport) makes it build the enums of
        every Qt class, tens of milliseconds that neither window pays without a probe.
        """

        def __init__(self, app: QApplication) -> None:
            super().__init__(app)  # the application keeps it
            self.app: QApplication | None = app
            app.installEventFilter(self)

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if not isinstance(watched, QMainWindow):
                return False
            if event.type() == QEvent.Type.Paint:
                print(f"{time.time() - T0:.4f}", flush=True)
                os._exit(0)
            if self.app is not None:
                self.app.removeEventFilter(self)
                self.app = None
                watched.installEventFilter(self)
            return False

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    FirstPaint(app)
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
