"""One IBKR WebSocket connection (`/v1/api/ws`): smd market data, sbd ladders, heartbeats, tic.

Frames have to be cheap, up to tens of thousands a second per connection. Each conid's ticker
therefore keeps its current state as ready-made JSON fragments ('"84":"189.56"'), replaced
copy-on-write: a delta is a handful of string comparisons against the state last sent, and a frame
is one join. The shared market is stepped at most every `MARKET_STEP_S`, since a step costs several
times what sending a frame does; frames due in between carry new sizes and a print at the quoted
bid or ask, so prices always come from the market while the configured rate is still met.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import deque
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from starlette.types import Receive, Send

from brokers.sandbox.ibkr.consumers import Consumer, Session
from brokers.sandbox.market import Instrument, Quote

if TYPE_CHECKING:
    from brokers.sandbox.ibkr.stream_control import StreamHub

FIELDS = ("55", "6509", "6119", "31", "84", "86", "88", "85", "7059", "87", "7295", "70", "71", "7296", "7635")
SYMBOL, _, _, LAST, BID, ASK, BID_SIZE, ASK_SIZE, LAST_SIZE, VOLUME, OPEN, HIGH, LOW, CLOSE, MARK = range(len(FIELDS))
DEFAULT_FIELDS = ("31", "84", "86", "88", "85")
MARKET_STEP_S = 0.005
OPENING_VOLUME = 125_000
_INDEX = {f: i for i, f in enumerate(FIELDS)}
_MICRO_ROWS = 1024
_MAX_BACKLOG_S = 0.25
_MAX_BATCH = 1000  # frames per batch before the loop gets a turn (reads, other sockets)
_BURST_TICK_S, _SMOOTH_TICK_S, _MAX_IDLE_S = 0.005, 0.001, 0.05
_STS_EXPIRED = (
    '{"topic":"sts","args":{"authenticated":false,"competing":false,"connected":true,'
    '"message":"","fail":"session expired"}}'
)


def format_size(size: int) -> str:
    """Sizes and volume as IBKR streams them: strings with thousands separators ("1,300")."""
    return f"{size:,}"


def price_formatter(tick_size: float) -> Callable[[float], str]:
    """A formatter that writes prices with as many decimals as the instrument's tick has."""
    decimals = max(0, -int(Decimal(str(tick_size)).as_tuple().exponent))
    return f"{{:.{decimals}f}}".format


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def epoch_ms() -> int:
    return int(time.time() * 1000)


def micro_table(rng: random.Random) -> list[tuple[Any, ...]]:
    """Precomputed in-between updates: (bid size, ask size, print at ask?, print size, their fragments)."""

    def size() -> int:
        return rng.randint(1000, 3000) if rng.random() < 0.1 else rng.randint(1, 500)

    rows = []
    for _ in range(_MICRO_ROWS):
        bid, ask, last = size(), size(), rng.randint(1, 100)
        fragments = (f'"88":"{format_size(bid)}"', f'"85":"{format_size(ask)}"', f'"7059":"{last}"')
        rows.append((bid, ask, rng.random() < 0.5, last, *fragments))
    return rows


class Ticker:
    """One conid's streamed state: numbers for the ladder, JSON fragments (`state`) for smd."""

    def __init__(self, instrument: Instrument, quote: Quote, table: list[Any], trades: dict[int, float]) -> None:
        self.conid, self._table, self._trades = instrument.conid, table, trades
        self.price = price_formatter(instrument.tick_size)
        self._row = instrument.conid % _MICRO_ROWS
        self.version = 0
        self.last: float | None = None
        self.last_size = 0
        self.volume = OPENING_VOLUME
        self.high = self.low = quote.bid
        close, opening = self.price(instrument.start_price), self.price(quote.bid)
        state: list[str | None] = [None] * len(FIELDS)
        state[SYMBOL] = '"55":' + dumps(instrument.symbol)
        state[1], state[2] = '"6509":"RpB"', '"6119":"q0"'
        state[LAST] = f'"31":"C{close}"'  # no print yet: IBKR shows the prior close, prefixed "C"
        state[VOLUME] = f'"87":"{format_size(self.volume)}"'
        state[OPEN], state[CLOSE] = f'"7295":"{opening}"', f'"7296":"{close}"'
        state[HIGH], state[LOW] = f'"70":"{opening}"', f'"71":"{opening}"'
        self._quote(state, quote.bid, quote.ask, quote.bid_size, quote.ask_size)
        self.state = state

    def _quote(self, state: list[str | None], bid: float, ask: float, bid_size: int, ask_size: int) -> None:
        self.bid, self.ask, self.bid_size, self.ask_size = bid, ask, bid_size, ask_size
        bid_text, ask_text = self.price(bid), self.price(ask)
        state[BID], state[ASK] = f'"84":"{bid_text}"', f'"86":"{ask_text}"'
        state[BID_SIZE], state[ASK_SIZE] = f'"88":"{format_size(bid_size)}"', f'"85":"{format_size(ask_size)}"'
        state[MARK] = f'"7635":"{self.price((bid + ask) / 2)}"'
        self._prints = (f'"31":"{bid_text}"', f'"31":"{ask_text}"')

    def _print(self, state: list[str | None], price: float, fragment: str, size: int, size_fragment: str) -> None:
        self.last, self.last_size = price, size
        self._trades[self.conid] = price
        state[LAST], state[LAST_SIZE] = fragment, size_fragment
        self.volume += size
        state[VOLUME] = f'"87":"{self.volume:,}"'
        if price > self.high:
            self.high = price
            state[HIGH] = f'"70":"{self.price(price)}"'
        elif price < self.low:
            self.low = price
            state[LOW] = f'"71":"{self.price(price)}"'

    def apply(self, quote: Quote) -> None:
        """Take one market update, print included."""
        state = list(self.state)
        self._quote(state, quote.bid, quote.ask, quote.bid_size, quote.ask_size)
        if quote.last is not None:
            size = quote.last_size or 0
            self._print(state, quote.last, f'"31":"{self.price(quote.last)}"', size, f'"7059":"{format_size(size)}"')
        self.state, self.version = state, self.version + 1

    def micro(self) -> None:
        """An in-between update: new top-of-book sizes and a print at the quoted bid or ask."""
        self._row = row = (self._row + 1) % _MICRO_ROWS
        bid_size, ask_size, at_ask, size, bid_fragment, ask_fragment, size_fragment = self._table[row]
        state = list(self.state)
        state[BID_SIZE], state[ASK_SIZE] = bid_fragment, ask_fragment
        self.bid_size, self.ask_size = bid_size, ask_size
        self._print(state, self.ask if at_ask else self.bid, self._prints[at_ask], size, size_fragment)
        self.state, self.version = state, self.version + 1


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

    def __init__(self, hub: StreamHub, consumer: Consumer, session: Session, receive: Receive, send: Send) -> None:
        self.hub, self.consumer, self.session = hub, consumer, session
        self._receive, self._raw_send = receive, send
        self.lines: dict[int, _Line] = {}
        self.ladders: dict[str, list[Any]] = {}  # account -> [ticker, topic, next frame at]
        self.dropped = asyncio.Event()
        self.outbox: deque[str] = deque()  # frames a fault injects, sent at the next wake-up
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
            elif topic == "umd" and (line := self.lines.pop(_conid(rest.partition("+")[0]), None)) is not None:
                line.active = False
                self._reschedule()
            elif topic == "sbd":
                await self._subscribe_ladder(rest)
            elif topic == "ubd":
                self.ladders.pop(rest.partition("+")[0], None)

    async def _error(self, topic: str, message: str, code: str) -> None:
        await self._send(dumps({"topic": topic, "error": message, "code": code}))

    async def _subscribe(self, rest: str) -> None:
        conid_text, _, body = rest.partition("+")
        topic = f"smd+{conid_text}"
        ticker = self.hub.tickers.get(_conid(conid_text))
        if ticker is None:
            return await self._error(topic, f"unknown contract {conid_text}", "contract")
        try:
            request = json.loads(body) if body.strip() else {}
            requested = request.get("fields", DEFAULT_FIELDS) if isinstance(request, dict) else None
            if not isinstance(requested, list | tuple) or not all(isinstance(f, str | int) for f in requested):
                raise ValueError("fields must be a list of field ids")
        except ValueError as exc:
            return await self._error(topic, f"invalid smd request: {exc}", "request")
        wanted = tuple(dict.fromkeys(_INDEX[str(f)] for f in requested if str(f) in _INDEX))
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
        if (ticker := self.hub.tickers.get(_conid(parts[1]))) is None:
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
            if self.authenticated and not hub.authenticated(self.consumer, self.session):
                self._deauthenticate()
            while self.outbox:
                await self._send(self.outbox.popleft())
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
            parts = [s for i in line.fields if (s := state[i]) != sent[i]]
            line.sent, line.version = state, ticker.version
            if parts:
                await send({"type": "websocket.send", "text": f"{line.prefix}{ms},{','.join(parts)}}}"})
        self._turn = turn % width


def _conid(text: str) -> int | None:
    return int(text) if text.isdecimal() else None
