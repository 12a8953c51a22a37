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
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)

#: how long one browser connection may take to send its request
READ_TIMEOUT_S = 10.0
MAX_REQUEST_BYTES = 16_384
#: how long `close()` lets a page already being written finish before it closes that connection too
ANSWER_GRACE_S = 5.0

#: gets the callback's query parameters; returns None when they were accepted, else what happened (a clause:
#: "access was denied on the broker's page"); the page adds, once, what to do
CallbackHandler = Callable[[dict[str, str]], str | None]

#: what the trader does after a refused redirect: the app shows the outcome and starts a new sign-in
AFTER_REFUSAL = "Close this tab and return to Brokerdeck to try again."


class LoopbackListener:
    """`await start()` binds; every request to `path` goes to the handler; `close()` frees the port.

    Every connection it accepts is its own until answered: `close()` ends those still waiting for a request
    (a browser's speculative preconnect sends none) and waits for all of them, so nothing outlives it.
    """

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
        self._closing = False
        #: every accepted connection's handler, with its writer and whether its page is being written
        self._connections: dict[asyncio.Task[None], _Connection] = {}
        self.port = 0

    @property
    def redirect_uri(self) -> str:
        scheme = "https" if self.tls else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}{self.path}"

    @property
    def listening(self) -> bool:
        return self._server is not None and self._server.is_serving()

    @property
    def open_connections(self) -> int:
        """How many accepted connections are not finished yet."""
        return len(self._connections)

    async def start(self) -> int:
        """Bind and serve; OSError (e.g. the fixed port is taken) propagates with its errno."""
        self._closing = False
        # TLS is started by each connection's handler, not by the server: a connection that never sends a
        # ClientHello is then one of ours to close, not asyncio's to hold until its handshake times out.
        self._server = await asyncio.start_server(
            self._serve, host=self.host, port=self._requested_port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def close(self) -> None:
        """Stop listening, then end every accepted connection and wait for it.

        A connection still waiting for its request is closed at once; a page being written gets
        ANSWER_GRACE_S to finish. When this returns, every socket the listener accepted is closed.
        """
        server, self._server = self._server, None
        if server is None:
            return
        self._closing = True
        await _stop_accepting(server)
        server.close()
        for task, connection in self._connections.items():
            if not connection.answering:
                task.cancel()
        answering = [task for task, connection in self._connections.items() if connection.answering]
        if answering:
            _, late = await asyncio.wait(answering, timeout=ANSWER_GRACE_S)
            for task in late:
                task.cancel()
        while self._connections:
            await asyncio.wait(list(self._connections))
        # Connections accepted as the listener closed end in their handler's first step; this waits until
        # their transports (and every other one) are gone.
        await server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if self._closing or task is None:
            writer.transport.abort()  # accepted just as the listener closed
            return
        connection = _Connection(writer)
        self._connections[task] = connection
        try:
            async with asyncio.timeout(READ_TIMEOUT_S):
                if self.tls is not None:
                    await writer.start_tls(self.tls)
                head = await reader.readuntil(b"\r\n\r\n")
            connection.answering = True
            status, title, paragraphs = self._answer(head)
            await _write_page(writer, status, title, paragraphs)
            writer.close()
            await writer.wait_closed()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ssl.SSLError):
            pass  # a half-open or probing connection; the login keeps waiting
        except asyncio.CancelledError:
            if not self._closing:
                raise
            # close() ended this connection; the handler returns normally so asyncio reports nothing
        finally:
            writer.transport.abort()  # nothing when it is closed already; else it is closed now, unsent data dropped
            del self._connections[task]

    def _answer(self, head: bytes) -> tuple[int, str, tuple[str, ...]]:
        """The status, title and paragraphs of the page for one request."""
        if len(head) > MAX_REQUEST_BYTES:
            return 431, "Request too large", ("This request was not understood.",)
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = request_line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            return 400, "Bad request", ("This request was not understood.",)
        method, target = parts[0], parts[1]
        url = urlsplit(target)
        if url.path != self.path:
            return 404, "Not found", ("Nothing is served here.",)
        if method != "GET":
            return 405, "Not allowed", ("Only the browser's redirect is accepted here.",)
        raw = parse_qs(url.query, keep_blank_values=True)
        if any(len(values) > 1 for values in raw.values()):
            problem: str | None = "the response repeats a parameter, which a genuine response never does"
        else:
            problem = self._handler({key: values[0] for key, values in raw.items()})
        if problem is None:
            return 200, "Brokerdeck is connected", ("You can close this tab and return to Brokerdeck.",)
        log.info("loopback callback on %s refused: %s", self.path, problem)
        return 400, "Sign-in did not complete", (_sentence(problem), AFTER_REFUSAL)


@dataclass
class _Connection:
    writer: asyncio.StreamWriter
    answering: bool = False


async def _stop_accepting(server: asyncio.Server) -> None:
    """Stop accepting, and let connections already accepted reach the server's count before it closes.

    asyncio builds the transport of an accepted connection a loop iteration after the accept; if
    `Server.close()` comes in between, that transport is never closed and its socket leaks
    (https://github.com/python/cpython/issues/109564). Removing the listening sockets' readers first and
    yielding once lets those transports be built while the server still counts them.
    """
    loop = asyncio.get_running_loop()
    for sock in server.sockets:
        with contextlib.suppress(NotImplementedError):  # a proactor loop has no readers
            loop.remove_reader(sock.fileno())
    await asyncio.sleep(0)


def _sentence(clause: str) -> str:
    """A clause as a sentence of its own: capitalised, one full stop."""
    clause = clause.strip().rstrip(".")
    return f"{clause[:1].upper()}{clause[1:]}."


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:36em;margin:4em auto;color:#222}}h1{{font-size:1.4em}}</style>
</head><body><h1>{title}</h1>{paragraphs}</body></html>
"""


async def _write_page(writer: asyncio.StreamWriter, status: int, title: str, paragraphs: tuple[str, ...]) -> None:
    text = "".join(f"<p>{html.escape(paragraph)}</p>" for paragraph in paragraphs)
    body = _PAGE.format(title=html.escape(title), paragraphs=text).encode("utf-8")
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
