"""The sbd price ladder over a real socket, and the contract search a streaming client starts from."""

from __future__ import annotations

import re
from typing import Any

from brokers.sandbox.ibkr.stream_control import DEPTH_LEVELS
from tests.brokers.sandbox_ibkr.client_helpers import AAPL, ACCOUNT, error_of, ibkr_sandbox, register
from tests.brokers.sandbox_ibkr.stream_helpers import (
    Frame,
    frames_until,
    live_session,
    next_frame,
    streaming,
    sync,
    topic_is,
    until_quiet,
)
from tests.conftest import run_async

TOPIC = f"sbd+{ACCOUNT}+{AAPL}"
FOCUS_PRICE = re.compile(r"(\d{1,3}(?:,\d{3})*) @ (\d+\.\d{2})")
SIZE = re.compile(r"\d{1,3}(,\d{3})*")


def has_focus(frame: Frame) -> bool:
    return frame.get("topic") == TOPIC and any(row["focus"] for row in frame["data"])


def is_sbd(frame: Frame) -> bool:
    return str(frame.get("topic")).startswith("sbd+")


def price_of(row: Frame) -> float:
    focus = FOCUS_PRICE.fullmatch(row["price"])
    return float(focus.group(2) if focus else row["price"])


def test_sbd_sends_full_ladders_highest_price_first_with_the_last_trade_in_focus() -> None:
    async def scenario() -> tuple[Frame, Frame]:
        async with streaming(depth_rate=20) as s:
            await s.ws.send(f"sbd+{ACCOUNT}+{AAPL}")
            first = await next_frame(s.ws, topic_is(TOPIC))
            return first, await next_frame(s.ws, has_focus)

    for ladder in run_async(scenario):
        rows = ladder["data"]
        assert set(ladder) == {"topic", "data"}
        assert [row["row"] for row in rows] == list(range(2 * DEPTH_LEVELS))
        asks, bids = rows[:DEPTH_LEVELS], rows[DEPTH_LEVELS:]
        assert all(set(r) == {"row", "focus", "price", "ask"} for r in asks)
        assert all(set(r) == {"row", "focus", "price", "bid"} for r in bids)
        assert all(SIZE.fullmatch(r.get("ask", r.get("bid", ""))) for r in rows)
        prices = [price_of(r) for r in rows]
        assert prices == sorted(prices, reverse=True)
        assert len(set(prices)) == len(prices)
        assert min(map(price_of, asks)) > max(map(price_of, bids))
        focus = [r for r in rows if r["focus"]]
        assert len(focus) <= 1
        assert all(FOCUS_PRICE.fullmatch(r["price"]) for r in focus)
        assert all(r["focus"] or re.fullmatch(r"\d+\.\d{2}", r["price"]) for r in rows)
        assert all(r["focus"] in (0, 1) for r in rows)


def test_a_new_sbd_replaces_the_accounts_ladder_and_ubd_ends_it() -> None:
    async def scenario() -> tuple[list[Frame], list[Frame]]:
        async with streaming(depth_rate=20, hb_interval_s=0.1) as s:
            await s.ws.send(f"sbd+{ACCOUNT}+{AAPL}")
            await next_frame(s.ws, topic_is(TOPIC))
            await s.ws.send(f"sbd+{ACCOUNT}+{AAPL}+SMART")
            await sync(s.ws)
            replaced = await frames_until(s.ws, 5, is_sbd)
            await s.ws.send(f"ubd+{ACCOUNT}")
            await sync(s.ws)
            return replaced, await until_quiet(s.ws, is_sbd)

    replaced, after_ubd = run_async(scenario)
    assert {f["topic"] for f in replaced if is_sbd(f)} == {f"{TOPIC}+SMART"}
    assert not any(map(is_sbd, after_ubd))


def test_sbd_refuses_an_unknown_account_or_contract() -> None:
    async def scenario() -> list[Frame]:
        async with streaming() as s:
            for request in (f"sbd+U0000001+{AAPL}", f"sbd+{ACCOUNT}+999999", f"sbd+{ACCOUNT}"):
                await s.ws.send(request)
            return [await next_frame(s.ws, lambda f: "error" in f) for _ in range(3)]

    account, contract, malformed = run_async(scenario)
    assert account == {"topic": f"sbd+U0000001+{AAPL}", "error": "unknown account U0000001", "code": "account"}
    assert contract == {"topic": f"sbd+{ACCOUNT}+999999", "error": "unknown contract 999999", "code": "contract"}
    assert malformed["topic"] == f"sbd+{ACCOUNT}"
    assert malformed["code"] == "request"


def test_secdef_search_matches_symbol_prefixes_case_insensitively() -> None:
    async def scenario() -> list[tuple[int, Any]]:
        async with ibkr_sandbox() as (client, root):
            consumer, _ = await live_session(client, root)
            results = []
            for symbol in ("AAP", "aapl", "e", "ZZZ"):
                response = await consumer.call(client, "GET", "/iserver/secdef/search", query={"symbol": symbol})
                results.append((response.status_code, response.json()))
            return results

    aap, aapl, e, nothing = run_async(scenario)
    apple = {"conid": str(AAPL), "companyName": "APPLE INC", "symbol": "AAPL", "description": "NASDAQ"}
    assert aap == aapl == (200, [apple | {"secType": "STK"}])
    assert e[0] == 200
    assert {(row["symbol"], row["secType"]) for row in e[1]} == {("ES", "FUT"), ("EUR.USD", "CASH")}
    assert nothing == (200, [])


def test_secdef_search_is_signed_needs_a_brokerage_session_and_a_symbol() -> None:
    async def scenario() -> list[tuple[int, str]]:
        async with ibkr_sandbox() as (client, root):
            consumer = await register(client, root)
            await consumer.mint(client)
            unsigned = await client.get(f"{root}/v1/api/iserver/secdef/search", params={"symbol": "A"})
            no_bridge = await consumer.call(client, "GET", "/iserver/secdef/search", query={"symbol": "A"})
            await consumer.start_brokerage(client)
            blank = await consumer.call(client, "GET", "/iserver/secdef/search", query={"symbol": " "})
            return [(r.status_code, error_of(r)) for r in (unsigned, no_bridge, blank)]

    unsigned, no_bridge, blank = run_async(scenario)
    assert unsigned[0] == 401
    assert no_bridge == (400, "Bad Request: no bridge")
    assert blank == (400, "symbol is required")
