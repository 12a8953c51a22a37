"""A profile connected from a terminal, the way the window connects it, for as long as one command runs.

`brokerdeck mode live` and `brokerdeck orders place` must judge readiness themselves (the window may not be
running) and send LIVE orders through the same session a window would use. This opens the profile's
connector session, waits until it can route orders (or says why it cannot), and, when an instrument is
named, streams that instrument until its data is live, so the checklist and the SHADOW simulator see what
the window would show.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from app.operations import cancel_and_wait
from app.sandbox import SandboxEndpoints
from brokers.core.connector import Connector, ConnectorSession, SessionEnv
from brokers.core.errors import BrokerError
from brokers.core.health import ConnectionState, CredentialHealth
from brokers.core.market import DataAge, InstrumentQuotes, MarketFeed, MarketSource
from brokers.core.order_route import OrderRoute
from brokers.core.profiles import Profile, ProfileOrigin
from brokers.core.secrets import SecretStore

CONNECT_PATIENCE_S = 25.0  # a first LST and brokerage session take a few signed round trips
MARKET_PATIENCE_S = 10.0  # the first quotes of a fresh subscription
# States after which a settled session changes nothing by waiting: the trader must act first (sign in,
# fix the profile); a settled session that is still not connected has nothing stored to connect with.
_GIVEN_UP = {
    ConnectionState.NOT_CONNECTED,
    ConnectionState.SIGN_IN_NEEDED,
    ConnectionState.FAILED,
    ConnectionState.EXPIRED,
}


@dataclass
class HeadlessConnection:
    """One profile's running session (if its connector has one) and its market feed (if one was asked for)."""

    profile: Profile
    connector: Connector[Profile]
    session: ConnectorSession | None
    feed: MarketFeed | None = None
    conid: int | None = None
    symbol: str = ""
    problem: str = ""  # why the named instrument is not streamed, when it is not
    lookup_failed: bool = False  # the broker could not be asked (rather than: it knows no such symbol)

    def health(self) -> CredentialHealth | None:
        return self.session.health(time.time()) if self.session is not None else None

    def route(self) -> OrderRoute | None:
        return self.session.order_route() if self.session is not None else None

    def quotes(self) -> InstrumentQuotes | None:
        if self.feed is None or self.conid is None:
            return None
        return self.feed.quotes(self.conid)

    def market_age(self) -> DataAge:
        if self.feed is None or self.conid is None:
            return "none"
        return self.feed.data_age(self.conid, time.monotonic())


@contextlib.asynccontextmanager
async def connected(
    connector: Connector[Profile],
    profile: Profile,
    vault: SecretStore,
    sandbox: SandboxEndpoints | None,
    instrument: int | str | None = None,
    *,
    stream: bool = True,
    ready: Callable[[HeadlessConnection], bool] | None = None,
) -> AsyncIterator[HeadlessConnection]:
    """Connect `profile` for the duration of the block, streaming `instrument` (a contract id, or a symbol to
    look up; without one, the instrument the window would open first; nothing when not `stream`); the block
    runs either way. The connection is awaited until `ready` holds (default: it can route orders) or the
    session gave up."""
    changed = asyncio.Event()
    env = SessionEnv(
        vault=vault,
        sandbox=sandbox.services if sandbox is not None and profile.origin == ProfileOrigin.SANDBOX else None,
        on_change=changed.set,
        on_vault_change=changed.set,
        restart=changed.set,
    )
    session = connector.open_session(profile, env)
    connection = HeadlessConnection(profile, connector, session)
    tasks: list[asyncio.Task[None]] = []
    try:
        if session is not None:
            tasks.append(asyncio.create_task(session.run()))
            waited = ready or (lambda c: c.route() is not None)
            await _until(lambda: waited(connection) or given_up(connection), changed, CONNECT_PATIENCE_S)
        source = session.market_source() if session is not None and stream else None
        if source is not None and isinstance(instrument, str):
            connection.problem = await _look_up(source, instrument, connection)
        conid = instrument if isinstance(instrument, int) else connection.conid
        if instrument is None and source is not None:
            conid = source.first_instrument  # what the window would open on first
        if conid is not None and source is not None:
            feed = connection.feed = source.open_feed()
            connection.conid = conid
            tasks.append(asyncio.create_task(feed.run()))
            feed.watch(conid)
            await _until(lambda: connection.market_age() == "live", None, MARKET_PATIENCE_S)
        yield connection
    finally:
        for task in reversed(tasks):
            await cancel_and_wait(task)
        if session is not None:
            await session.close()


async def _look_up(source: MarketSource, symbol: str, connection: HeadlessConnection) -> str:
    """Find the contract whose symbol is exactly `symbol`; what went wrong, or "" when found."""
    try:
        found = await source.search(symbol)
    except BrokerError as exc:
        connection.lookup_failed = True
        return f"could not look {symbol!r} up: {exc}"
    exact = [hit for hit in found if hit.symbol.upper() == symbol.strip().upper()]
    if not exact:
        near = ", ".join(hit.symbol for hit in found[:5])
        found_text = f" (found: {near})" if near else ""
        return (
            f"no instrument has the symbol {symbol!r}{found_text}: check the symbol, or give its contract id (--conid)"
        )
    connection.conid, connection.symbol = exact[0].conid, exact[0].symbol
    return ""


def given_up(connection: HeadlessConnection) -> bool:
    """The session settled in a state waiting cannot change: the trader must act first."""
    health = connection.health()
    return (
        health is not None
        and connection.session is not None
        and connection.session.settled
        and (health.state in _GIVEN_UP)
    )


async def _until(done: Callable[[], bool], changed: asyncio.Event | None, patience_s: float) -> None:
    """Wait until `done()` holds, looking again on every change (or every 100 ms), at most `patience_s`."""
    deadline = time.monotonic() + patience_s
    while not done() and time.monotonic() < deadline:
        if changed is not None:
            changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), timeout=0.1)
        else:
            await asyncio.sleep(0.1)
