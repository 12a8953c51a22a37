"""A small Starlette peer on 127.0.0.1 for engine tests that need a server the sandbox does not play.

It runs under uvicorn in its own thread, so the engine under test talks to it over real HTTP while the
test's own loop is busy. The socket is bound before the app is built, so the app can know its address.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator

import uvicorn
from starlette.applications import Starlette

#: how long starting or stopping the peer may take before the test gives up (a hang guard)
START_GUARD_S = 30.0


@contextlib.contextmanager
def serving(build: Callable[[str], Starlette]) -> Iterator[str]:
    """Serve `build(base_url)` on a free loopback port until the block ends; yields the base URL."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{listener.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(build(base), log_level="warning", lifespan="off", ws="none"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, name="oauth-peer", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + START_GUARD_S
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.started, "the peer did not start"
        yield base
    finally:
        server.should_exit = True
        thread.join(START_GUARD_S)
        listener.close()
