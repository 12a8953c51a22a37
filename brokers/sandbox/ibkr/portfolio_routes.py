"""The emulated IBKR portfolio endpoints, with the caches, pacing and first-call quirks clients trip over.

- `/portfolio/accounts` first in every session: until then meta, summary, ledger and both positions
  endpoints answer empty (IBKR gives empty or stale data, no error). It is paced at 1 per 5 s per login (429).
- The paged `/portfolio/{acct}/positions/{page}` (100 a page) is built once per session and account and then
  frozen, prices and positions both, until `POST /portfolio/{acct}/positions/invalidate`; a position closed
  while the session watched it keeps a `position: 0` row for the rest of the session.
- `/portfolio2/{acct}/positions` is uncached: live marks, `marketPrice`/`marketValue`, the conid as a string.
- `/iserver/account/pnl/partitioned` needs the brokerage session, answers `{"upnl":{}}` to a session's first
  call, then `{acct}.Core` with `el`; paced at 1 per 5 s per session.
- The `spl` WebSocket topic pushes the same row with `uel` after every fill and as the market moves.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from brokers.sandbox.ibkr.consumers import Consumer, Session
from brokers.sandbox.ibkr.order_desk import OrderDesk
from brokers.sandbox.ibkr.order_routes import Handler
from brokers.sandbox.ibkr.portfolio import PositionBook
from brokers.sandbox.ibkr.portfolio_rows import (
    PAGE_SIZE,
    account_row,
    ledger,
    pnl_row,
    portfolio2_row,
    position_row,
    summary,
)
from brokers.sandbox.ibkr.ticker import dumps
from brokers.sandbox.market import SyntheticMarket

DEFAULT_ACCOUNTS_INTERVAL_S = 5.0
DEFAULT_PNL_INTERVAL_S = 5.0
SPL_MARKET_PUSH_S = 1.0  # how often `spl` pushes a change the market alone made

Sink = tuple[deque[str], frozenset[str]]


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message, "statusCode": status}, status_code=status)


@dataclass
class PortfolioSession:
    """What one session did with the portfolio: the pre-flight, its frozen pages, what it saw, its P&L calls."""

    listed: bool = False
    pages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    seen: set[tuple[str, int]] = field(default_factory=set)
    pnl_calls: int = 0
    pnl_last_at: float | None = None


@dataclass
class PortfolioSettings:
    accounts_interval_s: float = DEFAULT_ACCOUNTS_INTERVAL_S
    pnl_interval_s: float = DEFAULT_PNL_INTERVAL_S
    portfolio2: bool = True  # False: `/portfolio2` answers 404, as where IBKR does not serve it


class PortfolioEndpoints:
    """The portfolio of one sandbox's IBKR: the position book the desk's fills feed, and its routes."""

    def __init__(self, market: SyntheticMarket, last_trade: dict[int, float], desk: OrderDesk) -> None:
        self.book = PositionBook(market, last_trade)
        self.settings = PortfolioSettings()
        self.sessions: dict[str, PortfolioSession] = {}
        self.accounts_last_at: dict[str, float] = {}  # per login
        self.pnl_sinks: dict[int, Sink] = {}
        self._pushed: dict[int, str] = {}
        self._next_market_push = 0.0
        desk.fill_listeners.append(self.filled)

    def reset(self) -> None:
        self.book.reset()
        self.settings = PortfolioSettings()
        self.sessions.clear()
        self.accounts_last_at.clear()

    def routes(self) -> list[tuple[str, Handler, list[str]]]:
        return [
            ("/portfolio/accounts", self.accounts, ["GET"]),
            ("/portfolio/{account}/meta", self.meta, ["GET"]),
            ("/portfolio/{account}/summary", self.summary, ["GET"]),
            ("/portfolio/{account}/ledger", self.ledger, ["GET"]),
            ("/portfolio/{account}/positions/invalidate", self.invalidate, ["POST"]),
            ("/portfolio/{account}/positions/{page}", self.positions, ["GET"]),
            ("/portfolio2/{account}/positions", self.positions2, ["GET"]),
            ("/iserver/account/pnl/partitioned", self.pnl, ["GET"]),
        ]

    def _session(self, session: Session) -> PortfolioSession:
        return self.sessions.setdefault(session.session_id, PortfolioSession())

    def _listed(self, request: Request, consumer: Consumer, session: Session) -> str | Response:
        """The account a request names once the session listed the accounts; else the answer to give."""
        account = request.path_params["account"]
        if account not in consumer.accounts:
            return _error(400, f"Bad Request: accountId is not valid: {account}")
        if not self._session(session).listed:
            return JSONResponse([])
        return str(account)

    # ---- accounts ------------------------------------------------------------------------------

    async def accounts(self, request: Request, consumer: Consumer, session: Session) -> Response:
        now, last = time.monotonic(), self.accounts_last_at.get(consumer.consumer_key)
        if last is not None and now < last + self.settings.accounts_interval_s:
            return _error(429, "Too many requests")
        self.accounts_last_at[consumer.consumer_key] = now
        self._session(session).listed = True
        return JSONResponse([account_row(a) for a in consumer.accounts])

    async def meta(self, request: Request, consumer: Consumer, session: Session) -> Response:
        account = self._listed(request, consumer, session)
        return account if isinstance(account, Response) else JSONResponse(account_row(account))

    async def summary(self, request: Request, consumer: Consumer, session: Session) -> Response:
        account = self._listed(request, consumer, session)
        if isinstance(account, Response):
            return account
        return JSONResponse(summary(self.book, account, int(time.time() * 1000)))

    async def ledger(self, request: Request, consumer: Consumer, session: Session) -> Response:
        account = self._listed(request, consumer, session)
        if isinstance(account, Response):
            return account
        return JSONResponse(ledger(self.book, account, int(time.time())))

    # ---- positions -----------------------------------------------------------------------------

    def _holdings(self, state: PortfolioSession, account: str) -> list[Any]:
        """What a session's positions show: every open holding, and the ones it saw open before (at 0)."""
        holdings = self.book.account(account).holdings.values()
        shown = [h for h in holdings if h.quantity != 0 or (account, h.conid) in state.seen]
        state.seen |= {(account, h.conid) for h in shown if h.quantity != 0}
        return sorted(shown, key=lambda h: self.book.contract(h.conid).symbol)

    def _build(self, state: PortfolioSession, account: str) -> list[dict[str, Any]]:
        started = time.monotonic()
        holdings = self._holdings(state, account)
        built_ms = int((time.monotonic() - started) * 1000)
        rows = state.pages[account] = [position_row(self.book, account, h, built_ms) for h in holdings]
        return rows

    async def positions(self, request: Request, consumer: Consumer, session: Session) -> Response:
        account = self._listed(request, consumer, session)
        if isinstance(account, Response):
            return account
        page = request.path_params["page"]
        if not page.isdecimal():
            return _error(400, f"pageId must be a whole number, not {page!r}")
        state = self._session(session)
        rows = state.pages.get(account)
        if rows is None:
            rows = self._build(state, account)
        start = int(page) * PAGE_SIZE
        return JSONResponse(rows[start : start + PAGE_SIZE])

    async def invalidate(self, request: Request, consumer: Consumer, session: Session) -> Response:
        account = request.path_params["account"]
        if account not in consumer.accounts:
            return _error(400, f"Bad Request: accountId is not valid: {account}")
        state = self._session(session)
        state.pages.pop(account, None)
        if state.listed:
            self._build(state, account)  # IBKR: it "calls positions/0 automatically"
        return JSONResponse({"message": "success"})

    async def positions2(self, request: Request, consumer: Consumer, session: Session) -> Response:
        if not self.settings.portfolio2:
            return _error(404, "Resource not found")
        account = self._listed(request, consumer, session)
        if isinstance(account, Response):
            return account
        now_s = int(time.time())
        holdings = self._holdings(self._session(session), account)
        return JSONResponse([portfolio2_row(self.book, h, now_s) for h in holdings])

    # ---- P&L -----------------------------------------------------------------------------------

    async def pnl(self, request: Request, consumer: Consumer, session: Session) -> Response:
        if not session.brokerage:
            return _error(400, "Bad Request: no bridge")
        state, now = self._session(session), time.monotonic()
        if state.pnl_last_at is not None and now < state.pnl_last_at + self.settings.pnl_interval_s:
            return _error(429, "Too many requests")
        state.pnl_last_at = now
        state.pnl_calls += 1
        if state.pnl_calls == 1:
            return JSONResponse({"upnl": {}})
        rows = {f"{a}.Core": pnl_row(self.book.figures(a), "el") for a in consumer.accounts}
        return JSONResponse({"upnl": rows})

    # ---- spl -----------------------------------------------------------------------------------

    def subscribe(self, key: int, outbox: deque[str], accounts: frozenset[str]) -> None:
        """`spl+{}`: the P&L now, then a push whenever it changes."""
        self.pnl_sinks[key] = (outbox, accounts)
        self._push(key)

    def forget(self, key: int) -> None:
        self.pnl_sinks.pop(key, None)
        self._pushed.pop(key, None)

    def filled(self, account: str, conid: int, quantity: Decimal, price: Decimal, commission: Decimal) -> None:
        self.book.fill(account, conid, quantity, price, commission)
        for key, (_, accounts) in list(self.pnl_sinks.items()):
            if account in accounts:
                self._push(key)

    def market_moved(self) -> None:
        """Push what the market changed, at most every `SPL_MARKET_PUSH_S`."""
        now = time.monotonic()
        if not self.pnl_sinks or now < self._next_market_push:
            return
        self._next_market_push = now + SPL_MARKET_PUSH_S
        for key in list(self.pnl_sinks):
            self._push(key)

    def _push(self, key: int) -> None:
        outbox, accounts = self.pnl_sinks[key]
        rows = {f"{a}.Core": pnl_row(self.book.figures(a), "uel") for a in sorted(accounts)}
        frame = dumps({"topic": "spl", "args": rows})
        if self._pushed.get(key) != frame:
            self._pushed[key] = frame
            outbox.append(frame)
