"""One window per installation: a second launch raises the first, a crash's socket does not block a restart."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDir

from app.single_instance import Claim, InstanceGuard, instance_name
from brokers.core.paths import Paths
from tests.sandbox_runner import REPO_ROOT
from widgets.main_window import MainWindow

EXIT_PATIENCE_MS = 60_000  # a second launch imports Qt and the CLI before it knocks


def launch_window_command(home: Paths) -> subprocess.Popen[str]:
    """`brokerdeck` with no command (the window), as a trader would start it a second time."""
    return subprocess.Popen(
        [sys.executable, "-m", "app"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        cwd=REPO_ROOT,
    )


@pytest.fixture
def guard(home: Paths, qapp: Any) -> Any:
    first = InstanceGuard(instance_name(home.config_dir))
    yield first
    first.release()


def test_a_second_window_launch_raises_the_first_and_exits_0(home: Paths, guard: InstanceGuard, qtbot: Any) -> None:
    assert guard.claim() is Claim.FIRST
    window = MainWindow()
    qtbot.addWidget(window)
    guard.activated.connect(window.bring_to_front)
    assert not window.isVisible()

    second = launch_window_command(home)
    with qtbot.waitSignal(guard.activated, timeout=EXIT_PATIENCE_MS):
        pass
    qtbot.waitUntil(lambda: second.poll() is not None, timeout=EXIT_PATIENCE_MS)
    out, err = second.communicate()

    assert second.returncode == 0, err
    assert out.strip() == Claim.RAISED.message
    assert window.isVisible()


def test_a_socket_left_by_a_crash_is_removed_and_the_new_launch_starts(home: Paths, qapp: Any) -> None:
    name = instance_name(home.config_dir)
    path = Path(QDir.tempPath()) / name
    crashed = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    crashed.bind(str(path))  # a listener that died without closing: the file stays, nobody accepts
    crashed.close()
    assert path.exists()

    guard = InstanceGuard(name)
    try:
        assert guard.claim() is Claim.FIRST
        assert guard.server.fullServerName() == str(path)
        assert InstanceGuard(name).claim() is Claim.RUNNING  # the same thread cannot answer: it is taken, silent
    finally:
        guard.release()
    assert not path.exists()


def test_each_installation_has_its_own_socket(tmp_path: Path) -> None:
    trader = instance_name(tmp_path / "trader" / "config")
    sandbox = instance_name(tmp_path / "sandbox" / "config")
    assert trader != sandbox
    assert instance_name(tmp_path / "trader" / "config") == trader
