"""The IBKR market-data WebSocket worker: keeps a socket up and writes every frame into a `BookModel`.

It runs in whichever asyncio loop awaits `run` (the window gives it a thread of its own, see
`stream_thread`) and never notifies anyone per frame: readers take snapshots of the book and read
`state` at their own rate, so a burst of thousands of frames costs parsing and merging only.
Everything that keeps the stream honest lives here: keep-alive (`tic`, `ech+hb`), the `smd`
re-send IBKR needs before its 15-minute cut-off, a watchdog for a silent socket, re-authentication
after `sts authenticated:false`, and jittered exponential backoff. The sandbox's emulator of the same
protocol is brokers/sandbox/ibkr/stream.py.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Callable, Iterable
from typing import Any, cast
from urllib.parse import quote

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, ConnectionClosedOK, WebSocketException
from websockets.typing import BytesLike

from brokers.core.actions import NextAction
from brokers.core.market import DataAge, StreamState
from brokers.core.retry import Backoff
from brokers.ibkr import frames as fr
from brokers.ibkr.book import BookModel
from brokers.ibkr.errors import IbkrError
from brokers.ibkr.message_sink import MessageSink, MessageSinkConnection
from brokers.ibkr.quote_snapshot import QuoteSnapshot
from brokers.ibkr.session import IbkrSession

log = logging.getLogger(__name__)

# last, bid, ask, bid size, ask size, last size, volume, open, high, low, prior close, mark, symbol, availability
DEFAULT_FIELDS = ("31", "84", "86", "88", "85", "7059", "87", "7295", "70", "71", "7296", "7635", "55", "6509")
MAX_FRAME_BYTES = 2**22
CLOSE_TIMEOUT_S = 1.0  # a stalled server may never answer our close frame


class StreamError(IbkrError):
    """A subscription the stream refuses before sending it (e.g. no market data line left)."""

    action = NextAction.NONE


class MarketStream:
    """One IBKR WebSocket for one account. Subscriptions survive reconnects and are re-sent once each.

    It is the window's `MarketFeed`: `watch` picks the instrument, `quotes` reads its latest state.
    """

    def __init__(
        self,
        session: IbkrSession,
        book: BookModel,
        *,
        account: str,
        clock: Callable[[], float] = time.monotonic,
        heartbeat_timeout_s: float = 30.0,
        keepalive_s: float = 55.0,
        smd_refresh_s: float = 540.0,
        max_lines: int = 100,
        backoff: tuple[float, float] = (0.5, 30.0),
    ) -> None:
        self._session = session
        self._book = book
        self._account = account
        self._clock = clock
        self._heartbeat_timeout_s = heartbeat_timeout_s
        self._keepalive_s = keepalive_s
        self._smd_refresh_s = smd_refresh_s
        self._max_lines = max_lines
        self._backoff = Backoff(*backoff, jitter=0.5, rng=random.Random())  # noqa: S311 - jitter, not a secret
        self._subs: dict[int, tuple[str, ...]] = {}  # mutated in place: the receive loop holds it
        self._depth: tuple[int, str | None] | None = None
        self._outbox: asyncio.Queue[str] | None = None  # the live connection's, else None
        self._connected = False
        self._established = False
        self._reauth = False
        self._reconnects = 0
        self._stale_reconnects = 0
        self._last_error = ""
        self._watched: int | None = None
        self._session_loop: asyncio.AbstractEventLoop | None = None  # where the session's HTTP client lives

    # ---- subscriptions (callable any time, connected or not) --------------------------------------

    def subscribe(self, conid: int, fields: Iterable[str] = DEFAULT_FIELDS) -> None:
        """Stream `conid`; subscribing again adds fields, as IBKR does."""
        _check_conid(conid)
        wanted = tuple(str(f) for f in fields)
        if not wanted or not all(f.isascii() and f.isdigit() for f in wanted):
            raise ValueError(f"market data fields must be numeric field ids, got {wanted!r}")
        known = self._subs.get(conid)
        if known is None and len(self._subs) >= self._max_lines:
            raise StreamError(
                f"Cannot stream {conid}: all {self._max_lines} market data lines are in use. "
                "Stop streaming another instrument first."
            )
        merged = tuple(dict.fromkeys((*(known or ()), *wanted)))
        if merged == known:
            return
        self._subs[conid] = merged
        self._send(_smd(conid, merged))

    def unsubscribe(self, conid: int) -> None:
        if self._subs.pop(conid, None) is not None:
            self._send(f"umd+{conid}+{{}}")

    def subscribe_depth(self, conid: int, exchange: str | None = None) -> None:
        """Stream `conid`'s price ladder; IBKR keeps one ladder per account, so this replaces the last."""
        _check_conid(conid)
        if exchange is not None and not (exchange.isascii() and exchange.replace(".", "").isalnum()):
            raise ValueError(f"invalid exchange {exchange!r}")
        if self._depth is not None and self._depth[0] != conid:
            self._book.clear_depth(self._depth[0])
        self._depth = depth = (conid, exchange)
        self._send(self._sbd(depth))

    def unsubscribe_depth(self) -> None:
        if self._depth is not None:
            self._book.clear_depth(self._depth[0])
            self._depth = None
            self._send(f"ubd+{self._account}")

    def watch(self, conid: int) -> None:
        """Stream `conid`'s quotes and its price ladder instead of the instrument watched before."""
        if self._watched is not None and self._watched != conid:
            self.unsubscribe(self._watched)
        self._watched = conid
        self.subscribe(conid)
        self.subscribe_depth(conid)

    def quotes(self, conid: int) -> QuoteSnapshot | None:
        """`conid`'s latest state as one consistent snapshot."""
        return self._book.snapshot(conid)

    def data_age(self, conid: int, now_monotonic: float) -> DataAge:
        return self._book.data_age(conid, now_monotonic)

    @property
    def book(self) -> BookModel:
        """Where every frame is merged: the latest state per instrument."""
        return self._book

    @property
    def state(self) -> StreamState:
        """Readable from any thread: each value is one read of an int, a string or a dict of ints."""
        book = self._book
        return StreamState(
            connected=self._connected,
            reconnects=self._reconnects,
            last_error=self._last_error,
            frames=book.frames,
            malformed=book.malformed,
            stale_reconnects=self._stale_reconnects,
            subscriptions=tuple(self._subs),
        )

    # ---- the worker -----------------------------------------------------------------------------

    async def run(self, *, session_loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Connect, serve, and reconnect with jittered exponential backoff until cancelled.

        `session_loop` is the loop that owns the session's HTTP client, when this runs on another one:
        authentication goes there, the socket stays here.
        """
        self._session_loop = session_loop
        while True:
            self._established = False
            try:
                if self._reauth or self._session.api_session is None:
                    await self._authenticate()
                await self._serve()
            except IbkrError as error:
                self._last_error = str(error)
            except (OSError, TimeoutError, WebSocketException) as error:
                self._last_error = f"Cannot reach the IBKR stream ({self._describe(error)}). Reconnecting."
            if self._established:  # IBKR confirmed the session: a healthy connection resets the backoff
                self._backoff.reset()
            await asyncio.sleep(self._backoff.next())
            self._reconnects += 1

    async def _authenticate(self) -> None:
        proof = authenticate(self._session, reopen=self._reauth, purpose="the market data stream")
        home = self._session_loop
        if home is None or home is asyncio.get_running_loop():
            await proof
        else:
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(proof, home))
        self._reauth = False

    async def _serve(self) -> None:
        """One connection, until it closes, goes silent, or loses auth."""
        cookie = self._session.api_session
        async with open_socket(self._session, cookie, MessageSinkConnection) as ws:
            outbox: asyncio.Queue[str] = asyncio.Queue()
            for conid, fields in self._subs.items():  # no await until _outbox is set: each exactly once
                outbox.put_nowait(_smd(conid, fields))
            if self._depth is not None:
                outbox.put_nowait(self._sbd(self._depth))
            self._outbox, self._connected = outbox, True
            log.info("IBKR market data stream connected (%d subscriptions)", len(self._subs))
            tasks = [
                asyncio.create_task(self._receive(cast(MessageSinkConnection, ws))),  # made by open_socket
                asyncio.create_task(self._write(ws, outbox)),
                asyncio.create_task(self._housekeep(outbox)),
            ]
            try:
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            finally:
                self._outbox, self._connected = None, False
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
            for task in done:
                if not task.cancelled() and (error := task.exception()) is not None:
                    raise error

    async def _receive(self, ws: MessageSinkConnection) -> None:
        """Runs the hot path on every message as websockets reads it, until the connection closes or a
        control frame ends it."""
        ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        ws.attach(self._hot_path(ended))
        closing = asyncio.ensure_future(ws.wait_closed())
        try:
            await asyncio.wait((ended, closing), return_when=asyncio.FIRST_COMPLETED)
        finally:
            closing.cancel()
        if ended.done():
            return
        closed = ws.protocol.close_exc
        if isinstance(closed, ConnectionClosedOK):
            self._last_error = "The IBKR stream closed. Reconnecting."
        else:
            self._closed(closed)

    def _hot_path(self, ended: asyncio.Future[None]) -> MessageSink:
        """Parse, count, merge: called by the connection for each message, in the middle of a socket read.

        No logging, no awaiting. A burst is one read after another with nothing else between, which is why
        it runs on its own thread: the window's loop never waits behind it."""
        book, subs, parse, now_ns = self._book, self._subs, fr.parse_frame, time.perf_counter_ns
        merge_market_data, merge_depth = book.merge_market_data, book.merge_depth
        market_data, depth_frame, malformed, ignored = fr.MarketData, fr.Depth, fr.Malformed, fr.Ignored

        def take(message: BytesLike) -> None:
            if ended.done():
                return  # the connection is ending: what still arrives is not trusted
            arrival_ns = now_ns()
            # dispatched on its exact type below, for speed; that is what the loose static type is for
            frame: Any = parse(message)
            book.frames += 1
            kind = type(frame)
            if kind is market_data:
                if frame.conid in subs:
                    merge_market_data(frame, arrival_ns)
                else:
                    book.dropped += 1  # in flight when we unsubscribed
            elif kind is depth_frame:
                depth = self._depth
                if depth is not None and depth[0] == frame.conid:
                    merge_depth(frame, arrival_ns)
                else:
                    book.dropped += 1
            elif kind is malformed:
                book.malformed += 1
            elif kind is ignored:
                book.unknown += 1
            elif self._control(frame):
                ended.set_result(None)

        return take

    def _control(self, frame: fr.Frame) -> bool:
        """Heartbeats and the rare frames. True ends the connection."""
        if isinstance(frame, fr.Status):
            if not frame.authenticated:
                self._reauth = True
                detail = f" ({frame.message})" if frame.message else ""
                self._last_error = f"IBKR ended the brokerage session{detail}. Re-authenticating and reconnecting."
                return True
            self._established = True
            if frame.competing:
                self._last_error = "Another IBKR session for this user is competing with this one."
        elif isinstance(frame, fr.ErrorFrame):
            conid = fr.topic_conid(frame.topic)
            if frame.topic.startswith("smd+") and conid is not None:
                self._subs.pop(conid, None)  # IBKR streams nothing for it: do not re-send it either
                self._last_error = f"IBKR refused market data for {conid}: {frame.message}"
            elif frame.topic.startswith("sbd+") and self._depth is not None and self._depth[0] == conid:
                self._depth = None
                self._last_error = f"IBKR refused the price ladder for {conid}: {frame.message}"
            else:
                self._last_error = f"IBKR stream error{f' ({frame.topic})' if frame.topic else ''}: {frame.message}"
        return False

    def _closed(self, closed: ConnectionClosed) -> None:
        code = closed.rcvd.code if closed.rcvd is not None else None
        if code == 1008:  # the server's "not authenticated"
            self._reauth = True
            self._last_error = "The IBKR stream refused the session (not authenticated). Re-authenticating."
        else:
            self._last_error = f"The IBKR stream closed ({self._describe(closed)}). Reconnecting."

    async def _write(self, ws: ClientConnection, outbox: asyncio.Queue[str]) -> None:
        try:
            while True:
                await ws.send(await outbox.get())
        except ConnectionClosed as closed:  # whichever task sees the close first reports it
            self._closed(closed)

    async def _housekeep(self, outbox: asyncio.Queue[str]) -> None:
        """Keep-alive, smd refresh and the watchdog. Returns when the socket has gone silent.

        The watchdog samples the frame counter instead of timestamping every frame: the hot loop
        stays free of clock calls, and a stall is still seen within one tick.
        """
        clock, book = self._clock, self._book
        start = last_rx = clock()
        next_keepalive, next_refresh = start + self._keepalive_s, start + self._smd_refresh_s
        seen = book.frames
        tick = max(0.01, min(1.0, self._heartbeat_timeout_s / 4, self._keepalive_s, self._smd_refresh_s))
        while True:
            await asyncio.sleep(tick)
            now = clock()
            if book.frames != seen:
                seen, last_rx = book.frames, now
            elif now - last_rx >= self._heartbeat_timeout_s:
                self._stale_reconnects += 1
                self._last_error = f"No frame from IBKR for {now - last_rx:.0f} s. Reconnecting."
                log.info("IBKR market data stream silent for %.1f s: reconnecting", now - last_rx)
                return
            if now >= next_keepalive:  # IBKR wants both at least once a minute
                for text in ("tic", "ech+hb"):
                    outbox.put_nowait(text)
                next_keepalive = now + self._keepalive_s
            if now >= next_refresh:  # IBKR stops an smd stream 15 min after its last request
                for conid, fields in self._subs.items():
                    outbox.put_nowait(_smd(conid, fields))
                next_refresh = now + self._smd_refresh_s

    # ---- helpers --------------------------------------------------------------------------------

    def _send(self, text: str) -> None:
        if self._outbox is not None:
            self._outbox.put_nowait(text)

    def _sbd(self, depth: tuple[int, str | None]) -> str:
        conid, exchange = depth
        return f"sbd+{self._account}+{conid}" + (f"+{exchange}" if exchange else "")

    def _describe(self, error: BaseException) -> str:
        """An exception as text with the access token and the cookie masked (URIs can carry them)."""
        text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        token = self._session.stream_credential[1]
        for secret in (token, quote(token, safe=""), self._session.api_session):
            if secret:
                text = text.replace(secret, "***")
        return text[:300]


def _check_conid(conid: int) -> None:
    # the conid goes on the wire and keys the book: an int, never its string form
    if type(conid) is not int or conid <= 0:
        raise ValueError(f"a conid is a positive int, got {conid!r}")


def _smd(conid: int, fields: tuple[str, ...]) -> str:
    return f"smd+{conid}+" + json.dumps({"fields": list(fields)}, separators=(",", ":"))


def websocket_url(session: IbkrSession) -> str:
    """IBKR's WebSocket URL for `session`: `?oauth_token=` (OAuth 1.0a) or `?bearer_token=` (OAuth 2.0) with its
    token. It carries that token: never log it."""
    base = session.base_url.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
    parameter, token = session.stream_credential
    return f"{base}/ws?{parameter}={quote(token, safe='')}"


async def authenticate(session: IbkrSession, *, reopen: bool, purpose: str) -> None:
    """A fresh `api` cookie for a WebSocket; after an auth drop (`reopen`), a new brokerage session first."""
    if reopen:
        log.info("Re-opening the IBKR brokerage session for %s", purpose)
        await session.open_brokerage_session()
    await session.tickle()
    if session.api_session is None:
        raise IbkrError(f"IBKR's tickle returned no session for {purpose}. Retrying.")


def open_socket(
    session: IbkrSession, cookie: str | None, connection: type[ClientConnection] = ClientConnection
) -> websockets.connect:
    """IBKR's WebSocket for `session`, authenticated by its `api` cookie; our own pings and no compression."""
    return websockets.connect(
        websocket_url(session),
        create_connection=connection,
        additional_headers={"Cookie": f"api={cookie}"},
        user_agent_header="brokerdeck",
        max_size=MAX_FRAME_BYTES,
        compression=None,
        ping_interval=None,
        close_timeout=CLOSE_TIMEOUT_S,
    )
