"""panva's oidc-provider, a real third-party OAuth 2.0 authorization server, as a peer for tests.

`make test` installs its node_modules (npm ci from tests/peers/oidc_provider/package-lock.json). The server
itself is tests/peers/oidc_provider/server.mjs; its header says what a client can do there (DCR, PKCE S256,
RFC 8707 resource, refresh rotation, devInteractions login and consent).

    with OidcProviderPeer() as peer:
        peer.issuer      # "http://127.0.0.1:<port>"
        peer.resource    # "http://127.0.0.1:<port>/api"

or the `oidc_provider` fixture (tests/peers/conftest.py re-exports it; another conftest can import it too).
"""

from __future__ import annotations

import json
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, NoReturn, Self

import pytest

PEER_DIR = Path(__file__).resolve().parent / "oidc_provider"
SERVER = PEER_DIR / "server.mjs"
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


class OidcProviderPeerError(RuntimeError):
    """The peer could not be started (missing Node or node_modules, or the server failed)."""


class OidcProviderPeer:
    """Runs `node server.mjs 0` in tests/peers/oidc_provider until `stop()` (SIGTERM, then SIGKILL)."""

    def __init__(self, startup_timeout: float = STARTUP_TIMEOUT, extra_resource: str = "") -> None:
        """`extra_resource`: one more protected resource (another process's URL) whose access tokens are JWTs."""
        self._startup_timeout = startup_timeout
        self._extra_resource = extra_resource
        self._process: subprocess.Popen[str] | None = None
        self._stderr: IO[str] | None = None
        self._reader: threading.Thread | None = None
        self._issuer: str | None = None
        self._resource: str | None = None

    @property
    def issuer(self) -> str:
        """The issuer identifier, "http://127.0.0.1:<port>" (no trailing slash)."""
        if self._issuer is None:
            raise OidcProviderPeerError("the oidc-provider peer is not running")
        return self._issuer

    @property
    def resource(self) -> str:
        """The one protected API's resource indicator (RFC 8707), "<issuer>/api"."""
        if self._resource is None:
            raise OidcProviderPeerError("the oidc-provider peer is not running")
        return self._resource

    @property
    def metadata_url(self) -> str:
        """RFC 8414 authorization server metadata."""
        return f"{self.issuer}/.well-known/oauth-authorization-server"

    def start(self) -> Self:
        if self._process is not None:
            raise OidcProviderPeerError("the oidc-provider peer is already running")
        node = shutil.which("node")
        if node is None:
            raise OidcProviderPeerError("Node.js (`node`) is not on PATH: run `make test`, which installs it")
        if not (PEER_DIR / "node_modules" / "oidc-provider" / "package.json").is_file():
            raise OidcProviderPeerError(
                f"{PEER_DIR / 'node_modules'} is missing: run `make test`, which installs it (npm ci)"
            )
        # Open for the life of the server (stop() closes it); read only to explain a failed start.
        self._stderr = tempfile.TemporaryFile(  # noqa: SIM115
            mode="w+", encoding="utf-8", prefix="brokerdeck-oidc-provider-"
        )
        self._process = subprocess.Popen(
            [node, SERVER.name, "0", *([self._extra_resource] if self._extra_resource else [])],
            cwd=PEER_DIR,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            encoding="utf-8",
        )
        lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(
            target=_read_lines, args=(self._process.stdout, lines), name="oidc-provider-stdout", daemon=True
        )
        self._reader.start()
        try:
            line = lines.get(timeout=self._startup_timeout)
        except queue.Empty:
            self._fail(f"the oidc-provider peer printed nothing within {self._startup_timeout:g} s")
        if line is None:
            self._process.wait(timeout=STOP_TIMEOUT)
            self._fail(f"the oidc-provider peer exited with status {self._process.returncode} before it was ready")
        try:
            announced = json.loads(line)
            self._issuer = str(announced["issuer"])
            self._resource = str(announced["resource"])
        except (ValueError, KeyError, TypeError):
            self._fail(f"the oidc-provider peer's first line is not its announcement: {line[:200]!r}")
        return self

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it is still running after a few seconds. Safe to call twice."""
        process, self._process = self._process, None
        self._issuer = self._resource = None
        if process is not None:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            if self._reader is not None:
                self._reader.join()
            if process.stdout is not None:
                process.stdout.close()
        self._reader = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def stderr_tail(self, lines: int = 20) -> str:
        """The last lines the server wrote to stderr (oidc-provider's warnings, Node's errors)."""
        if self._stderr is None:
            return ""
        self._stderr.flush()
        self._stderr.seek(0)
        return "\n".join(self._stderr.read().splitlines()[-lines:])

    def _fail(self, message: str) -> NoReturn:
        tail = self.stderr_tail()
        self.stop()
        raise OidcProviderPeerError(f"{message}\n--- stderr ---\n{tail}" if tail else message)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _read_lines(stream: IO[str] | None, lines: queue.Queue[str | None]) -> None:
    """Hand over stdout line by line until EOF (None), so the pipe never fills up."""
    if stream is None:
        lines.put(None)
        return
    for line in stream:
        lines.put(line.strip())
    lines.put(None)


@pytest.fixture
def oidc_provider() -> Iterator[OidcProviderPeer]:
    """A fresh oidc-provider peer for one test (it starts in well under a second)."""
    with OidcProviderPeer() as peer:
        yield peer
