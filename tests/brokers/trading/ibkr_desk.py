"""A real trading desk over the sandbox's IBKR: its order route, its WebSocket market feed and the session's facts.

Everything the desk is handed is what the window hands it: the route of a connected `IbkrSession`, the book of
the `MarketStream` that `IbkrMarketSource.open_feed()` returns (watching AAPL), and a readiness checklist built
by `session_inputs` + `checklist` from IBKR's credential health, the route's account and clock offset, the
feed's data age and the desk's limits. Only the connector session around the `IbkrSession` is this module's
(`SandboxConnection`): it reports health and the route exactly as `IbkrLiveSession` does, without a vault.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from brokers.core.connector import ConnectorSession
from brokers.core.health import CredentialHealth
from brokers.core.order_route import OrderRoute
from brokers.core.orders import OrderRequest, OrderType
from brokers.ibkr.book import InstrumentBook
from brokers.ibkr.connector import IbkrConnector
from brokers.ibkr.health import ibkr_health
from brokers.ibkr.market import IbkrMarketSource
from brokers.ibkr.orders import IbkrOrderRoute
from brokers.ibkr.profile import IbkrProfile
from brokers.ibkr.session import IbkrSession, SessionPhase
from brokers.ibkr.stream import MarketStream
from brokers.trading.audit import AuditLog
from brokers.trading.desk import TradingDesk
from brokers.trading.gate import ModeGate
from brokers.trading.limits import LimitsStore
from brokers.trading.mode_state import ModeStore
from brokers.trading.readiness import Checklist, checklist, session_inputs
from brokers.trading.simulator import ShadowSimulator
from tests.brokers.ibkr.order_peer import AAPL, Desk, order_desk, request
from tests.waiting import until_async

PROFILE = "ibkr-test"  # the sandbox gateway's profile, and the one `order_peer.request` orders for
WAIT_S = 20.0
"""The bound on every wait: generous, since a wait that succeeds returns at once."""
CENT = Decimal("0.01")
ORDER_KINDS = ("place", "reply", "modify", "cancel")


class SandboxConnection(ConnectorSession):
    """The connected session as `IbkrLiveSession` reports it: IBKR's health, and the route while it is ready."""

    def __init__(self, profile: IbkrProfile, session: IbkrSession, route: IbkrOrderRoute) -> None:
        self._profile, self._session, self._route = profile, session, route
        self.dropped = False  # the connection went away (the window closed the session)

    async def run(self) -> None:
        await self._session.run()

    def health(self, now: float) -> CredentialHealth | None:
        return None if self.dropped else ibkr_health(self._profile, self._session.snapshot, now)

    def order_route(self) -> OrderRoute | None:
        snapshot = self._session.snapshot
        if self.dropped or snapshot.phase != SessionPhase.READY or not snapshot.authenticated:
            return None
        return self._route


@dataclass
class DeskRig:
    peer: Desk
    feed: MarketStream
    connection: SandboxConnection
    data_dir: Path
    feed_clock_skew_s: float = 0.0  # added to the clock the feed's data age is read with (a feed gone quiet)

    # -- what the desk is handed, as the window hands it --------------------------------------------------

    def checklist(self) -> Checklist:
        now_monotonic = time.monotonic() + self.feed_clock_skew_s
        facts = session_inputs(
            PROFILE,
            IbkrConnector.trades,
            self.connection,
            LimitsStore(self.data_dir).get(PROFILE),
            self.feed.data_age(AAPL, now_monotonic),
            "AAPL via IBKR WebSocket",
            time.time(),
        )
        return checklist(facts)

    def quotes_for(self, request: OrderRequest) -> InstrumentBook | None:
        return self.feed.quotes(request.conid) if request.conid == AAPL else None  # only AAPL is streamed

    def gate(self, who: str = "window", data_dir: Path | None = None) -> ModeGate:
        data_dir = data_dir or self.data_dir
        return ModeGate(ModeStore(data_dir), AuditLog(data_dir), who)

    def desk(self, gate: ModeGate | None = None) -> TradingDesk:
        """A desk on the rig's data dir; another one on the same dir is the window or the CLI after a restart."""
        gate = gate or self.gate()
        return TradingDesk(
            self.data_dir,
            gate.who,
            gate,
            route_for=lambda profile: self.connection.order_route() if profile == PROFILE else None,
            readiness_for=lambda _request: self.checklist(),
            quotes_for=self.quotes_for,
            simulator=ShadowSimulator(),
        )

    def arm(self, gate: ModeGate) -> None:
        """LIVE as the window arms it: the checklist, the issued phrase typed back, the checklist once more."""
        route = self.connection.order_route()
        arming = gate.begin_arming(PROFILE, self.checklist(), route.account if route is not None else "")
        gate.confirm(PROFILE, arming.phrase, self.checklist())

    # -- reading the market and the gateway --------------------------------------------------------------

    def book(self) -> InstrumentBook:
        book = self.feed.quotes(AAPL)
        assert book is not None
        return book

    def touch(self) -> tuple[Decimal, Decimal]:
        """The feed's bid and ask now."""
        book = self.book()
        assert book.bid is not None
        assert book.ask is not None
        return Decimal(repr(book.bid)), Decimal(repr(book.ask))

    def resting_buy(self) -> Decimal:
        """A buy limit two dollars under the bid: it rests (the market moves a cent a tick) and asks nothing
        (within IBKR's 3 % of the market)."""
        return self.touch()[0] - 2

    async def received(self, *kinds: str) -> list[dict[str, Any]]:
        return await self.peer.received(*(kinds or ORDER_KINDS))

    async def placed(self, key: str) -> list[dict[str, Any]]:
        """The place requests that reached the gateway carrying `key` as their cOID."""
        return [e for e in await self.peer.received("place") if e["body"]["orders"][0].get("cOID") == key]

    async def broker_orders(self, key: str) -> list[dict[str, Any]]:
        """The gateway's own orders (live or not) carrying `key`."""
        response = await self.peer.gw.http.get(f"{self.peer.gw.url}/sandbox/ibkr/orders")
        return [row for row in response.json()["orders"] if row["order_ref"] == key]


def order(order_type: OrderType, quantity: int, decision_id: str, **fields: Any) -> OrderRequest:
    return replace(request(order_type, quantity, **fields), decision_id=decision_id)


@asynccontextmanager
async def desk_over_sandbox(data_dir: Path, per_order: str | None, daily: str | None) -> AsyncIterator[DeskRig]:
    """A fresh sandbox with a connected session, its route, and the app's feed streaming AAPL live with depth."""
    async with order_desk() as peer:
        profile = peer.gw.profile()
        feed = IbkrMarketSource(profile, peer.session).open_feed()
        task = asyncio.create_task(feed.run())
        try:
            feed.watch(AAPL)
            await until_async(lambda: _live_with_depth(feed), WAIT_S)
            LimitsStore(data_dir).set(PROFILE, per_order, daily)
            yield DeskRig(peer, feed, SandboxConnection(profile, peer.session, peer.route), data_dir)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


def run_over_sandbox(
    data_dir: Path,
    scenario: Callable[[DeskRig], Awaitable[None]],
    per_order: str | None = "250000",
    daily: str | None = "1000000",
) -> None:
    """Run `scenario` on a fresh desk rig (the limits set as given) and wait for it."""
    from tests.conftest import run_async

    async def main() -> None:
        async with desk_over_sandbox(data_dir, per_order, daily) as rig:
            await scenario(rig)

    run_async(main)


def _live_with_depth(feed: MarketStream) -> bool:
    book = feed.quotes(AAPL)
    live = feed.data_age(AAPL, time.monotonic()) == "live"
    return live and book is not None and book.bid is not None and book.ask is not None and len(book.asks) >= 3
