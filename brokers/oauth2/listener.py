"""The loopback listener that receives the browser's redirect (RFC 8252 §7.3).

It binds a loopback address only, answers one path (the profile's callback), and lives only while a
login is pending. What it serves is a fixed page with the outcome, HTML-escaped; it never redirects,
so nothing in a query string can send the browser elsewhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import ssl
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)

#: how long one browser connection may take to send its request
READ_TIMEOUT_S = 10.0
MAX_REQUEST_BYTES = 16_384

#: gets the callback's query parameters; returns None when they were accepted, else what went wrong
CallbackHandler = Callable[[dict[str, str]], str | None]


class LoopbackListener:
    """`await start()` binds; every request to `path` goes to the handler; `close()` frees the port."""

    def __init__(
        self,
        path: str,
        handler: CallbackHandler,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.path = path
        self.host = host
        self.tls = tls
        self._handler = handler
        self._requested_port = port
        self._server: asyncio.Server | None = None
        self.port = 0

    @property
    def redirect_uri(self) -> str:
        scheme = "https" if self.tls else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}{self.path}"

    @property
    def listening(self) -> bool:
        return self._server is not None and self._server.is_serving()

    async def start(self) -> int:
        """Bind and serve; OSError (e.g. the fixed port is taken) propagates with its errno."""
        self._server = await asyncio.start_server(
            self._serve, host=self.host, port=self._requested_port, ssl=self.tls, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def close(self) -> None:
        """Stop listening and let the page of a connection being answered finish."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5):
                    await server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(READ_TIMEOUT_S):
                head = await reader.readuntil(b"\r\n\r\n")
            status, title, message = self._answer(head)
            await _write_page(writer, status, title, message)
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ssl.SSLError):
            pass  # a half-open or probing connection; the login keeps waiting
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, ssl.SSLError):
                await writer.wait_closed()

    def _answer(self, head: bytes) -> tuple[int, str, str]:
        if len(head) > MAX_REQUEST_BYTES:
            return 431, "Request too large", "This request was not understood."
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = request_line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            return 400, "Bad request", "This request was not understood."
        method, target = parts[0], parts[1]
        url = urlsplit(target)
        if url.path != self.path:
            return 404, "Not found", "Nothing is served here."
        if method != "GET":
            return 405, "Not allowed", "Only the browser's redirect is accepted here."
        raw = parse_qs(url.query, keep_blank_values=True)
        if any(len(values) > 1 for values in raw.values()):
            problem: str | None = "the response repeats a parameter, which a genuine response never does"
        else:
            problem = self._handler({key: values[0] for key, values in raw.items()})
        if problem is None:
            return 200, "Brokerdeck is connected", "You can close this tab and return to Brokerdeck."
        log.info("loopback callback on %s refused: %s", self.path, problem)
        return 400, "Sign-in did not complete", f"{problem}. Return to Brokerdeck to try again."


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:36em;margin:4em auto;color:#222}}h1{{font-size:1.4em}}</style>
</head><body><h1>{title}</h1><p>{message}</p></body></html>
"""


async def _write_page(writer: asyncio.StreamWriter, status: int, title: str, message: str) -> None:
    body = _PAGE.format(title=html.escape(title), message=html.escape(message)).encode("utf-8")
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}.get(status, "Error")
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Content-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Cache-Control: no-store\r\n"
        "Referrer-Policy: no-referrer\r\n"
        "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "Connection: close\r\n\r\n"
    )
    writer.write(head.encode("ascii") + body)
    await writer.drain()
