"""A packaged Brokerdeck is one frozen binary with no `python -m`: its window starts the sandbox as
`brokerdeck sandbox`, the binary's own command. (`make package` proves it on the real frozen build.)"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from app.sandbox import SandboxProcess
from tests.conftest import run_async
from tests.sandbox_runner import REPO_ROOT


def stand_in_binary(folder: Path) -> Path:
    """An executable `brokerdeck` that is the app's entry point and nothing else, as the frozen binary is."""
    binary = folder / "brokerdeck"
    entry = f"cd {shlex.quote(str(REPO_ROOT))} && exec {shlex.quote(sys.executable)} -m app"
    binary.write_text(f'#!/bin/sh\n{entry} "$@"\n')
    binary.chmod(0o755)
    return binary


def test_a_frozen_app_runs_its_own_sandbox_command(home, tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(stand_in_binary(tmp_path)))
    sandbox = SandboxProcess(home.sandbox_endpoints_file, home.log_dir / "sandbox.log")

    async def start_then_stop() -> tuple[dict[str, str], list[bytes]]:
        endpoints = await sandbox.start()
        try:
            command_line = Path(f"/proc/{endpoints.pid}/cmdline").read_bytes().split(b"\0")
        finally:
            await sandbox.stop()
        return endpoints.services, command_line

    services, command_line = run_async(start_then_stop)

    assert services["ibkr"].startswith("http://127.0.0.1:")
    assert command_line[command_line.index(b"app") + 1] == b"sandbox"
    assert b"brokers.sandbox" not in command_line
    assert not home.sandbox_endpoints_file.exists()  # stopped cleanly
