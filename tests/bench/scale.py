"""The 100-instrument run: 100 smd lines and 10 depth ladders at IBKR's own rates, a burst, the viewer painting.

Rates come from IBKR's Client Portal API documentation (the market data pacing notes): an smd line is
snapshot-interval based, "All Products 500ms", so 2 frames/s per line and 200 frames/s for 100 lines;
an account has 100 market data lines by default. IBKR keeps one price ladder per account
(`sbd+ACCT+CONID`), so 10 ladders take 10 accounts: the consumer is registered with 10 and
one feed per account streams 10 of the 100 instruments and one ladder. How often IBKR pushes a ladder is
not documented; 5 a second, the sandbox's default, errs on the busy side.

The burst is what a reconnect brings: every socket dropped at once, each feed reconnecting and
re-subscribing (100 first snapshots and 10 ladders), then `BACKLOG_PER_SOCKET` frames per socket sent
back to back (the sandbox's backlog fault: what a stalled network delivers at once).

The feeds are opened with `IbkrMarketSource.open_feed()` and driven through the `MarketFeed` protocol,
plus `subscribe` for a feed's other lines (`LineFeed`); the window's feed is the market controller's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import httpx
from PySide6.QtCore import QObject, Qt, QTimer, Signal

from brokers.core.market import MarketFeed
from brokers.sandbox.market import market_instruments
from tests.bench.harness import connected_session, paint_now, percentile
from tests.sandbox_runner import SandboxRunner
from tests.waiting import until_async

if TYPE_CHECKING:
    from widgets.market_viewer import MarketViewer

INSTRUMENTS = 100
ACCOUNTS = tuple(f"DU{1234567 + n}" for n in range(10))
LINES_PER_FEED = INSTRUMENTS // len(ACCOUNTS)
LINE_RATE_HZ = 2.0  # "All Products 500ms"
LADDER_RATE_HZ = 5.0
BACKLOG_PER_SOCKET = 500
REFRESH_HZ = 60
LAG_PROBE_S = 0.005
WAIT_S = 60.0


class LineFeed(MarketFeed, Protocol):
    """A feed that streams more lines than the one it watches (the IBKR worker's `subscribe`)."""

    def subscribe(self, conid: int) -> None: ...


class _NoChanges(QObject):
    """The sessions' change signal, for a market controller fed by one already connected session."""

    changed = Signal()


class _Probe:
    """Loop lag (a 5 ms sleep's overshoot) and paint times, kept into whichever list is current."""

    def __init__(self) -> None:
        self.lags: list[float] | None = None
        self.paints: list[float] | None = None

    async def lag(self) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(LAG_PROBE_S)
            if self.lags is not None:
                self.lags.append((time.perf_counter() - started - LAG_PROBE_S) * 1000)

    def painter(self, refresh: Callable[[], None], viewer: MarketViewer) -> Callable[[], None]:
        """`refresh`, timed with the paint Qt does next whenever the viewer rendered a new picture."""

        def refresh_and_paint() -> None:
            before, started = viewer.render_count, time.perf_counter()
            refresh()
            if viewer.render_count != before:
                paint_now(viewer.chart.scene())
                if self.paints is not None:
                    self.paints.append((time.perf_counter() - started) * 1000)

        return refresh_and_paint


def frames(feeds: Sequence[MarketFeed]) -> int:
    return sum(feed.state.frames for feed in feeds)


async def scale_phase(seconds: float) -> dict[str, float]:
    """Steady loop lag and paint time over `seconds` at IBKR's rates, then the burst's worst loop lag."""
    sandbox = SandboxRunner(instruments=INSTRUMENTS)
    try:
        session = await connected_session(sandbox, accounts=ACCOUNTS)
        sandbox.configure_stream(rate=LINE_RATE_HZ * LINES_PER_FEED, depth_rate=LADDER_RATE_HZ, hb_interval_s=10)
        try:
            async with _viewer_and_feeds(session) as (feeds, probe):
                return await _measure(sandbox, feeds, probe, seconds)
        finally:
            await session.close()
    finally:
        sandbox.close()


@contextlib.asynccontextmanager
async def _viewer_and_feeds(session: Any) -> AsyncIterator[tuple[list[MarketFeed], _Probe]]:
    """The offscreen window with its market controller on the first account's feed, and the other 9 feeds."""
    from app.gui import settle_after_startup
    from app.market_controller import MarketController
    from app.operations import Operations
    from brokers.ibkr.market import IbkrMarketSource
    from brokers.ibkr.profile import IbkrProfile
    from widgets.main_window import MainWindow

    sources = [
        IbkrMarketSource(
            IbkrProfile(name=f"bench{n}", base_url=session.base_url, consumer_key="BDBENCH01", account=account),
            session,
        )
        for n, account in enumerate(ACCOUNTS)
    ]
    window = MainWindow()
    window.show()
    changes = _NoChanges()
    # The controller's own timer is slowed to never; the probe's timer refreshes at 60 Hz and times the paint.
    market = MarketController(
        window.market_viewer, lambda: sources[:1], changes.changed, Operations(lambda e: None), 1e-6
    )
    market.start()
    settle_after_startup()
    assert market.feed is not None
    feeds: list[MarketFeed] = [market.feed, *(source.open_feed() for source in sources[1:])]
    tasks = [asyncio.get_running_loop().create_task(feed.run()) for feed in feeds[1:]]
    conids = [instrument.conid for instrument in market_instruments(INSTRUMENTS)]
    for n, feed in enumerate(feeds):
        lines = conids[n * LINES_PER_FEED : (n + 1) * LINES_PER_FEED]
        if n == 0:
            market.choose(lines[0])
        else:
            feed.watch(lines[0])
        for conid in lines[1:]:
            _as_line_feed(feed).subscribe(conid)
    probe = _Probe()
    viewer = window.market_viewer
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(round(1000 / REFRESH_HZ))
    timer.timeout.connect(probe.painter(market.refresh, viewer))
    timer.start()
    lag = asyncio.get_running_loop().create_task(probe.lag())
    try:
        yield feeds, probe
    finally:
        timer.stop()
        for task in (lag, *tasks):
            task.cancel()
        await asyncio.gather(lag, *tasks, return_exceptions=True)
        await market.stop()
        window.close()


def _as_line_feed(feed: MarketFeed) -> LineFeed:
    if not callable(getattr(feed, "subscribe", None)):
        raise TypeError(f"{type(feed).__name__} cannot stream more than the instrument it watches")
    return feed  # type: ignore[return-value]


async def _measure(sandbox: SandboxRunner, feeds: list[MarketFeed], probe: _Probe, seconds: float) -> dict[str, float]:
    expected = INSTRUMENTS + len(ACCOUNTS)  # every line's first snapshot and every first ladder
    await until_async(lambda: frames(feeds) >= 4 * expected, WAIT_S, message="the 10 feeds to stream their lines")
    await asyncio.sleep(2)  # past the first snapshots
    lags: list[float] = []
    paints: list[float] = []
    probe.lags, probe.paints = lags, paints
    before, started = frames(feeds), time.perf_counter()
    await asyncio.sleep(seconds)
    steady_fps = (frames(feeds) - before) / (time.perf_counter() - started)
    probe.lags = probe.paints = None

    burst_lags: list[float] = []
    reconnects = sum(feed.state.reconnects for feed in feeds)
    async with httpx.AsyncClient(base_url=sandbox.services["ibkr"], timeout=10) as http:
        probe.lags = burst_lags
        before, started = frames(feeds), time.perf_counter()
        (await http.post("/sandbox/ibkr/stream/faults", json={"drop": True})).raise_for_status()
        await until_async(
            lambda: all(f.state.connected for f in feeds) and sum(f.state.reconnects for f in feeds) >= reconnects + 10,
            WAIT_S,
            message="every feed to reconnect after the drop",
        )
        (await http.post("/sandbox/ibkr/stream/faults", json={"backlog": BACKLOG_PER_SOCKET})).raise_for_status()
        burst = expected + int(0.9 * BACKLOG_PER_SOCKET * len(ACCOUNTS))
        await until_async(lambda: frames(feeds) - before >= burst, WAIT_S, message="the burst to arrive")
        burst_s = time.perf_counter() - started
        await asyncio.sleep(0.5)  # the tail of the burst, and the loop settling
        probe.lags = None
        burst_frames = frames(feeds) - before
    return {
        "scale_fps": steady_fps,
        "scale_loop_lag_p50_ms": percentile(lags, 0.50),
        "scale_loop_lag_p99_ms": percentile(lags, 0.99),
        "scale_paint_ms_p50": percentile(paints, 0.50),
        "scale_paint_ms_p99": percentile(paints, 0.99),
        "scale_paints_per_s": len(paints) / seconds,
        "scale_burst_frames": float(burst_frames),
        "scale_burst_s": burst_s,
        "scale_burst_loop_lag_max_ms": max(burst_lags, default=float("nan")),
    }
