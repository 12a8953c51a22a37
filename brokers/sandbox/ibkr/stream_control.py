"""The shared side of the emulated IBKR WebSocket: one hub per sandbox, and its HTTP controls.

The hub owns what every connection shares: settings, the tickers fed by the sandbox market, the
session check, and the faults tests arm over `POST /sandbox/ibkr/stream/faults`: `drop`, `stall_s`,
`garbage`, `sts_unauthenticated`, `frames` (these exact text frames to every socket), `backlog` (N smd
frames of each socket's own lines sent back to back, as a network stall delivers them at once) and
`refuse_order_topics` (the next N `sor`/`str` subscriptions answered `{"error":"unable to subscribe"}`,
as IBKR often answers them). Its settings
(`stream_settings.py`) change over `POST /sandbox/ibkr/stream`.
"""

from __future__ import annotations

import json
import random
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from brokers.sandbox.ibkr.consumers import SERVER_INFO, Consumer, ConsumerRegistry, Session
from brokers.sandbox.ibkr.oauth2_sessions import Oauth2Sessions
from brokers.sandbox.ibkr.order_desk import OrderDesk
from brokers.sandbox.ibkr.portfolio_routes import PortfolioEndpoints
from brokers.sandbox.ibkr.stream import Connection
from brokers.sandbox.ibkr.stream_settings import StreamSettings
from brokers.sandbox.ibkr.ticker import MARKET_STEP_S, Ticker, dumps, format_size, micro_table
from brokers.sandbox.market import SyntheticMarket

DEPTH_LEVELS = 10
MAX_STALL_S = 300.0
MAX_GARBAGE = 10_000
MAX_BACKLOG = 100_000

GARBAGE_FRAMES = (
    "garbage {not json",
    '{"hb":1712596911593,"note":"no topic"}',
    '{"topic":265598,"args":"topic is not a string"}',
    '{"topic":"smd+265598","conid":"not-a-number","31":189.6,"84":null,"_updated":"soon"}',
    '["a","json","array"]',
    '{"topic":"sts","args":"authenticated"}',
    '{"topic":"system","hb":"never"}',
    "",
)
"""What the garbage fault sends, in turn: non-JSON, no topic, wrong types, wrong shapes."""


class StreamHub:
    """Every WebSocket of one sandbox's IBKR; also the ASGI app that accepts them."""

    def __init__(
        self,
        market: SyntheticMarket,
        registry: ConsumerRegistry,
        trades: dict[int, float],
        idle_timeout_s: float,
        desk: OrderDesk,
        sso: Oauth2Sessions,
        portfolio: PortfolioEndpoints | None = None,
    ) -> None:
        self.market, self.registry, self.idle_timeout_s, self.desk = market, registry, idle_timeout_s, desk
        self.sso = sso
        self.portfolio = portfolio  # `spl`: none, and the topic is refused
        self.settings = StreamSettings()
        table = micro_table(random.Random(f"{market.seed}/stream"))  # noqa: S311 - synthetic and reproducible
        self.tickers = {i.conid: Ticker(i, market.quote(i.conid), table, trades) for i in market.instruments}
        self.connections: set[Connection] = set()
        self.stalled_until = 0.0
        self.order_refusals = 0
        self._next_step = 0.0

    def routes(self, api: str) -> list[BaseRoute]:
        return [WebSocketRoute(f"{api}/ws", self), *_control_routes(self)]

    def advance(self, ticker: Ticker) -> None:
        """Move `ticker` on: a market step when one is due, an in-between update otherwise."""
        now = time.monotonic()
        if now < self._next_step:
            ticker.micro()
            return
        self._next_step = now + MARKET_STEP_S
        for quote in self.market.step():
            if (stepped := self.tickers.get(quote.conid)) is not None:
                stepped.apply(quote)
        self.desk.match()  # resting orders see the market move
        if self.portfolio is not None:
            self.portfolio.market_moved()

    def streaming(self, session: Session, conid: int) -> bool:
        """Whether `session` has live market data for `conid` (a snapshot or an smd line): o354 otherwise."""
        if conid in session.snapshot_fields:
            return True
        return any(c.session is session and conid in c.lines for c in self.connections)

    def order_topic(self, connection: Connection, topic: str, rest: str) -> None:
        """`sor`/`uor` and `str`/`utr`: live order updates and executions for the socket's accounts."""
        key, accounts = id(connection), frozenset(connection.consumer.accounts)
        if topic in ("sor", "str") and self.order_refusals > 0:
            self.order_refusals -= 1
            connection.outbox.append('{"error":"unable to subscribe"}')
        elif topic == "sor":
            self.desk.subscribe_orders(key, connection.outbox, accounts)
        elif topic == "uor":
            self.desk.order_sinks.pop(key, None)
        elif topic == "str":
            try:
                options = json.loads(rest) if rest.strip() else {}
            except ValueError:
                options = {}
            realtime = isinstance(options, dict) and options.get("realtimeUpdatesOnly") is True
            self.desk.subscribe_trades(key, connection.outbox, accounts, history=not realtime)
        else:
            self.desk.trade_sinks.pop(key, None)

    def pnl_topic(self, connection: Connection, topic: str) -> None:
        """`spl+{}`: the P&L of the socket's accounts, pushed as it changes; `upl+{}` stops it."""
        if self.portfolio is None:
            connection.outbox.append('{"error":"unable to subscribe"}')
        elif topic == "spl":
            self.portfolio.subscribe(id(connection), connection.outbox, frozenset(connection.consumer.accounts))
        else:
            self.portfolio.forget(id(connection))

    def ladder(self, ticker: Ticker, topic: str) -> str:
        """A full sbd snapshot, highest price first; the row at the last trade's price is the focus."""
        bids, asks = self.market.book(ticker.conid, DEPTH_LEVELS)
        if bids[0][0] == ticker.bid and asks[0][0] == ticker.ask:  # the top sizes the smd stream showed
            bids[0], asks[0] = (ticker.bid, ticker.bid_size), (ticker.ask, ticker.ask_size)
        last = None if ticker.last is None else ticker.price(ticker.last)
        rows: list[dict[str, Any]] = []
        for side, levels in (("ask", reversed(asks)), ("bid", bids)):
            for price, size in levels:
                text = ticker.price(price)
                focus = text == last
                shown = f"{format_size(ticker.last_size)} @ {text}" if focus else text
                rows.append({"row": len(rows), "focus": int(focus), "price": shown, side: format_size(size)})
        return dumps({"topic": topic, "data": rows})

    def hello(self, consumer: Consumer) -> list[str]:
        """The frames a new connection starts with: system, act, sts."""
        username, accounts = consumer.username, list(consumer.accounts)
        paper = all(a.startswith("D") for a in accounts)
        act = {"accounts": accounts, "selectedAccount": accounts[0], "isPaper": paper, "serverInfo": SERVER_INFO}
        sts = {"authenticated": True, "competing": False, "connected": True, "message": "", "fail": ""}
        return [
            dumps({"topic": "system", "success": username, "isFT": False, "isPaper": paper}),
            dumps({"topic": "act", "args": act}),
            dumps({"topic": "sts", "args": sts | SERVER_INFO | {"username": username}}),
        ]

    # ---- sessions ------------------------------------------------------------------------------

    def authenticate(
        self, cookie: str | None, token: str | None, bearer: str | None = None
    ) -> tuple[Consumer, Session] | None:
        """The consumer and live brokerage session an `api` cookie stands for, with OAuth 1.0a's
        `oauth_token` or OAuth 2.0's SSO bearer token (the cookie goes with either, not instead)."""
        if not cookie:
            return None
        if bearer:
            principal = self.sso.principal(bearer, time.time())
            candidates = [] if principal is None else [principal]
        elif token:
            now = time.time()
            candidates = [c for c in self.registry.all() if c.credential is None and c.grant(token, now) is not None]
        else:
            return None
        for consumer in candidates:
            session = consumer.session
            if session is not None and session.session_id == cookie and self.authenticated(consumer, session, token):
                return consumer, session
        return None

    def authenticated(self, consumer: Consumer, session: Session, access_token: str | None) -> bool:
        """Whether the brokerage session a socket opened with is still the consumer's, live and not idle, and the
        access token it opened with (OAuth 1.0a) is still accepted: a token whose grace period ended loses it."""
        return (
            self.registry.get(consumer.consumer_key) is consumer
            and consumer.session is session
            and session.brokerage
            and time.monotonic() - session.last_seen <= self.idle_timeout_s
            and (access_token is None or consumer.grant(access_token, time.time()) is not None)
        )

    # ---- faults --------------------------------------------------------------------------------

    def drop(self) -> int:
        for connection in self.connections:
            connection.dropped.set()
        return len(self.connections)

    def stall(self, seconds: float) -> int:
        self.stalled_until = max(self.stalled_until, time.monotonic() + seconds)
        return len(self.connections)

    def garbage(self, count: int) -> int:
        for connection in self.connections:
            connection.outbox.extend(GARBAGE_FRAMES[i % len(GARBAGE_FRAMES)] for i in range(count))
        return len(self.connections)

    def inject(self, frames: list[str]) -> int:
        for connection in self.connections:
            connection.outbox.extend(frames)
        return len(self.connections)

    def backlog(self, count: int) -> int:
        for connection in self.connections:
            connection.backlog += count
        return len(self.connections)

    def unauthenticate(self) -> int:
        """End every consumer's session; each socket notices at its next wake-up and sends sts."""
        for consumer in self.registry.all():
            consumer.end_session()
        return len(self.connections)

    # ---- the endpoint --------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        query = websocket.query_params
        bearer = query.get("bearer_token") or query.get("sessionToken")
        token = None if bearer else query.get("oauth_token")
        identity = self.authenticate(websocket.cookies.get("api"), token, bearer)
        await websocket.accept()
        if identity is None:
            await websocket.close(code=1008, reason="not authenticated")
            return
        connection = Connection(self, *identity, receive, send, access_token=token)
        self.connections.add(connection)
        try:
            await connection.run()
        except OSError:
            pass  # the client went away while a frame was being sent
        finally:
            self.connections.discard(connection)
            self.desk.forget(id(connection))
            if self.portfolio is not None:
                self.portfolio.forget(id(connection))


def _apply_fault(hub: StreamHub, body: Any) -> dict[str, Any]:
    """Apply exactly one fault; ValueError says what is wrong with the request."""
    names = "'drop', 'stall_s', 'garbage', 'backlog', 'sts_unauthenticated', 'frames' or 'refuse_order_topics'"
    if not isinstance(body, dict) or len(body) != 1:
        raise ValueError(f"give exactly one of {names}")
    ((name, value),) = body.items()
    if name in ("drop", "sts_unauthenticated"):
        if value is not True:
            raise ValueError(f"'{name}' must be true")
        count = hub.drop() if name == "drop" else hub.unauthenticate()
    elif name == "stall_s":
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= MAX_STALL_S:
            raise ValueError(f"'stall_s' must be a number of seconds, more than 0 and at most {MAX_STALL_S:g}")
        count = hub.stall(float(value))
    elif name == "garbage":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_GARBAGE:
            raise ValueError(f"'garbage' must be a whole number from 1 to {MAX_GARBAGE}")
        count = hub.garbage(value)
    elif name == "backlog":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_BACKLOG:
            raise ValueError(f"'backlog' must be a whole number from 1 to {MAX_BACKLOG}")
        count = hub.backlog(value)
    elif name == "frames":
        if (
            not isinstance(value, list)
            or not 1 <= len(value) <= MAX_GARBAGE
            or not all(isinstance(f, str) for f in value)
        ):
            raise ValueError(f"'frames' must be a list of 1 to {MAX_GARBAGE} text frames")
        count = hub.inject(value)
    elif name == "refuse_order_topics":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_GARBAGE:
            raise ValueError(f"'refuse_order_topics' must be a whole number from 1 to {MAX_GARBAGE}")
        hub.order_refusals = value
        count = len(hub.connections)
    else:
        raise ValueError(f"unknown fault {name!r}; use {names}")
    return {"fault": name, "value": value, "connections": count}


def _bad_request(message: str) -> JSONResponse:
    return JSONResponse({"error": message, "statusCode": 400}, status_code=400)


def _control_routes(hub: StreamHub) -> list[Route]:
    """The sandbox-only stream controls (no OAuth, never under /v1/api)."""

    async def settings(request: Request) -> JSONResponse:
        try:
            return JSONResponse(hub.settings.update(json.loads(await request.body())))
        except ValueError as exc:  # json.JSONDecodeError is a ValueError too
            return _bad_request(str(exc))

    async def faults(request: Request) -> JSONResponse:
        try:
            return JSONResponse(_apply_fault(hub, json.loads(await request.body())))
        except ValueError as exc:
            return _bad_request(str(exc))

    return [
        Route("/sandbox/ibkr/stream", settings, methods=["POST"]),
        Route("/sandbox/ibkr/stream/faults", faults, methods=["POST"]),
    ]
