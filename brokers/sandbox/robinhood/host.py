"""The SDK's Streamable HTTP session manager, run so that a test can restart it.

A manager runs once: its `run()` holds the task group of every MCP session. Here it runs in a task of its
own, so `restart` can end every session (the next request with an old session id gets 404 "Session not
found", as after a server restart) and switch between stateful and stateless mode.
"""

from __future__ import annotations

import asyncio
from typing import Any

from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from starlette.types import Receive, Scope, Send


class SessionHost:
    """Serves MCP requests with the current manager; `start`, `restart`, `stop`."""

    def __init__(self, server: Any) -> None:
        self._server = server
        self._manager: StreamableHTTPSessionManager | None = None
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._lock = asyncio.Lock()
        self.stateless = False
        self.restarts = 0

    async def start(self) -> None:
        async with self._lock:
            if self._task is None:
                await self._start()

    async def _start(self) -> None:
        manager = StreamableHTTPSessionManager(app=self._server, stateless=self.stateless, json_response=False)
        ready = asyncio.Event()
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self._run(manager, ready, self._stop), name="sandbox-robinhood-mcp")
        await ready.wait()
        self._manager = manager

    async def stop(self) -> None:
        async with self._lock:
            await self._stop_running()

    async def _stop_running(self) -> None:
        task, self._task, self._manager = self._task, None, None
        if task is not None:
            self._stop.set()
            await task

    async def restart(self, *, stateless: bool | None = None) -> None:
        """End every session (a server restart); `stateless` switches the mode for the new manager."""
        async with self._lock:
            await self._stop_running()
            if stateless is not None:
                self.stateless = stateless
            self.restarts += 1
            await self._start()

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        manager = self._manager
        if manager is None:
            await self.start()
            manager = self._manager
        if manager is None:
            raise RuntimeError("the MCP session manager did not start")
        await manager.handle_request(scope, receive, send)

    @staticmethod
    async def _run(manager: StreamableHTTPSessionManager, ready: asyncio.Event, stop: asyncio.Event) -> None:
        async with manager.run():
            ready.set()
            await stop.wait()
