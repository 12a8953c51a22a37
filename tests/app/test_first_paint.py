"""The main window paints before the parts it does not show and before the asyncio loop: checked by what is
loaded, never by a clock."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import REPO_ROOT

# The real entry point, stopped at the main window's first paint, printing which modules were loaded by then.
_PROBE = """
import os, sys
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QMainWindow

class FirstPaint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and isinstance(watched, QMainWindow):
            docks = [dock.widget() is None for dock in watched.docks.values()]
            print(" ".join(sorted(sys.modules)), "|", all(docks), flush=True)
            os._exit(0)
        return False

app = QApplication(sys.argv[:1])
watcher = FirstPaint()
app.installEventFilter(watcher)
from app.cli import main
main([])
"""

NOT_FOR_THE_FIRST_PAINT = (
    "asyncio",
    "qasync",
    "pyqtgraph",
    "numpy",
    "httpx",
    "cryptography",
    "keyring",
    "websockets",
    "brokers.registry",
    "brokers.vault",
    "app.status_controller",
    "app.account_cli",
    "widgets.connection_panel",
    "widgets.tick_chart",
)


def test_the_window_paints_before_asyncio_the_connectors_the_chart_and_the_hidden_docks_load(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", _PROBE],
        capture_output=True,
        text=True,
        env={**os.environ, "BROKERDECK_HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"},
        cwd=REPO_ROOT,
        timeout=120,
        check=True,
    )
    modules, docks_empty = result.stdout.strip().splitlines()[-1].split(" | ")
    loaded = set(modules.split())
    assert "widgets.main_window" in loaded  # the probe saw our window, not another
    assert [name for name in NOT_FOR_THE_FIRST_PAINT if name in loaded] == []
    assert docks_empty == "True"
