"""One IBKR WebSocket connection (`/v1/api/ws`): smd market data, sbd ladders, heartbeats, tic.

A connection sends its smd lines from the shared tickers (`ticker.py`), as deltas against the state
last sent on each line, at the configured rate; the frames due go out in one batch. What it needs
of the hub that accepted it (the settings, the tickers, the session check, the ladders and a stall)
is the `Hub` protocol below; `stream_control.StreamHub` is the one the gateway serves.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Mapping
from typing import Any, Protocol

from starlette.types import Receive, Send

from brokers.sandbox.ibkr.consumers import Consumer, Session
from brokers.sandbox.ibkr.stream_settings import StreamSettings
from brokers.sandbox.ibkr.ticker import FIELD_INDEX, Ticker, dumps, epoch_ms

DEFAULT_FIELDS = ("31", "84", "86", "88", "85")
ORDER_TOPICS = ("sor", "uor", "str", "utr")
PNL_TOPICS = ("spl", "upl")
_MAX_BACKLOG_S = 0.25
_MAX_BATCH = 1000  # frames per batch before the loop gets a turn (reads, other sockets)
_BURST_TICK_S, _SMOOTH_TICK_S, _MAX_IDLE_S = 0.005, 0.001, 0.05
_STS_EXPIRED = (
    '{"topic":"sts","args":{"authenticated":false,"competing":false,"connected":true,'
    '"message":"","fail":"session expired"}}'
)


class Hub(Protocol):
    """What a connection uses of the hub that accepted it: shared settings, tickers, checks, stalls."""

    @property
    def settings(self) -> StreamSettings: ...

    @property
    def tickers(self) -> Mapping[int, Ticker]: ...

    @property
    def stalled_until(self) -> float:
        """The monotonic time until which a stall fault holds every frame back."""

    def hello(self, consumer: Consumer) -> list[str]:
        """The frames a new connection starts with."""

    def authenticated(self, consumer: Consumer, session: Session, access_token: str | None) -> bool:
        """Whether the brokerage session the socket opened with is still live (and its access token accepted)."""

    def advance(self, ticker: Ticker) -> None:
        """Move `ticker` on by one update."""

    def ladder(self, ticker: Ticker, topic: str) -> str:
        """A full sbd snapshot of `ticker`'s book, as one frame."""

    def order_topic(self, connection: Connection, topic: str, rest: str) -> None:
        """Start or stop a socket's order updates (`sor`/`uor`) or executions (`str`/`utr`)."""

    def pnl_topic(self, connection: Connection, topic: str) -> None:
        """Start (`spl`) or stop (`upl`) a socket's account P&L pushes."""


class _Line:
    """One smd market data line: its fields, the state last sent on it, and when it lapses."""

    __slots__ = ("active", "expires", "fields", "prefix", "sent", "ticker", "version")

    def __init__(self, ticker: Ticker, fields: tuple[int, ...], expires: float) -> None:
        self.ticker, self.fields, self.expires, self.active = ticker, fields, expires, True
        conid = ticker.conid
        self.prefix = f'{{"topic":"smd+{conid}","conid":{conid},"conidEx":"{conid}","server_id":"q0","_updated":'
        self.sent: list[str | None] = ticker.state
        self.version = ticker.version

    def full(self) -> str:
        """The first frame: every requested field that has a value."""
        state = self.sent = self.ticker.state
        self.version = self.ticker.version
        return self.prefix + str(epoch_ms()) + "".join("," + s for i in self.fields if (s := state[i])) + "}"


class Connection:
    """One socket: its smd lines and ladders, paced by `_pump` while `_read` answers the client."""

    def __init__(
        self,
        hub: Hub,
        consumer: Consumer,
        session: Session,
        receive: Receive,
        send: Send,
        *,
        access_token: str | None = None,
    ) -> None:
        self.hub, self.consumer, self.session = hub, consumer, session
        self.access_token = access_token  # the OAuth 1.0a token the socket opened with (None: a bearer token)
        self._receive, self._raw_send = receive, send
        self.lines: dict[int, _Line] = {}
        self.ladders: dict[str, list[Any]] = {}  # account -> [ticker, topic, next frame at]
        self.dropped = asyncio.Event()
        self.outbox: deque[str] = deque()  # frames a fault injects, sent at the next wake-up
        self.backlog = 0  # smd frames a fault queued, sent back to back from the next wake-up on
        self.authenticated = True
        self._next_expiry = float("inf")
        self._turn = 0

    async def run(self) -> None:
        """Greet, then read and pump until the client leaves, a task fails, or a drop fault hits."""
        for frame in self.hub.hello(self.consumer):
            await self._send(frame)
        tasks = {asyncio.create_task(c) for c in (self._read(), self._pump(), self.dropped.wait())}
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            if (error := task.exception()) is not None:
                raise error
        # Returning without a close frame is the drop fault's abrupt end: uvicorn just closes TCP.

    async def _send(self, text: str) -> None:
        """Send one frame, held back while a stall fault lasts."""
        while (wait := self.hub.stalled_until - time.monotonic()) > 0:
            await asyncio.sleep(wait)
        await self._raw_send({"type": "websocket.send", "text": text})

    async def _read(self) -> None:
        while True:
            message = await self._receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text") or (message.get("bytes") or b"").decode("utf-8", "replace")
            await self._handle(text.strip())

    async def _handle(self, text: str) -> None:
        if text == "tic":
            reply = {"topic": "tic", "alive": True, "id": self.session.session_id, "lastAccessed": epoch_ms()}
            await self._send(dumps(reply))
        elif text == "ech+hb":
            await self._send('{"topic":"ech+hb","alive":true}')
        elif self.authenticated:  # after sts authenticated:false only a new connection gets data
            topic, _, rest = text.partition("+")
            if topic == "smd":
                await self._subscribe(rest)
            elif topic == "umd" and (line := self._drop_line(rest)) is not None:
                line.active = False
                self._reschedule()
            elif topic == "sbd":
                await self._subscribe_ladder(rest)
            elif topic == "ubd":
                self.ladders.pop(rest.partition("+")[0], None)
            elif topic in ORDER_TOPICS:
                self.hub.order_topic(self, topic, rest)
            elif topic in PNL_TOPICS:
                self.hub.pnl_topic(self, topic)

    async def _error(self, topic: str, message: str, code: str) -> None:
        await self._send(dumps({"topic": topic, "error": message, "code": code}))

    def _ticker(self, conid_text: str) -> Ticker | None:
        conid = _conid(conid_text)
        return self.hub.tickers.get(conid) if conid is not None else None

    def _drop_line(self, rest: str) -> _Line | None:
        """The market data line `umd+CONID` ends, if there is one."""
        conid = _conid(rest.partition("+")[0])
        return self.lines.pop(conid, None) if conid is not None else None

    async def _subscribe(self, rest: str) -> None:
        conid_text, _, body = rest.partition("+")
        topic = f"smd+{conid_text}"
        ticker = self._ticker(conid_text)
        if ticker is None:
            return await self._error(topic, f"unknown contract {conid_text}", "contract")
        try:
            request = json.loads(body) if body.strip() else {}
            requested = request.get("fields", DEFAULT_FIELDS) if isinstance(request, dict) else None
            if not isinstance(requested, list | tuple) or not all(isinstance(f, str | int) for f in requested):
                raise ValueError("fields must be a list of field ids")
        except ValueError as exc:
            return await self._error(topic, f"invalid smd request: {exc}", "request")
        wanted = tuple(dict.fromkeys(FIELD_INDEX[str(f)] for f in requested if str(f) in FIELD_INDEX))
        settings = self.hub.settings
        expires = time.monotonic() + settings.smd_ttl_s
        line = self.lines.get(ticker.conid)
        if line is not None:  # a re-send: new fields join (sent with the next delta), the clock restarts
            if added := [i for i in wanted if i not in line.fields]:
                line.fields += tuple(added)
                line.sent = [None if i in added else s for i, s in enumerate(line.sent)]
            line.expires = expires
        elif len(self.lines) >= settings.max_lines:
            limit = f"market data line limit reached ({settings.max_lines} lines)"
            return await self._error(topic, limit, "lines")
        else:
            line = self.lines[ticker.conid] = _Line(ticker, wanted, expires)
            await self._send(line.full())
        self._reschedule()
        return None

    async def _subscribe_ladder(self, rest: str) -> None:
        topic, parts = f"sbd+{rest}", rest.split("+")
        if len(parts) not in (2, 3):
            return await self._error(topic, "sbd needs an account and a conid: sbd+ACCT+CONID[+EXCHANGE]", "request")
        if parts[0] not in self.consumer.accounts:
            return await self._error(topic, f"unknown account {parts[0]}", "account")
        if (ticker := self._ticker(parts[1])) is None:
            return await self._error(topic, f"unknown contract {parts[1]}", "contract")
        self.ladders[parts[0]] = [ticker, topic, time.monotonic() + 1 / self.hub.settings.depth_rate]
        await self._send(self.hub.ladder(ticker, topic))
        return None

    def _reschedule(self) -> None:
        self._next_expiry = min((line.expires for line in self.lines.values()), default=float("inf"))

    def _deauthenticate(self) -> None:
        self.authenticated = False
        for line in self.lines.values():
            line.active = False
        self.lines.clear()
        self.ladders.clear()
        self._reschedule()
        self.outbox.append(_STS_EXPIRED)

    async def _pump(self) -> None:
        """Heartbeats, smd frames at `rate` (the frames due go out in one batch), ladders, expiry."""
        hub, settings = self.hub, self.hub.settings
        start = last_hb = time.monotonic()
        sent, rate = 0, settings.rate
        while True:
            now = time.monotonic()
            if hub.stalled_until > now:  # a stall sends nothing, then resumes without a backlog
                await asyncio.sleep(hub.stalled_until - now)
                start = last_hb = time.monotonic()
                sent = 0
                continue
            if self.authenticated and not hub.authenticated(self.consumer, self.session, self.access_token):
                self._deauthenticate()
            while self.outbox:
                await self._send(self.outbox.popleft())
            if self.backlog:  # what a stalled network delivers at once: the lines' frames back to back
                batch = min(self.backlog, _MAX_BATCH) if self.lines else self.backlog
                self.backlog -= batch
                if self.lines:
                    await self._batch(batch)
            if now - last_hb >= settings.hb_interval_s:
                last_hb = now
                await self._send(f'{{"topic":"system","hb":{epoch_ms()}}}')
            if now >= self._next_expiry:  # a lapsed line stops silently, as IBKR's do after 15 minutes
                for conid in [c for c, line in self.lines.items() if line.expires <= now]:
                    self.lines.pop(conid).active = False
                self._reschedule()
            if not self.lines or settings.rate != rate:
                start, sent, rate = now, 0, settings.rate
            elif (due := int((now - start) * rate) - sent) > 0:
                sent += max(0, due - int(rate * _MAX_BACKLOG_S) - 1)  # what a slow reader missed is skipped
                batch = min(int((now - start) * rate) - sent, _MAX_BATCH)
                sent += batch
                await self._batch(batch)
            floor = _BURST_TICK_S if settings.burst else _SMOOTH_TICK_S
            wake = min(last_hb + settings.hb_interval_s, self._next_expiry)
            if self.lines and rate > 0:
                wake = min(wake, start + (sent + 1) / rate)
                floor = 0 if wake <= now else floor  # still behind: only yield, then carry on
            if self.backlog:
                wake, floor = now, 0
            for ladder in list(self.ladders.values()):
                if now >= ladder[2]:
                    ladder[2] = max(ladder[2] + 1 / settings.depth_rate, now)
                    hub.advance(ladder[0])
                    await self._send(hub.ladder(ladder[0], ladder[1]))
                wake = min(wake, ladder[2])
            await asyncio.sleep(min(max(wake - time.monotonic(), floor), _MAX_IDLE_S))

    async def _batch(self, count: int) -> None:
        """Send `count` smd slots round-robin over the lines; a slot whose line did not change sends nothing."""
        lines, advance, send = list(self.lines.values()), self.hub.advance, self._raw_send
        turn, width, ms = self._turn, len(lines), str(epoch_ms())
        for _ in range(count):
            line = lines[turn % width]
            turn += 1
            if not line.active:
                continue
            ticker = line.ticker
            if line.version >= ticker.version:
                advance(ticker)
            state, sent = ticker.state, line.sent
            parts = [s for i in line.fields if (s := state[i]) is not None and s != sent[i]]
            line.sent, line.version = state, ticker.version
            if parts:
                await send({"type": "websocket.send", "text": f"{line.prefix}{ms},{','.join(parts)}}}"})
        self._turn = turn % width


def _conid(text: str) -> int | None:
    return int(text) if text.isdecimal() else None
