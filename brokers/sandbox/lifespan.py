"""Run the lifespans of every service app under the one uvicorn server that dispatches to them.

A service that holds background work (the Robinhood MCP server's session manager) starts it at startup and
ends it at shutdown, so nothing is left running when the sandbox stops.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from starlette.applications import Starlette
from starlette.types import Receive, Send


async def run_lifespans(apps: Iterable[Starlette], receive: Receive, send: Send) -> None:
    """Answer uvicorn's lifespan protocol by entering every app's lifespan, and leaving them at shutdown."""
    await receive()  # lifespan.startup
    async with contextlib.AsyncExitStack() as stack:
        try:
            for app in apps:
                await stack.enter_async_context(app.router.lifespan_context(app))
        except Exception as exc:
            await send({"type": "lifespan.startup.failed", "message": str(exc)})
            return
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown
    await send({"type": "lifespan.shutdown.complete"})
