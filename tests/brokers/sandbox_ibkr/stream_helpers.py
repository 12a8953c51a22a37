"""A bare WebSocket client for the emulator's stream tests, written from the protocol notes alone.

Like `client_helpers`, it shares no code with `brokers/ibkr/`: the session comes from the REST API
(ssodh/init, then /tickle), the socket from `websockets` with the `api` cookie and `oauth_token`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosedError

from tests.brokers.sandbox_ibkr.client_helpers import Consumer, ibkr_sandbox, register

WAIT_S = 10.0
"""The bound on every wait for a frame: generous, since a wait that succeeds returns at once."""

Frame = dict[str, Any]


async def live_session(client: httpx.AsyncClient, root: str, **registration: Any) -> tuple[Consumer, str]:
    """A consumer with a brokerage session, and the `session` its /tickle reports (the `api` cookie)."""
    consumer = await register(client, root, **registration)
    await consumer.start_brokerage(client)
    return consumer, await tickle_session(client, consumer)


async def tickle_session(client: httpx.AsyncClient, consumer: Consumer) -> str:
    tickle = await consumer.call(client, "POST", "/tickle")
    assert tickle.status_code == 200, tickle.text
    return str(tickle.json()["session"])


def ws_url(root: str, token: str) -> str:
    return root.replace("http://", "ws://", 1) + f"/v1/api/ws?oauth_token={token}"


@contextlib.asynccontextmanager
async def open_stream(root: str, token: str, session: str | None) -> AsyncIterator[ClientConnection]:
    """A raw connection: nothing is read from it yet."""
    headers = {"Cookie": f"api={session}"} if session is not None else {}
    async with connect(
        ws_url(root, token), additional_headers=headers, user_agent_header="brokerdeck", open_timeout=WAIT_S
    ) as ws:
        yield ws


@contextlib.asynccontextmanager
async def stream(root: str, consumer: Consumer, session: str) -> AsyncIterator[ClientConnection]:
    """An authenticated connection whose system, act and sts greeting has been read and checked."""
    async with open_stream(root, consumer.access_token, session) as ws:
        topics = [(await next_frame(ws))["topic"] for _ in range(3)]
        assert topics == ["system", "act", "sts"]
        yield ws


async def next_frame(ws: ClientConnection, wanted: Callable[[Frame], bool] = lambda _: True) -> Frame:
    """The next well-formed frame `wanted` accepts; frames before it are skipped."""
    async with asyncio.timeout(WAIT_S):
        while True:
            frame = json.loads(await ws.recv())
            if wanted(frame):
                return frame


def is_smd(frame: Frame) -> bool:
    return str(frame.get("topic")).startswith("smd+")


async def refused(root: str, token: str, session: str | None) -> ConnectionClosedError:
    """The close a socket gets when the server will not stream to it."""
    async with open_stream(root, token, session) as ws:
        with pytest.raises(ConnectionClosedError) as caught:
            await asyncio.wait_for(ws.recv(), WAIT_S)
    return caught.value


def topic_is(topic: str) -> Callable[[Frame], bool]:
    return lambda frame: frame.get("topic") == topic


async def control(client: httpx.AsyncClient, root: str, path: str, **body: Any) -> Frame:
    """POST a stream control (`stream` settings or `stream/faults`) and expect 200."""
    response = await client.post(f"{root}/sandbox/ibkr/{path}", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def subscribe(ws: ClientConnection, conid: int, *fields: str) -> None:
    await ws.send(f"smd+{conid}+" + json.dumps({"fields": list(fields)}, separators=(",", ":")))


async def sync(ws: ClientConnection) -> list[Frame]:
    """Send `tic` and return the frames before its reply: the server has handled all sent before."""
    await ws.send("tic")
    before: list[Frame] = []
    async with asyncio.timeout(WAIT_S):
        while (frame := json.loads(await ws.recv())).get("topic") != "tic":
            before.append(frame)
    return before


async def frames_until(ws: ClientConnection, count: int, counted: Callable[[Frame], bool]) -> list[Frame]:
    """Every frame up to and including the `count`-th one that `counted` accepts."""
    seen: list[Frame] = []
    hits = 0
    async with asyncio.timeout(WAIT_S):
        while hits < count:
            seen.append(frame := json.loads(await ws.recv()))
            hits += counted(frame)
    return seen


async def until_quiet(ws: ClientConnection, noisy: Callable[[Frame], bool], beats: int = 5) -> list[Frame]:
    """Every frame until `beats` heartbeats in a row arrive with no `noisy` frame between them."""
    seen: list[Frame] = []
    quiet = 0
    async with asyncio.timeout(WAIT_S):
        while quiet < beats:
            seen.append(frame := json.loads(await ws.recv()))
            quiet = 0 if noisy(frame) else quiet + (frame.get("topic") == "system" and "hb" in frame)
    return seen


@dataclass
class Streaming:
    """Everything a stream test touches: the HTTP client, the root URL, the consumer, its socket."""

    client: httpx.AsyncClient
    root: str
    consumer: Consumer
    session: str
    ws: ClientConnection

    async def control(self, path: str = "stream", **body: Any) -> Frame:
        return await control(self.client, self.root, path, **body)


@contextlib.asynccontextmanager
async def streaming(**settings: Any) -> AsyncIterator[Streaming]:
    """A fresh sandbox, a consumer with a brokerage session, `settings` applied, a greeted socket."""
    async with ibkr_sandbox() as (client, root):
        consumer, session = await live_session(client, root)
        if settings:
            await control(client, root, "stream", **settings)
        async with stream(root, consumer, session) as ws:
            yield Streaming(client, root, consumer, session, ws)
