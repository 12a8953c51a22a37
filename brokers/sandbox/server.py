"""Serve every emulator on its own 127.0.0.1 port from one uvicorn server in the caller's loop.

Real brokers live on different hosts, so each emulator gets its own origin: clients must not get
away with a relative URL or a shared cookie jar that the real deployment would break. One uvicorn
server listens on all the sockets and a dispatcher picks the service by the local port.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import socket
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from email.utils import formatdate
from pathlib import Path
from types import TracebackType

import uvicorn
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.types import Message, Receive, Scope, Send

from brokers.sandbox.control import ControlService
from brokers.sandbox.endpoints import SandboxEndpoints, write_endpoints
from brokers.sandbox.ibkr.gateway import IbkrEmulator
from brokers.sandbox.lifespan import run_lifespans
from brokers.sandbox.market import DEFAULT_INSTRUMENTS, SyntheticMarket, market_instruments
from brokers.sandbox.oauth2.resource import ProtectedResourceEmulator
from brokers.sandbox.oauth2.server import OAuthServerEmulator
from brokers.sandbox.robinhood.service import RobinhoodEmulator
from brokers.sandbox.schwab.server import SchwabEmulator
from brokers.sandbox.services import Emulator, SandboxContext

# Apps are built in this order: the OAuth server publishes its token authority in the context's
# `shared` before the protected resource, which checks bearer tokens against it, is built.
EMULATORS: tuple[Emulator, ...] = (
    ControlService(),
    IbkrEmulator(),
    OAuthServerEmulator(),
    ProtectedResourceEmulator(),
    SchwabEmulator(),
    RobinhoodEmulator(),
)

_STARTUP_TIMEOUT_S = 15.0


class _PortDispatcher:
    """ASGI app that hands each connection to the service listening on its local port."""

    def __init__(self, apps: dict[int, Starlette]) -> None:
        self._apps = apps

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await run_lifespans(self._apps.values(), receive, send)
            return
        port = (scope.get("server") or (None, None))[1]
        app = self._apps.get(port) if isinstance(port, int) else None
        if app is None:
            await PlainTextResponse("no sandbox service on this port", status_code=404)(scope, receive, send)
            return
        if scope["type"] == "http":
            send = _dated(send)
        await app(scope, receive, send)


def _dated(send: Send) -> Send:
    """`send` that stamps each response with the current `Date`, as a broker's servers do; uvicorn's own
    header is refreshed only about once a second, which a client reading the server's clock would take for
    a second of drift."""

    async def dated(message: Message) -> None:
        if message["type"] == "http.response.start":
            stamp = formatdate(usegmt=True).encode("latin-1")
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"date"]
            message = {**message, "headers": [*headers, (b"date", stamp)]}
        await send(message)

    return dated


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to whoever embeds it.

    Stock uvicorn takes over SIGINT/SIGTERM while serving and re-raises them afterwards; inside the
    GUI's loop or a test run that would steal the host's Ctrl-C. `SandboxServer.request_stop` is
    the way to stop it instead.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class SandboxServer:
    """The sandbox: `async with SandboxServer(seed=7) as sb:` serves until the block ends."""

    def __init__(
        self,
        seed: int = 1,
        *,
        endpoints_path: Path | None = None,
        host: str = "127.0.0.1",
        emulators: Sequence[Emulator] = EMULATORS,
        instruments: int = len(DEFAULT_INSTRUMENTS),
    ) -> None:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = None
        if address is None or not address.is_loopback:
            raise ValueError(
                f"the sandbox only listens on a loopback address such as 127.0.0.1, not {host!r}: "
                "its emulators accept test credentials and must not be reachable from the network"
            )
        names = [e.name for e in emulators]
        if len(set(names)) != len(names):
            raise ValueError(f"emulator names must be unique, got {names}")
        self.seed = seed
        self.instruments = market_instruments(instruments)  # how many the market trades (see market.py)
        self.endpoints_path = endpoints_path
        self._address = address
        self._emulators = tuple(emulators)
        self._server: _EmbeddedServer | None = None
        self._task: asyncio.Task[None] | None = None
        self._endpoints: SandboxEndpoints | None = None
        self._stop_requested = False

    @property
    def endpoints(self) -> SandboxEndpoints:
        if self._endpoints is None:
            raise RuntimeError("the sandbox is not running")
        return self._endpoints

    async def start(self) -> SandboxEndpoints:
        """Bind a port per service, start serving, and publish the endpoints file if one was given."""
        if self._task is not None:
            raise RuntimeError("the sandbox is already started")
        sockets: list[socket.socket] = []
        try:
            sockets.extend(self._bind() for _ in self._emulators)
            self._endpoints = await self._serve(sockets)
        except BaseException:
            await self._abort_start(sockets)
            raise
        return self._endpoints

    async def _serve(self, sockets: list[socket.socket]) -> SandboxEndpoints:
        pairs = list(zip(self._emulators, sockets, strict=True))
        urls = {e.name: self._url(s) for e, s in pairs}
        context = SandboxContext(seed=self.seed, market=SyntheticMarket(self.seed, self.instruments), services=urls)
        apps = {s.getsockname()[1]: e.build_app(context) for e, s in pairs}
        config = uvicorn.Config(
            _PortDispatcher(apps),
            log_config=None,
            access_log=False,
            lifespan="on",
            # Forwarded headers could change the scheme an emulator sees; nothing proxies the sandbox.
            proxy_headers=False,
            timeout_graceful_shutdown=5,
            date_header=False,  # `_dated` stamps a current one
        )
        self._server = _EmbeddedServer(config)
        self._server.should_exit = self._stop_requested
        self._task = asyncio.create_task(self._server.serve(sockets=sockets), name="brokerdeck-sandbox")
        await self._wait_started(self._server, self._task)
        endpoints = SandboxEndpoints(
            pid=os.getpid(),
            seed=self.seed,
            started_at=datetime.now(UTC).isoformat(timespec="seconds"),
            services=urls,
            profiles=tuple(t for e in self._emulators for t in e.profiles(urls)),
        )
        if self.endpoints_path is not None:
            write_endpoints(self.endpoints_path, endpoints)
        return endpoints

    async def _abort_start(self, sockets: list[socket.socket]) -> None:
        """Undo a failed start without masking its error: stop the server, free every port."""
        self.request_stop()
        if self._task is not None:
            await asyncio.wait([self._task])
        for sock in sockets:
            sock.close()
        self._task = self._server = self._endpoints = None
        self._stop_requested = False

    def request_stop(self) -> None:
        """Ask the server to shut down (safe from a signal handler); a second request forces it."""
        if self._stop_requested and self._server is not None:
            self._server.force_exit = True
        self._stop_requested = True
        if self._server is not None:
            self._server.should_exit = True

    async def wait_stopped(self) -> None:
        """Return once the server has stopped serving, e.g. after `request_stop`."""
        if self._task is not None:
            await asyncio.shield(self._task)

    async def stop(self) -> None:
        """Shut down, then remove the endpoints file unless another sandbox has replaced it."""
        self.request_stop()
        try:
            await self.wait_stopped()
        finally:
            self._remove_endpoints_file()
            self._task = self._server = self._endpoints = None
            self._stop_requested = False

    async def __aenter__(self) -> SandboxServer:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    @staticmethod
    async def _wait_started(server: uvicorn.Server, task: asyncio.Task[None]) -> None:
        async with asyncio.timeout(_STARTUP_TIMEOUT_S):
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("the sandbox server stopped before it started serving")
                await asyncio.sleep(0.01)

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if self._address.version == 6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.bind((str(self._address), 0))
        except BaseException:
            sock.close()
            raise
        return sock

    @staticmethod
    def _url(sock: socket.socket) -> str:
        host, port = sock.getsockname()[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def _remove_endpoints_file(self) -> None:
        if self.endpoints_path is None or self._endpoints is None:
            return
        try:
            current = SandboxEndpoints.from_json(self.endpoints_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            return
        if current == self._endpoints:
            self.endpoints_path.unlink(missing_ok=True)
