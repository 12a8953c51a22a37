"""A sandbox trading 100 instruments: synthetic stocks stream, search and ladder like the defaults.

Load runs (the bench's 100-line run) need as many instruments as an account has market data lines,
and one ladder per account on several sockets at once.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx

from brokers.sandbox.ibkr.gateway import IbkrEmulator
from brokers.sandbox.market import SYNTHETIC_CONID_BASE
from brokers.sandbox.server import SandboxServer
from tests.brokers.sandbox_ibkr.stream_helpers import Frame, live_session, next_frame, stream, subscribe, topic_is
from tests.conftest import run_async

ACCOUNTS = ["DU1234567", "DU1234568"]
LAST_SYNTHETIC = SYNTHETIC_CONID_BASE + 95  # SYN0095, the 100th instrument


@contextlib.asynccontextmanager
async def large_sandbox() -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    async with (
        SandboxServer(emulators=(IbkrEmulator(),), instruments=100) as sandbox,
        httpx.AsyncClient(timeout=30) as client,
    ):
        yield client, sandbox.endpoints.services["ibkr"]


def test_synthetic_stocks_are_found_by_search_and_stream_quotes() -> None:
    async def scenario() -> tuple[Any, Frame]:
        async with large_sandbox() as (client, root):
            consumer, session = await live_session(client, root)
            search = await consumer.call(client, "GET", "/iserver/secdef/search", query={"symbol": "syn009"})
            async with stream(root, consumer, session) as ws:
                await subscribe(ws, LAST_SYNTHETIC, "55", "84", "86")
                return search.json(), await next_frame(ws, topic_is(f"smd+{LAST_SYNTHETIC}"))

    found, snapshot = run_async(scenario)
    assert [row["symbol"] for row in found] == [f"SYN{n:04d}" for n in range(90, 96)]
    assert {row["secType"] for row in found} == {"STK"}
    assert snapshot["55"] == "SYN0095"
    assert float(snapshot["86"]) > float(snapshot["84"]) > 0


def test_each_account_keeps_its_own_ladder_on_its_own_socket() -> None:
    async def scenario() -> list[Frame]:
        async with large_sandbox() as (client, root):
            consumer, session = await live_session(client, root, accounts=ACCOUNTS)
            async with stream(root, consumer, session) as first, stream(root, consumer, session) as second:
                await first.send(f"sbd+{ACCOUNTS[0]}+{LAST_SYNTHETIC}")
                await second.send(f"sbd+{ACCOUNTS[1]}+{LAST_SYNTHETIC - 1}")
                ladders = []
                for ws in (first, second, first, second):  # the first ladder each, then one update each
                    ladders.append(await next_frame(ws, lambda f: str(f.get("topic")).startswith("sbd+")))
                return ladders

    ladders = run_async(scenario)
    first_topic, second_topic = f"sbd+{ACCOUNTS[0]}+{LAST_SYNTHETIC}", f"sbd+{ACCOUNTS[1]}+{LAST_SYNTHETIC - 1}"
    assert [ladder["topic"] for ladder in ladders] == [first_topic, second_topic] * 2
    assert all(len(ladder["data"]) == 20 for ladder in ladders)
