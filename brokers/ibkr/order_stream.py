"""IBKR's live order updates (`sor`) and executions (`str`) over a WebSocket of their own.

Why a socket of its own rather than the market data worker's: orders must stream whether or not the
market viewer is open (its `MarketStream` lives and dies with the viewer's feed), and nothing that goes
wrong with the order topics (IBKR answers `sor+{}` with `{"error":"unable to subscribe"}` more often than
not, and drops subscriptions silently when the gateway logs in again) may ever touch the market data hot
loop. On this socket every `error` frame is about the order topics, so a refusal needs no guessing.

The stream is a hint; the route's paced live-orders poll stays the confirmation. Every connection first
has the route read the accounts and the live orders (IBKR: "query all orders for the current day first
before subscribing"), then subscribes; a refusal is retried on the same socket after `resubscribe_s`, a
new brokerage session (a changed `api` cookie, `sts authenticated:false`) or a silent socket reconnects,
and every reconnect subscribes again. Updates reach the listener on the event loop this worker runs in.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from urllib.parse import quote

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, WebSocketException

from brokers.core.order_route import OrderUpdateListener
from brokers.core.orders import BrokerExecution, BrokerOrder
from brokers.core.retry import Backoff
from brokers.ibkr import frames as fr
from brokers.ibkr.errors import IbkrError
from brokers.ibkr.order_merge import OrderMerge
from brokers.ibkr.session import IbkrSession
from brokers.ibkr.stream import authenticate, open_socket

log = logging.getLogger(__name__)

SUBSCRIPTIONS = ("sor+{}", 'str+{"realtimeUpdatesOnly":false,"days":1}')  # str re-sends today's: merged once


@dataclass(frozen=True)
class OrderStreamTiming:
    """How the order socket keeps itself honest; tests shorten these."""

    heartbeat_timeout_s: float = 30.0  # IBKR sends a heartbeat every ~10 s: silence this long means a dead socket
    keepalive_s: float = 55.0  # IBKR wants a `tic` at least once a minute
    resubscribe_s: float = 30.0  # after `unable to subscribe`, ask again this much later
    backoff: tuple[float, float] = (0.5, 30.0)


DEFAULT_TIMING = OrderStreamTiming()


@dataclass
class OrderStreamState:
    """What the order socket did so far: for the health view and for tests (`OrderStream.state` is a copy)."""

    connected: bool = False
    subscribed: bool = False  # the order topics were asked for on this connection and not refused
    subscriptions: int = 0  # how many times they were asked for, over every connection
    reconnects: int = 0
    refusals: int = 0
    frames: int = 0
    order_updates: int = 0
    executions: int = 0
    malformed: int = 0  # frames (and rows) that were not what IBKR sends
    last_error: str = ""


class OrderStream:
    """One WebSocket carrying `sor` and `str` for one route; `run` until cancelled."""

    def __init__(
        self,
        session: IbkrSession,
        merge: OrderMerge,
        listener: OrderUpdateListener,
        *,
        prepare: Callable[[], Awaitable[object]],
        timing: OrderStreamTiming = DEFAULT_TIMING,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._session, self._merge, self._listener = session, merge, listener
        self._prepare, self._timing, self._clock = prepare, timing, clock
        self._backoff = Backoff(*timing.backoff, jitter=0.5, rng=random.Random())  # noqa: S311 - jitter, not a secret
        self._state = OrderStreamState()
        self._resubscribe_at: float | None = None
        self._reauth = False
        self._established = False

    @property
    def state(self) -> OrderStreamState:
        merge = self._merge
        return replace(self._state, malformed=self._state.malformed + merge.incomplete + merge.unusable)

    async def run(self) -> None:
        """Connect, subscribe, serve, and reconnect with jittered exponential backoff until cancelled."""
        while True:
            self._established = False
            try:
                if self._reauth or self._session.api_session is None:
                    await self._authenticate()
                await self._serve()
            except IbkrError as error:
                self._state.last_error = f"Order updates: {error}"
            except (OSError, TimeoutError, WebSocketException) as error:
                self._state.last_error = f"Cannot reach IBKR's order updates ({self._describe(error)}). Reconnecting."
            if self._established:
                self._backoff.reset()
            await asyncio.sleep(self._backoff.next())
            self._state.reconnects += 1

    async def _authenticate(self) -> None:
        await authenticate(self._session, reopen=self._reauth, purpose="the order updates")
        self._reauth = False

    async def _serve(self) -> None:
        cookie = self._session.api_session
        async with open_socket(self._session, cookie) as ws:
            self._state.connected, self._state.subscribed = True, False
            self._resubscribe_at = None
            outbox: asyncio.Queue[str] = asyncio.Queue()
            tasks = [
                asyncio.create_task(self._receive(ws)),
                asyncio.create_task(self._write(ws, outbox)),
                asyncio.create_task(self._housekeep(outbox, cookie)),
            ]
            try:
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            finally:
                self._state.connected = self._state.subscribed = False
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
            for task in done:
                if not task.cancelled() and (error := task.exception()) is not None:
                    raise error

    async def _subscribe(self, outbox: asyncio.Queue[str]) -> None:
        """Accounts and today's orders first, as IBKR asks, then both topics."""
        await self._prepare()
        for text in SUBSCRIPTIONS:
            outbox.put_nowait(text)
        self._resubscribe_at = None
        self._state.subscribed = True
        self._state.subscriptions += 1

    async def _receive(self, ws: ClientConnection) -> None:
        state = self._state
        try:
            async for message in ws:
                frame = fr.parse_frame(message)
                state.frames += 1
                if isinstance(frame, fr.OrderRows):
                    if orders := self._merge.orders(frame.rows):
                        state.order_updates += len(orders)
                        self._deliver(orders, ())
                elif isinstance(frame, fr.ExecutionRows):
                    if executions := self._merge.executions(frame.rows):
                        state.executions += len(executions)
                        self._deliver((), executions)
                elif isinstance(frame, fr.Malformed):
                    state.malformed += 1
                elif isinstance(frame, fr.ErrorFrame):
                    self._refused(frame)
                elif isinstance(frame, fr.Status):
                    if not frame.authenticated:
                        self._reauth = True
                        state.last_error = "IBKR ended the brokerage session: order updates reconnect."
                        return
                    self._established = True
        except ConnectionClosed as closed:
            self._closed(closed)
            return
        state.last_error = "IBKR's order updates socket closed. Reconnecting."

    def _deliver(self, orders: tuple[BrokerOrder, ...], executions: tuple[BrokerExecution, ...]) -> None:
        """Hand an update on; a listener that fails is logged, and the stream carries on."""
        try:
            self._listener(orders, executions)
        except Exception:
            log.exception("The order update listener failed")

    def _refused(self, frame: fr.ErrorFrame) -> None:
        topic = f" ({frame.topic})" if frame.topic else ""
        self._resubscribe_at = self._clock() + self._timing.resubscribe_s
        state = self._state
        state.subscribed = False
        state.refusals += 1
        state.last_error = f"IBKR refused the order updates{topic}: {frame.message}. Polling carries on; asking again."

    def _closed(self, closed: ConnectionClosed) -> None:
        if closed.rcvd is not None and closed.rcvd.code == 1008:
            self._reauth = True
        self._state.last_error = f"IBKR's order updates socket closed ({self._describe(closed)}). Reconnecting."

    async def _write(self, ws: ClientConnection, outbox: asyncio.Queue[str]) -> None:
        try:
            while True:
                await ws.send(await outbox.get())
        except ConnectionClosed as closed:
            self._closed(closed)

    async def _housekeep(self, outbox: asyncio.Queue[str], cookie: str | None) -> None:
        """Subscribe, then keep-alive, the watchdog, re-subscribing after a refusal, and noticing a new
        brokerage session (its subscriptions died with the old one). Returns when the socket must go."""
        timing, clock = self._timing, self._clock
        await self._subscribe(outbox)
        last_rx = next_keepalive = clock()
        next_keepalive += timing.keepalive_s
        seen = self._state.frames
        tick = max(0.01, min(1.0, timing.heartbeat_timeout_s / 4, timing.keepalive_s, timing.resubscribe_s))
        while True:
            await asyncio.sleep(tick)
            now = clock()
            if self._state.frames != seen:
                seen, last_rx = self._state.frames, now
            elif now - last_rx >= timing.heartbeat_timeout_s:
                self._state.last_error = f"No frame on IBKR's order updates for {now - last_rx:.0f} s. Reconnecting."
                return
            if self._session.api_session != cookie:
                self._state.last_error = "A new IBKR brokerage session: order updates reconnect and subscribe again."
                return
            if now >= next_keepalive:
                outbox.put_nowait("tic")
                next_keepalive = now + timing.keepalive_s
            if self._resubscribe_at is not None and now >= self._resubscribe_at:
                await self._subscribe(outbox)

    def _describe(self, error: BaseException) -> str:
        """An exception as text with the access token and the cookie masked (URIs can carry them)."""
        text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        token = self._session.stream_credential[1]
        for secret in (token, quote(token, safe=""), self._session.api_session):
            if secret:
                text = text.replace(secret, "***")
        return text[:300]
