"""A loopback catcher for tests: an HTTP server on 127.0.0.1 that answers 200 "ok" and records every request.

It stands in for the app's OAuth redirect listener where a test only needs the browser to land somewhere and
wants to read what was delivered (code, state, iss). It runs in its own thread, so it keeps answering while
the test's main thread blocks. The `loopback_catcher` fixture gives each test its own.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self
from urllib.parse import parse_qs, urlsplit

import pytest


class LoopbackCatcher:
    """`with LoopbackCatcher() as catcher:` serves http://127.0.0.1:<port>/ until the block ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._paths: list[str] = []
        catcher = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                catcher._record(self.path)
                body = b"ok"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                # Request lines carry authorization codes: never print them.
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="loopback-catcher", daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        """The absolute URL of `path` (which starts with "/") on this catcher."""
        return f"{self.base_url}{path}"

    @property
    def paths(self) -> list[str]:
        """Every request path so far, in arrival order, with its query string (the browser's favicon too)."""
        with self._lock:
            return list(self._paths)

    def wait_for(self, path: str, timeout: float = 30.0) -> str:
        """The first recorded request whose path (without the query) is `path`; waits for it up to `timeout` s."""

        def first() -> str | None:
            return next((p for p in self._paths if urlsplit(p).path == path), None)

        with self._arrived:
            if not self._arrived.wait_for(lambda: first() is not None, timeout):
                raise TimeoutError(f"no request for {path} reached the loopback catcher within {timeout} s")
            found = first()
            assert found is not None
            return found

    def query(self, path: str, timeout: float = 30.0) -> dict[str, str]:
        """The query parameters of the first request for `path`, one value each."""
        values = parse_qs(urlsplit(self.wait_for(path, timeout)).query, keep_blank_values=True)
        return {name: items[0] for name, items in values.items()}

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _record(self, path: str) -> None:
        with self._arrived:
            self._paths.append(path)
            self._arrived.notify_all()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


@pytest.fixture
def loopback_catcher() -> Iterator[LoopbackCatcher]:
    """An HTTP server on 127.0.0.1:<random port> that answers 200 "ok" and records every request path."""
    with LoopbackCatcher() as catcher:
        yield catcher
