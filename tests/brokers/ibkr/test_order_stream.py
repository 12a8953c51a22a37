"""The route's `sor`/`str` order updates against the sandbox's real WebSocket over loopback.

Updates, refusals, drops, malformed frames and the market data stream next to it; polling stays the
confirmation throughout.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from brokers.core.orders import Accepted, BrokerExecution, BrokerOrder, OrderStatus, OrderType, Side
from brokers.ibkr.book import BookModel
from brokers.ibkr.order_stream import OrderStreamState, OrderStreamTiming
from brokers.ibkr.orders import IbkrOrderRoute
from brokers.ibkr.stream import MarketStream
from tests.brokers.ibkr.order_peer import AAPL, ACCOUNT, Desk, order_desk, request
from tests.conftest import run_async
from tests.waiting import until_async

CENT = Decimal("0.01")
WAIT_S = 20.0
"""The bound on every wait: generous, since a wait that succeeds returns at once."""
FAST = OrderStreamTiming(heartbeat_timeout_s=30.0, keepalive_s=55.0, resubscribe_s=0.2, backoff=(0.05, 0.5))


@dataclass
class Heard:
    """Everything the listener was given, in order, and on which loop."""

    orders: list[BrokerOrder] = field(default_factory=list)
    executions: list[BrokerExecution] = field(default_factory=list)
    loops: set[asyncio.AbstractEventLoop] = field(default_factory=set)

    def __call__(self, orders: tuple[BrokerOrder, ...], executions: tuple[BrokerExecution, ...]) -> None:
        self.loops.add(asyncio.get_running_loop())
        self.orders.extend(orders)
        self.executions.extend(executions)

    def statuses(self, key: str) -> list[OrderStatus]:
        seen = [o.status for o in self.orders if o.key == key]
        return [s for i, s in enumerate(seen) if i == 0 or seen[i - 1] != s]


@asynccontextmanager
async def listening(fault: dict[str, Any] | None = None) -> AsyncIterator[tuple[Desk, Heard]]:
    """An order desk whose route streams to a `Heard`, after `fault` was armed on the sandbox's stream."""
    async with order_desk() as desk:
        desk.route = IbkrOrderRoute(desk.session, ACCOUNT, poll_interval_s=0.2, stream_timing=FAST)
        if fault:
            await stream_fault(desk, fault)
        heard = Heard()
        desk.route.listen(heard)
        try:
            yield desk, heard
        finally:
            desk.route.listen(None)


async def stream_fault(desk: Desk, fault: dict[str, Any]) -> None:
    response = await desk.gw.http.post(f"{desk.gw.url}/sandbox/ibkr/stream/faults", json=fault)
    response.raise_for_status()


def state(desk: Desk) -> OrderStreamState:
    current = desk.route.stream_state
    assert current is not None
    return current


async def resting(desk: Desk, key: str, bid: Decimal) -> str:
    placed = await desk.route.place(request(OrderType.LIMIT, 3, limit_price=bid - 5 * CENT), key)
    assert isinstance(placed, Accepted)
    return placed.broker_order_id


def test_a_resting_order_streams_submitted_then_filled_complete_from_sparse_deltas() -> None:
    async def scenario() -> tuple[Heard, list[BrokerExecution], set[asyncio.AbstractEventLoop]]:
        async with listening() as (desk, heard):
            await until_async(lambda: state(desk).subscribed, WAIT_S)
            bid, ask = await desk.touch()
            order_id = await resting(desk, "k-fill", bid)
            await until_async(lambda: heard.statuses("k-fill") == [OrderStatus.WORKING], WAIT_S)
            marketable = request(OrderType.LIMIT, 3, limit_price=ask + 5 * CENT)
            assert isinstance(await desk.route.modify(order_id, marketable, "k-fill"), Accepted)
            await until_async(lambda: OrderStatus.FILLED in heard.statuses("k-fill"), WAIT_S)
            polled = await desk.route.executions()
            await until_async(lambda: len(heard.executions) >= len(polled), WAIT_S)
            return heard, list(polled), {asyncio.get_running_loop()}

    heard, polled, loop = run_async(scenario)
    assert heard.statuses("k-fill") == [OrderStatus.WORKING, OrderStatus.FILLED]
    filled = [o for o in heard.orders if o.status is OrderStatus.FILLED][-1]
    assert (filled.symbol, filled.side, filled.quantity, filled.filled) == ("AAPL", Side.BUY, 3, 3)
    assert filled.average_price is not None
    assert sorted(e.execution_id for e in heard.executions) == sorted(e.execution_id for e in polled)
    assert {(e.key, e.symbol, e.side) for e in heard.executions} == {("k-fill", "AAPL", Side.BUY)}
    assert sum(e.quantity for e in heard.executions) == 3
    assert heard.loops == loop


def test_a_cancel_streams_pending_cancel_then_cancelled() -> None:
    async def scenario() -> Heard:
        async with listening() as (desk, heard):
            await until_async(lambda: state(desk).subscribed, WAIT_S)
            bid, _ = await desk.touch()
            order_id = await resting(desk, "k-cancel", bid)
            await desk.route.cancel(order_id)
            await until_async(lambda: OrderStatus.PENDING_CANCEL in heard.statuses("k-cancel"), WAIT_S)
            await desk.control("step", steps=1)
            await until_async(lambda: OrderStatus.CANCELLED in heard.statuses("k-cancel"), WAIT_S)
            return heard

    heard = run_async(scenario)
    statuses = heard.statuses("k-cancel")
    assert statuses == [OrderStatus.WORKING, OrderStatus.PENDING_CANCEL, OrderStatus.CANCELLED]
    cancelled = heard.orders[-1]
    assert (cancelled.symbol, cancelled.side, cancelled.quantity, cancelled.filled) == ("AAPL", Side.BUY, 3, 0)


def test_after_a_dropped_socket_it_subscribes_again_and_each_execution_arrives_once() -> None:
    async def scenario() -> tuple[Heard, OrderStreamState, BrokerOrder | None]:
        async with listening() as (desk, heard):
            await until_async(lambda: state(desk).subscribed, WAIT_S)
            _, ask = await desk.touch()
            await desk.route.place(request(OrderType.LIMIT, 2, limit_price=ask + 5 * CENT), "k-before")
            await until_async(lambda: {e.key for e in heard.executions} == {"k-before"}, WAIT_S)
            await stream_fault(desk, {"drop": True})
            polled = await desk.route.find("k-before")  # polling carries on while the stream is down
            await until_async(lambda: state(desk).subscriptions >= 2 and state(desk).subscribed, WAIT_S)
            _, ask = await desk.touch()
            await desk.route.place(request(OrderType.LIMIT, 2, limit_price=ask + 5 * CENT), "k-after")
            await until_async(lambda: "k-after" in {e.key for e in heard.executions}, WAIT_S)
            return heard, state(desk), polled

    heard, after, polled = run_async(scenario)
    ids = [e.execution_id for e in heard.executions]
    assert len(ids) == len(set(ids))  # the history str re-sent on the new socket was merged away
    assert after.reconnects >= 1
    assert polled is not None
    assert polled.status is OrderStatus.FILLED
    assert OrderStatus.FILLED in heard.statuses("k-after")


def test_unable_to_subscribe_leaves_polling_working_and_is_asked_again() -> None:
    async def scenario() -> tuple[OrderStreamState, BrokerOrder | None, Heard]:
        async with listening({"refuse_order_topics": 2}) as (desk, heard):
            await until_async(lambda: state(desk).refusals == 2, WAIT_S)
            refused = state(desk)
            bid, _ = await desk.touch()
            await resting(desk, "k-polled", bid)
            polled = await desk.route.find("k-polled")
            await until_async(lambda: state(desk).subscriptions >= 2 and state(desk).subscribed, WAIT_S)
            await resting(desk, "k-streamed", bid)
            await until_async(lambda: heard.statuses("k-streamed") == [OrderStatus.WORKING], WAIT_S)
            return refused, polled, heard

    refused, polled, heard = run_async(scenario)
    assert "unable to subscribe" in refused.last_error
    assert polled is not None
    assert polled.status is OrderStatus.WORKING
    assert heard.statuses("k-streamed") == [OrderStatus.WORKING]


def test_malformed_order_frames_are_counted_and_the_stream_goes_on() -> None:
    garbage = [
        '{"topic":"sor","args":"not a list"}',
        '{"topic":"sor","args":[{"status":"Filled"}]}',
        '{"topic":"sor","args":[{"orderId":42}]}',
        '{"topic":"str","args":{"execution_id":"x"}}',
        '{"topic":"str","args":[{"execution_id":"x","size":"lots","price":"1"}]}',
    ]

    async def scenario() -> tuple[OrderStreamState, Heard]:
        async with listening() as (desk, heard):
            await until_async(lambda: state(desk).subscribed, WAIT_S)
            await stream_fault(desk, {"frames": garbage})
            await until_async(lambda: state(desk).malformed == len(garbage), WAIT_S)
            counted = state(desk)
            bid, _ = await desk.touch()
            await resting(desk, "k-after", bid)
            await until_async(lambda: heard.statuses("k-after") == [OrderStatus.WORKING], WAIT_S)
            return counted, heard

    counted, heard = run_async(scenario)
    assert counted.connected
    assert counted.reconnects == 0
    assert heard.executions == []
    assert {o.key for o in heard.orders} == {"k-after"}


def test_market_data_keeps_flowing_while_the_order_topics_stream() -> None:
    async def scenario() -> tuple[int, int, Any, Heard]:
        async with listening() as (desk, heard):
            book = BookModel()
            market = MarketStream(desk.session, book, account=ACCOUNT, backoff=(0.05, 0.5))
            task = asyncio.create_task(market.run())
            try:
                market.watch(AAPL)
                await until_async(lambda: state(desk).subscribed and book.frames > 0, WAIT_S)
                _, ask = await desk.touch()
                await desk.route.place(request(OrderType.LIMIT, 1, limit_price=ask + 5 * CENT), "k-md")
                await until_async(lambda: OrderStatus.FILLED in heard.statuses("k-md"), WAIT_S)
                at_fill = book.frames
                await until_async(lambda: book.frames > at_fill + 20, WAIT_S)
                return at_fill, book.frames, market.state, heard
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    at_fill, later, market_state, heard = run_async(scenario)
    assert later > at_fill
    assert market_state.connected
    assert market_state.malformed == 0
    assert market_state.reconnects == 0
    assert heard.executions


def test_a_new_brokerage_session_subscribes_again() -> None:
    async def scenario() -> Heard:
        async with listening() as (desk, heard):
            await until_async(lambda: state(desk).subscribed, WAIT_S)
            await desk.session.request("POST", "/logout")
            await desk.session.connect()
            await until_async(lambda: state(desk).subscriptions >= 2 and state(desk).subscribed, WAIT_S)
            bid, _ = await desk.touch()
            await resting(desk, "k-relogin", bid)
            await until_async(lambda: heard.statuses("k-relogin") == [OrderStatus.WORKING], WAIT_S)
            return heard

    assert run_async(scenario).statuses("k-relogin") == [OrderStatus.WORKING]


def test_listen_none_stops_the_stream_and_polling_still_confirms() -> None:
    async def scenario() -> tuple[OrderStreamState | None, BrokerOrder | None, Heard]:
        async with listening() as (desk, heard):
            await until_async(lambda: state(desk).subscribed, WAIT_S)
            desk.route.listen(None)
            stopped = desk.route.stream_state
            bid, _ = await desk.touch()
            await resting(desk, "k-quiet", bid)
            return stopped, await desk.route.find("k-quiet"), heard

    stopped, found, heard = run_async(scenario)
    assert stopped is None
    assert found is not None
    assert found.status is OrderStatus.WORKING
    assert heard.orders == []
