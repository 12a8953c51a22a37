"""The market data stream against the sandbox's real WebSocket over loopback: data, ladder, and every fault.

Each scenario runs twice: on the test's own loop, and on the worker thread the window gives the stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from brokers.ibkr.book import BookModel
from brokers.ibkr.session import IbkrSession
from brokers.ibkr.stream import DEFAULT_FIELDS, MarketStream, StreamError
from brokers.ibkr.stream_thread import ThreadedMarketStream
from tests.brokers.ibkr.sandbox_peer import Gateway, running_gateway
from tests.conftest import run_async
from tests.waiting import until_async

AAPL, MSFT = 265598, 272093
ACCOUNT = "DU1234567"
WAIT_S = 20.0
"""The bound on every wait: generous, since a wait that succeeds returns at once."""


class RecordingStream(MarketStream):
    """Records what each connection sends, one list per connection."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sent: list[list[str]] = []

    async def _write(self, ws, outbox):
        record: list[str] = []
        self.sent.append(record)

        class Tap:
            async def send(self, text: str) -> None:
                record.append(text)
                await ws.send(text)

        await super()._write(Tap(), outbox)


@pytest.fixture(params=[False, True], ids=["on-the-loop", "on-its-thread"])
def threaded(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@dataclass
class Rig:
    gw: Gateway
    session: IbkrSession
    book: BookModel
    stream: RecordingStream | ThreadedMarketStream  # what the test drives
    sent: list[list[str]]  # what each connection sent

    async def control(self, path: str, body: dict[str, Any]) -> None:
        (await self.gw.http.post(f"{self.gw.url}/sandbox/ibkr/stream{path}", json=body)).raise_for_status()

    def version(self, conid: int) -> int:
        book = self.book.book(conid)
        return -1 if book is None else book.version


@asynccontextmanager
async def streaming(
    threaded: bool, settings: dict[str, Any] | None = None, fault: dict[str, Any] | None = None, **options: Any
) -> AsyncIterator[Rig]:
    async with running_gateway() as gw:
        session = IbkrSession(gw.base_url, await gw.credentials())
        await session.connect()
        book = BookModel()
        options = {"backoff": (0.05, 0.5), **options}
        worker = RecordingStream(session, book, account=ACCOUNT, **options)
        rig = Rig(gw, session, book, ThreadedMarketStream(worker) if threaded else worker, worker.sent)
        if settings:
            await rig.control("", settings)
        if fault:
            await rig.control("/faults", fault)
        task = asyncio.create_task(rig.stream.run())
        try:
            yield rig
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await session.close()


def test_market_data_arrives_in_the_book(threaded):
    async def scenario():
        async with streaming(threaded, {"rate": 200}) as rig:
            rig.stream.subscribe(AAPL)
            await until_async(lambda: rig.version(AAPL) > 20, WAIT_S)
            book = rig.book.book(AAPL)
            assert rig.stream.state.connected
            assert book.symbol == "AAPL"
            assert book.availability == "live"
            assert 0 < book.bid < book.ask
            assert book.bid_size > 0
            assert book.ask_size > 0
            assert book.volume >= 125_000
            assert book.close is not None
            assert book.open is not None
            assert book.last is not None
            await until_async(lambda: len(book.trades) > 3, WAIT_S)
            assert rig.book.data_age(AAPL, book.last_frame_monotonic) == "live"  # as of its latest frame
            t, _, bid, _, _ = book.history_view(1000)
            assert len(t) == len(bid) == book.history_len
            assert (t[1:] >= t[:-1]).all()
            state = rig.stream.state
            assert state.subscriptions == (AAPL,)
            assert state.frames == rig.book.frames > 20
            assert state.malformed == 0
            assert rig.book.unknown == 0
            assert rig.sent[0][0].startswith(f'smd+{AAPL}+{{"fields":["31","84"')

    run_async(scenario)


def test_the_depth_ladder_arrives_best_first(threaded):
    async def scenario():
        async with streaming(threaded, {"depth_rate": 20}) as rig:
            rig.stream.subscribe_depth(AAPL)
            await until_async(lambda: rig.version(AAPL) > 3, WAIT_S)
            book = rig.book.book(AAPL)
            assert len(book.bids) == len(book.asks) == 10
            assert [p for p, _ in book.bids] == sorted((p for p, _ in book.bids), reverse=True)
            assert [p for p, _ in book.asks] == sorted(p for p, _ in book.asks)
            assert book.bids[0][0] < book.asks[0][0]
            assert all(size > 0 for _, size in book.bids + book.asks)
            assert rig.sent[0] == [f"sbd+{ACCOUNT}+{AAPL}"]
            rig.stream.subscribe_depth(MSFT)  # one ladder per account: this replaces the first
            assert book.bids == []
            await until_async(lambda: rig.version(MSFT) > 1, WAIT_S)
            assert rig.book.book(MSFT).bids
            rig.stream.unsubscribe_depth()
            await until_async(lambda: rig.sent[0][-1] == f"ubd+{ACCOUNT}", WAIT_S)
            assert rig.book.book(MSFT).bids == []

    run_async(scenario)


def test_a_dropped_socket_reconnects_and_resubscribes_exactly_once(threaded):
    async def scenario():
        async with streaming(threaded, {"depth_rate": 10}) as rig:
            rig.stream.subscribe(AAPL)
            rig.stream.subscribe(MSFT, ("31", "84"))
            rig.stream.subscribe_depth(AAPL, "NASDAQ")
            await until_async(lambda: rig.version(MSFT) > 2, WAIT_S)
            await rig.control("/faults", {"drop": True})
            await until_async(lambda: rig.stream.state.reconnects == 1 and rig.stream.state.connected, WAIT_S)
            versions = rig.version(AAPL), rig.version(MSFT)
            await until_async(lambda: rig.version(AAPL) > versions[0] and rig.version(MSFT) > versions[1], WAIT_S)
            assert len(rig.sent) == 2
            second = rig.sent[1]
            assert sorted(second) == sorted(
                [
                    f'smd+{AAPL}+{{"fields":[{",".join(f'"{f}"' for f in DEFAULT_FIELDS)}]}}',
                    f'smd+{MSFT}+{{"fields":["31","84"]}}',
                    f"sbd+{ACCOUNT}+{AAPL}+NASDAQ",
                ]
            )
            assert "closed" in rig.stream.state.last_error

    run_async(scenario)


def test_a_silent_socket_is_detected_and_replaced(threaded):
    async def scenario():
        async with streaming(threaded, heartbeat_timeout_s=0.6) as rig:
            rig.stream.subscribe(AAPL)
            await until_async(lambda: rig.version(AAPL) > 2, WAIT_S)
            await rig.control("/faults", {"stall_s": 2})
            await until_async(lambda: rig.stream.state.stale_reconnects >= 1, WAIT_S)
            assert "No frame from IBKR" in rig.stream.state.last_error
            before = rig.version(AAPL)
            await until_async(lambda: rig.version(AAPL) > before + 5 and rig.stream.state.connected, WAIT_S)
            assert rig.stream.state.reconnects >= 1

    run_async(scenario)


def test_an_auth_drop_reopens_the_brokerage_session_and_reconnects(threaded):
    async def scenario():
        async with streaming(threaded) as rig:
            rig.stream.subscribe(AAPL)
            await until_async(lambda: rig.version(AAPL) > 2, WAIT_S)
            cookie = rig.session.api_session
            await rig.control("/faults", {"sts_unauthenticated": True})
            await until_async(lambda: rig.session.api_session != cookie, WAIT_S)
            before = rig.version(AAPL)
            await until_async(lambda: rig.version(AAPL) > before + 3 and rig.stream.state.connected, WAIT_S)
            state = rig.stream.state
            assert "ended the brokerage session (session expired)" in state.last_error
            assert state.reconnects == 1
            assert cookie not in repr(state)
            assert rig.session.api_session not in repr(state)

    run_async(scenario)


def test_a_refused_handshake_reauthenticates_first(threaded):
    async def scenario():
        async with streaming(
            threaded, fault={"sts_unauthenticated": True}
        ) as rig:  # the cookie is dead before we connect
            cookie = rig.session.api_session
            rig.stream.subscribe(AAPL)
            await until_async(lambda: rig.version(AAPL) > 2, WAIT_S)
            assert rig.session.api_session != cookie
            assert rig.stream.state.reconnects == 1
            assert "refused the session (not authenticated)" in rig.stream.state.last_error

    run_async(scenario)


def test_garbage_frames_are_counted_while_data_keeps_flowing(threaded):
    async def scenario():
        async with streaming(threaded) as rig:
            rig.stream.subscribe(AAPL)
            await until_async(lambda: rig.version(AAPL) > 2, WAIT_S)
            await rig.control("/faults", {"garbage": 16})
            await until_async(lambda: rig.stream.state.malformed == 16, WAIT_S)
            before = rig.version(AAPL)
            await until_async(lambda: rig.version(AAPL) > before + 3, WAIT_S)
            assert rig.stream.state.connected
            assert rig.stream.state.reconnects == 0

    run_async(scenario)


def test_the_server_line_limit_is_surfaced_and_the_line_forgotten(threaded):
    async def scenario():
        async with streaming(threaded, {"max_lines": 1}) as rig:
            rig.stream.subscribe(AAPL)
            rig.stream.subscribe(MSFT)
            await until_async(lambda: "line limit" in rig.stream.state.last_error, WAIT_S)
            assert rig.stream.state.last_error == (
                f"IBKR refused market data for {MSFT}: market data line limit reached (1 lines)"
            )
            assert rig.stream.state.subscriptions == (AAPL,)
            await until_async(lambda: rig.version(AAPL) > 2, WAIT_S)
            assert rig.book.book(MSFT) is None

    run_async(scenario)


def test_an_unknown_conid_is_reported(threaded):
    async def scenario():
        async with streaming(threaded) as rig:
            rig.stream.subscribe(1)
            await until_async(lambda: rig.stream.state.last_error, WAIT_S)
            assert rig.stream.state.last_error == "IBKR refused market data for 1: unknown contract 1"
            assert rig.stream.state.subscriptions == ()

    run_async(scenario)


def test_unsubscribed_data_is_dropped_not_merged(threaded):
    async def scenario():
        async with streaming(threaded, {"rate": 500, "hb_interval_s": 0.1}) as rig:
            rig.stream.subscribe(AAPL)
            await until_async(lambda: rig.version(AAPL) > 2, WAIT_S)
            rig.stream.unsubscribe(AAPL)
            await until_async(lambda: rig.sent[0][-1] == f"umd+{AAPL}+{{}}", WAIT_S)
            frozen = rig.version(AAPL)  # frames still in flight are dropped, never merged
            frames = rig.book.frames
            await until_async(lambda: rig.book.frames > frames + 2, WAIT_S)  # heartbeats still arrive
            assert rig.version(AAPL) == frozen

    run_async(scenario)


def test_keepalive_and_smd_refresh_are_sent_on_schedule(threaded):
    async def scenario():
        async with streaming(threaded, keepalive_s=0.2, smd_refresh_s=0.3) as rig:
            rig.stream.subscribe(AAPL, ("31",))
            await until_async(lambda: rig.sent and rig.sent[0].count("tic") >= 2, WAIT_S)
            await until_async(lambda: rig.sent[0].count(f'smd+{AAPL}+{{"fields":["31"]}}') >= 2, WAIT_S)
            assert rig.sent[0].count("ech+hb") >= 2
            assert rig.stream.state.reconnects == 0

    run_async(scenario)


def test_line_limit_is_enforced_before_sending():
    async def scenario():
        async with running_gateway() as gw:
            session = IbkrSession(gw.base_url, await gw.credentials())
            stream = MarketStream(session, BookModel(), account=ACCOUNT, max_lines=2)
            stream.subscribe(AAPL)
            stream.subscribe(MSFT)
            stream.subscribe(AAPL, ("7762",))  # more fields for a line already held: allowed
            with pytest.raises(StreamError, match="all 2 market data lines are in use"):
                stream.subscribe(3)
            with pytest.raises(ValueError, match="numeric field ids"):
                stream.subscribe(3, ("31", "x+y"))
            with pytest.raises(ValueError, match="a conid is a positive int"):
                stream.subscribe(str(AAPL))
            with pytest.raises(ValueError, match="invalid exchange"):
                stream.subscribe_depth(AAPL, "SMART+X")
            assert stream.state.subscriptions == (AAPL, MSFT)
            await session.close()

    run_async(scenario)
