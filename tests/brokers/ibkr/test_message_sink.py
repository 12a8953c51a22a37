"""The market stream's connection over a real loopback WebSocket: every message reaches the sink once, whole
and in order, whether it came in one frame or in fragments, before the sink was attached or after."""

from __future__ import annotations

import asyncio

from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosedOK

from brokers.ibkr.message_sink import MessageSinkConnection
from tests.conftest import run_async
from tests.waiting import until_async

WAIT_S = 10.0


async def _talk(ws: ServerConnection) -> None:
    await ws.send('{"topic":"sts","args":{"authenticated":true}}')  # read before the client attaches
    await ws.send(['{"topic":', '"smd+1",', '"31":"1.5"}'])  # one message in three fragments
    await ws.recv()  # the client says it has attached
    await ws.send(b'{"topic":"binary"}')
    await ws.send(f'{{"part":{i}}}' for i in range(2))  # fragments from a generator: '{"part":0}{"part":1}'
    await ws.send('{"topic":"last"}')
    await ws.close()


def test_every_message_reaches_the_sink_whole_and_in_order():
    async def scenario() -> None:
        received: list[bytes] = []
        async with serve(_talk, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            async with connect(f"ws://127.0.0.1:{port}", create_connection=MessageSinkConnection) as ws:
                assert isinstance(ws, MessageSinkConnection)
                await asyncio.sleep(0.2)  # the first two messages arrive with nobody attached
                ws.attach(lambda message: received.append(bytes(message)))
                assert len(received) == 2
                await ws.send("attached")
                await until_async(lambda: len(received) == 5, WAIT_S)
                await ws.wait_closed()
                assert isinstance(ws.protocol.close_exc, ConnectionClosedOK)
        assert received == [
            b'{"topic":"sts","args":{"authenticated":true}}',
            b'{"topic":"smd+1","31":"1.5"}',
            b'{"topic":"binary"}',
            b'{"part":0}{"part":1}',
            b'{"topic":"last"}',
        ]

    run_async(scenario)
