"""A real sandbox process (`python -m brokers.sandbox`) for tests and the benchmark."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from brokers.sandbox.endpoints import SandboxEndpoints, read_endpoints
from tests.waiting import until

REPO_ROOT = Path(__file__).resolve().parent.parent


class SandboxRunner:
    """Starts the sandbox and waits until its endpoints file names it; `close()` stops it (SIGTERM)."""

    def __init__(self, endpoints_file: Path | None = None, timeout: float = 30.0, *, instruments: int = 4) -> None:
        self._scratch = None if endpoints_file else tempfile.TemporaryDirectory(prefix="brokerdeck-sandbox-")
        self.endpoints_file = endpoints_file or Path(self._scratch.name) / "endpoints.json"
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "brokers.sandbox", "--endpoints-file", str(self.endpoints_file)),
                *("--instruments", str(instruments)),
            ],
            cwd=REPO_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            endpoints = until(self._announced, timeout, message="the sandbox to write its endpoints file")
        except BaseException:
            self.close()
            raise
        self.endpoints: SandboxEndpoints = endpoints

    def _announced(self) -> SandboxEndpoints | None:
        """The endpoints this process wrote, once it has; its exit before that ends the wait."""
        if (code := self.process.poll()) is not None:
            raise RuntimeError(f"the sandbox did not start: it exited with status {code}")
        endpoints = read_endpoints(self.endpoints_file)
        return endpoints if endpoints is not None and endpoints.pid == self.process.pid else None

    @property
    def services(self) -> dict[str, str]:
        return self.endpoints.services

    def configure_stream(self, **settings: float) -> None:
        """Change the IBKR stream's rate, heartbeat interval and limits (sandbox-only control)."""
        httpx.post(f"{self.services['ibkr']}/sandbox/ibkr/stream", json=settings, timeout=10).raise_for_status()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        if self._scratch is not None:
            self._scratch.cleanup()
