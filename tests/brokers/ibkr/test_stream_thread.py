"""The market stream on its own thread: frames never touch the caller's loop, re-authentication goes back to
the session's loop, snapshots never show half a frame, and refusals reach the caller."""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from typing import Any

import pytest

from brokers.ibkr.book import BookModel
from brokers.ibkr.frames import MarketData
from brokers.ibkr.quote_snapshot import QuoteSnapshot
from brokers.ibkr.session import IbkrSession
from brokers.ibkr.stream import MarketStream, StreamError
from brokers.ibkr.stream_thread import ThreadedMarketStream
from tests.brokers.ibkr.sandbox_peer import running_gateway
from tests.conftest import run_async
from tests.waiting import until_async

AAPL, MSFT = 265598, 272093
ACCOUNT = "DU1234567"
WORKER = "brokerdeck-market-data"
WAIT_S = 20.0
"""The bound on every wait: generous, since a wait that succeeds returns at once."""


class ThreadNoting(BookModel):
    """Notes which thread merges each frame."""

    def __init__(self) -> None:
        super().__init__()
        self.merged_on: set[str] = set()

    def merge_market_data(self, frame: MarketData, arrival_ns: int) -> None:
        self.merged_on.add(threading.current_thread().name)
        super().merge_market_data(frame, arrival_ns)


class TickleNoting(IbkrSession):
    """Notes which thread each tickle (the stream's authentication) runs on."""

    tickled_on: list[str]

    async def tickle(self) -> dict[str, Any]:
        self.tickled_on.append(threading.current_thread().name)
        return await super().tickle()


def _workers() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == WORKER]


def test_frames_are_merged_on_the_worker_and_authentication_runs_on_the_sessions_loop():
    async def scenario() -> None:
        async with running_gateway() as gw:
            session = TickleNoting(gw.base_url, await gw.credentials())
            session.tickled_on = []
            await session.connect()
            book = ThreadNoting()
            feed = ThreadedMarketStream(MarketStream(session, book, account=ACCOUNT, backoff=(0.05, 0.5)))
            feed.watch(AAPL)  # before it runs: kept, and sent once connected
            task = asyncio.create_task(feed.run())
            try:
                await until_async(lambda: (q := feed.quotes(AAPL)) is not None and q.version > 3, WAIT_S)
                assert len(_workers()) == 1
                here = threading.current_thread().name
                before = len(session.tickled_on)
                (await gw.http.post(f"{gw.url}/sandbox/ibkr/stream/faults", json={"sts_unauthenticated": True}))
                await until_async(lambda: len(session.tickled_on) > before, WAIT_S)
                version = feed.quotes(AAPL).version
                await until_async(lambda: feed.quotes(AAPL).version > version + 3 and feed.state.connected, WAIT_S)
                assert book.merged_on == {WORKER}
                assert set(session.tickled_on) == {here}  # the session's HTTP client stays on its own loop
                assert feed.state.reconnects == 1
                assert feed.data_age(AAPL, feed.quotes(AAPL).last_frame_monotonic) == "live"
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                await session.close()
            assert _workers() == []  # the thread ended with the feed

    run_async(scenario)


def test_refusals_are_raised_to_the_caller_while_it_streams():
    async def scenario() -> None:
        async with running_gateway() as gw:
            session = IbkrSession(gw.base_url, await gw.credentials())
            await session.connect()
            feed = ThreadedMarketStream(MarketStream(session, BookModel(), account=ACCOUNT, max_lines=2))
            task = asyncio.create_task(feed.run())
            try:
                feed.subscribe(AAPL)
                feed.subscribe(MSFT)
                await until_async(lambda: feed.state.connected, WAIT_S)
                with pytest.raises(StreamError, match="all 2 market data lines are in use"):
                    feed.subscribe(3)
                with pytest.raises(ValueError, match="a conid is a positive int"):
                    feed.watch(-1)
                with pytest.raises(ValueError, match="invalid exchange"):
                    feed.subscribe_depth(AAPL, "SMART+X")
                feed.unsubscribe(MSFT)
                feed.subscribe(3)  # the freed line is usable again
                assert feed.state.subscriptions == (AAPL, 3)
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                await session.close()

    run_async(scenario)


def _frame(k: int) -> str:
    """A quote frame whose fields all follow from k: a reader can tell if it saw two frames at once."""
    return json.dumps(
        {"topic": f"smd+{AAPL}", "conid": AAPL, "84": f"{k}.00", "86": f"{k + 1}.00", "88": str(k), "85": str(k)}
    )


def _torn(snapshot: QuoteSnapshot) -> str | None:
    bid, ask = snapshot.bid, snapshot.ask
    if bid is None or ask is None or max(bid, ask) < 100_000:
        return None  # the sandbox's own quote, before the first crafted frame
    if ask != bid + 1 or snapshot.bid_size != int(bid) or snapshot.ask_size != int(bid):
        return f"version {snapshot.version}: bid {bid} x {snapshot.bid_size}, ask {ask} x {snapshot.ask_size}"
    return None


def test_a_snapshot_never_shows_half_a_frame_while_the_worker_merges():
    batches, per_batch = 5, 10_000
    torn: list[str] = []
    versions: set[int] = set()
    done = threading.Event()

    def read(feed: ThreadedMarketStream) -> None:
        while not done.is_set():
            snapshot = feed.quotes(AAPL)
            if snapshot is not None:
                versions.add(snapshot.version)
                if (problem := _torn(snapshot)) is not None:
                    torn.append(problem)

    async def scenario() -> None:
        async with running_gateway() as gw:
            session = IbkrSession(gw.base_url, await gw.credentials())
            await session.connect()
            (await gw.http.post(f"{gw.url}/sandbox/ibkr/stream", json={"rate": 0})).raise_for_status()
            feed = ThreadedMarketStream(MarketStream(session, BookModel(), account=ACCOUNT))
            feed.subscribe(AAPL, ("84", "86", "88", "85"))
            task = asyncio.create_task(feed.run())
            reader = threading.Thread(target=read, args=(feed,), name="test-reader")
            switch = sys.getswitchinterval()
            sys.setswitchinterval(1e-5)  # hand the GIL between the threads as often as Python can
            try:
                await until_async(lambda: feed.quotes(AAPL) is not None, WAIT_S)
                reader.start()
                for batch in range(batches):
                    frames = [_frame(100_000 + batch * per_batch + i) for i in range(per_batch)]
                    (
                        await gw.http.post(f"{gw.url}/sandbox/ibkr/stream/faults", json={"frames": frames})
                    ).raise_for_status()
                last = 100_000 + batches * per_batch - 1
                await until_async(lambda: feed.quotes(AAPL).bid == last, WAIT_S)
            finally:
                done.set()
                sys.setswitchinterval(switch)
                if reader.is_alive():
                    reader.join()
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                await session.close()

    run_async(scenario)
    assert torn == []
    assert len(versions) > 100  # the reader really read while the worker merged
