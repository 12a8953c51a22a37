"""Run the broker sandbox as a child process of the GUI (`brokerdeck --sandbox`, `make run`).

A separate process keeps the emulators' work off the UI loop. The child announces itself through
its endpoints file; the GUI waits for a file that names the child's pid.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

from brokers.sandbox.endpoints import SandboxEndpoints, read_endpoints


class SandboxStartError(RuntimeError):
    pass


class SandboxProcess:
    def __init__(self, endpoints_file: Path, log_file: Path, seed: int = 1) -> None:
        self.endpoints_file = endpoints_file
        self.log_file = log_file
        self.seed = seed
        self._process: subprocess.Popen[bytes] | None = None

    async def start(self, timeout: float = 30.0) -> SandboxEndpoints:
        command = [sys.executable, "-m", "brokers.sandbox", "--seed", str(self.seed)]
        command += ["--endpoints-file", str(self.endpoints_file), "--exit-with-parent", str(os.getpid())]
        self.log_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self.log_file.open("ab") as output:  # the child's output goes to a file, never a full pipe
            self._process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            endpoints = read_endpoints(self.endpoints_file)
            if endpoints is not None and endpoints.pid == self._process.pid:
                return endpoints
            if self._process.poll() is not None:
                output = self.log_file.read_text(errors="replace").strip()[-2000:]
                raise SandboxStartError(
                    f"The sandbox exited with code {self._process.returncode} before it was ready "
                    f"(its output is in {self.log_file}):\n{output}"
                )
            await asyncio.sleep(0.05)
        await self.stop()
        raise SandboxStartError(f"The sandbox did not announce itself within {timeout:.0f} s.")

    async def stop(self, grace: float = 5.0) -> None:
        """Ask the sandbox to shut down (SIGTERM); kill it if it has not stopped after `grace` s."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        deadline = time.monotonic() + grace
        while process.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        if process.poll() is None:
            process.kill()
            process.wait()
