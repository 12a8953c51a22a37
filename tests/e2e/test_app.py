"""The real application, started as a user starts it, with the sandbox as its child process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from brokers.sandbox.endpoints import read_endpoints
from tests.conftest import IBKR_PAPER_TOML, REPO_ROOT, run_cli
from tests.waiting import until

pytestmark = [pytest.mark.e2e, pytest.mark.secretservice]

PROFILES = f"""\
{IBKR_PAPER_TOML}
[profiles.broken]
kind = "schwab"
app_key = "k"
"""


def sandbox_processes(endpoints_file: Path) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if str(endpoints_file).encode() in cmdline:
                found.append(int(proc.name))
    return found


def test_window_opens_against_the_sandbox_and_shuts_it_down(home, vault, tmp_path):
    home.config_dir.mkdir(parents=True)
    home.profiles_file.write_text(PROFILES)
    vault.put("ibkr-paper", "token-set", b"lst-secret-8bV6bL0Un9bhB2qvu2yD5bIvq3Fc")
    shot = tmp_path / "window.png"

    result = run_cli("--sandbox", "--screenshot", str(shot), env={"QT_QPA_PLATFORM": "offscreen"}, timeout=120)

    assert result.returncode == 0, result.stderr
    image = QImage(str(shot))
    assert (image.width(), image.height()) == (1440, 860)
    assert len({image.pixel(x, y) for x in range(0, 1440, 16) for y in range(0, 860, 16)}) > 10
    log = (home.log_dir / "brokerdeck.log").read_text()
    assert "Main window open (sandbox=True)" in log
    assert "(the market has shown data for" in log  # the picture is of the trader's working state
    assert "Main window closed" in log
    assert "8bV6bL0Un9bhB2qvu2yD5bIvq3Fc" not in log
    assert not home.sandbox_endpoints_file.exists()
    assert sandbox_processes(home.sandbox_endpoints_file) == []
    assert (home.config_dir / "ui.ini").exists()  # the layout was saved on close
    assert os.stat(home.vault_dir / "ibkr-paper.token-set.blob").st_mode & 0o077 == 0


def test_a_killed_window_leaves_no_sandbox_behind(home, vault):
    """SIGKILL gives the app no chance to stop its child; the sandbox notices its parent is gone."""
    app = subprocess.Popen(
        [sys.executable, "-m", "app", "--sandbox"],
        cwd=REPO_ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    until(lambda: sandbox_processes(home.sandbox_endpoints_file), 60, message="the app to start its sandbox")
    until(
        lambda: read_endpoints(home.sandbox_endpoints_file) is not None,
        60,
        message="the sandbox to announce itself in its endpoints file",
    )
    app.send_signal(signal.SIGKILL)
    app.wait()
    until(
        lambda: not sandbox_processes(home.sandbox_endpoints_file),
        30,
        interval=0.2,
        message="the sandbox to stop after its app was killed",
    )
    assert not home.sandbox_endpoints_file.exists()  # it stopped cleanly, removing its file
