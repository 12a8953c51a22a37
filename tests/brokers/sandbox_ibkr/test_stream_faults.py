"""Stream faults and settings over real sockets: drop, stall, backlog, garbage, sts_unauthenticated, bad controls."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosedError

from tests.brokers.sandbox_ibkr.client_helpers import AAPL, MSFT, ibkr_sandbox
from tests.brokers.sandbox_ibkr.stream_helpers import (
    WAIT_S,
    Frame,
    is_smd,
    next_frame,
    open_stream,
    refused,
    stream,
    streaming,
    subscribe,
    sync,
    tickle_session,
    topic_is,
    until_quiet,
)
from tests.conftest import run_async

STALL_S = 2.0
BACKLOG = 40
STALL_MS = STALL_S * 1000


def stamp_of(frame: Frame) -> int:
    """When the server made a frame, by its own clock (epoch ms): an smd frame's `_updated`, a heartbeat's `hb`."""
    return int(frame["_updated"] if "_updated" in frame else frame["hb"])


def malformation(raw: str) -> str | None:
    """What is wrong with a frame, by what a careful client checks; None when it is well-formed."""
    try:
        frame = json.loads(raw)
    except ValueError:
        return "not json"
    if not isinstance(frame, dict):
        return "not an object"
    if "topic" not in frame:
        return "no topic"
    topic = frame["topic"]
    if not isinstance(topic, str):
        return "wrong type"
    if topic.startswith("smd+") and not (
        isinstance(frame.get("conid"), int) and all(isinstance(v, str) for k, v in frame.items() if k.isdigit())
    ):
        return "wrong type"
    if topic == "sts" and not isinstance(frame.get("args"), dict):
        return "wrong type"
    if topic == "system" and "hb" in frame and not isinstance(frame["hb"], int):
        return "wrong type"
    return None


async def read_until_closed(ws: ClientConnection) -> None:
    async with asyncio.timeout(WAIT_S):
        while True:
            await ws.recv()


def test_drop_closes_every_socket_without_a_close_frame_and_a_new_one_connects() -> None:
    async def scenario() -> tuple[Frame, ConnectionClosedError, Frame]:
        async with streaming() as s:
            fault = await s.control("stream/faults", drop=True)
            with pytest.raises(ConnectionClosedError) as caught:
                await read_until_closed(s.ws)
            async with stream(s.root, s.consumer, s.session) as again:
                await again.send("ech+hb")
                return fault, caught.value, await next_frame(again, topic_is("ech+hb"))

    fault, closed, echo = run_async(scenario)
    assert fault == {"fault": "drop", "value": True, "connections": 1}
    assert closed.rcvd is None  # abnormal closure (1006): no close frame came
    assert echo["alive"] is True


def test_backlog_sends_the_lines_frames_back_to_back_then_nothing_more() -> None:
    async def scenario() -> tuple[Frame, list[Frame]]:
        async with streaming(rate=0, hb_interval_s=0.05) as s:  # rate 0: only what the backlog sends
            for conid in (AAPL, MSFT):
                await subscribe(s.ws, conid, "84", "86", "88", "85", "7059", "87")
            await sync(s.ws)  # the two first frames
            fault = await s.control("stream/faults", backlog=BACKLOG)
            return fault, await until_quiet(s.ws, is_smd)

    fault, after = run_async(scenario)
    smd = [frame["topic"] for frame in after if is_smd(frame)]
    assert fault == {"fault": "backlog", "value": BACKLOG, "connections": 1}
    # One frame per slot, alternating lines; a slot whose line did not change sends nothing, as IBKR does.
    assert BACKLOG * 0.9 <= len(smd) <= BACKLOG
    assert smd.count(f"smd+{AAPL}") >= BACKLOG * 0.4
    assert smd.count(f"smd+{MSFT}") >= BACKLOG * 0.4


def test_stall_sends_nothing_for_its_duration_then_resumes() -> None:
    async def scenario() -> tuple[int, list[str]]:
        async with streaming(rate=100, hb_interval_s=0.1) as s:
            await subscribe(s.ws, AAPL, "84", "86", "88", "85")
            previous = stamp_of(await next_frame(s.ws, topic_is(f"smd+{AAPL}")))
            await s.control("stream/faults", stall_s=STALL_S)
            gap, after = 0, []
            async with asyncio.timeout(WAIT_S):
                while gap < STALL_MS / 2 or len(after) < 20 or "system" not in after:
                    frame = json.loads(await s.ws.recv())
                    if gap >= STALL_MS / 2:
                        after.append(frame["topic"])
                    gap, previous = max(gap, stamp_of(frame) - previous), stamp_of(frame)
            return gap, after

    gap, after = run_async(scenario)
    assert gap >= STALL_MS / 2  # the longest silence in the server's own timestamps, heartbeats included
    assert "system" in after
    assert f"smd+{AAPL}" in after


def test_garbage_sends_malformed_frames_of_every_kind_then_streams_on() -> None:
    async def scenario() -> tuple[list[str], list[Frame]]:
        async with streaming() as s:
            await s.control("stream/faults", garbage=8)
            bad: list[str] = []
            async with asyncio.timeout(WAIT_S):
                while len(bad) < 8:
                    raw = await s.ws.recv()
                    if (what := malformation(str(raw))) is not None:
                        bad.append(what)
            return bad, await sync(s.ws)

    bad, rest = run_async(scenario)
    assert set(bad) == {"not json", "not an object", "no topic", "wrong type"}
    assert rest == []


def test_sts_unauthenticated_ends_the_session_until_ssodh_init_and_a_fresh_tickle() -> None:
    async def scenario() -> dict[str, Any]:
        seen: dict[str, Any] = {}
        async with streaming(rate=100, hb_interval_s=0.1) as s:
            call = s.consumer.call
            await subscribe(s.ws, AAPL, "84", "88")
            await next_frame(s.ws, topic_is(f"smd+{AAPL}"))
            seen["fault"] = await s.control("stream/faults", sts_unauthenticated=True)
            seen["sts"] = await next_frame(s.ws, topic_is("sts"))
            seen["status"] = (await call(s.client, "POST", "/iserver/auth/status")).json()
            await sync(s.ws)
            await subscribe(s.ws, AAPL, "84")  # ignored: this socket's session is gone
            seen["after"] = await until_quiet(s.ws, is_smd)
            seen["old_refused"] = await refused(s.root, s.consumer.access_token, s.session)
            init = await call(s.client, "POST", "/iserver/auth/ssodh/init", body={"publish": True, "compete": True})
            seen["init"] = init.status_code
            seen["status_again"] = (await call(s.client, "POST", "/iserver/auth/status")).json()
            fresh = await tickle_session(s.client, s.consumer)
            seen["fresh_differs"] = fresh != s.session
            seen["old_still_refused"] = await refused(s.root, s.consumer.access_token, s.session)
            async with open_stream(s.root, s.consumer.access_token, fresh) as ws:
                seen["greeting"] = [await next_frame(ws) for _ in range(3)]
        return seen

    seen = run_async(scenario)
    assert seen["fault"] == {"fault": "sts_unauthenticated", "value": True, "connections": 1}
    assert seen["sts"] == {
        "topic": "sts",
        "args": {
            "authenticated": False,
            "competing": False,
            "connected": True,
            "message": "",
            "fail": "session expired",
        },
    }
    assert seen["status"]["authenticated"] is False
    assert not any(map(is_smd, seen["after"]))
    for key in ("old_refused", "old_still_refused"):
        assert seen[key].rcvd.code == 1008
    assert seen["init"] == 200
    assert seen["status_again"]["authenticated"] is True
    assert seen["fresh_differs"] is True
    system, _, sts = seen["greeting"]
    assert system["topic"] == "system"
    assert sts["args"]["authenticated"] is True


def test_settings_are_validated_all_or_nothing_and_echoed() -> None:
    bad = [
        {"rate": -1},
        {"rate": 100_001},
        {"rate": "fast"},
        {"rate": True},
        {"hb_interval_s": 0},
        {"smd_ttl_s": float("inf")},
        {"max_lines": 1.5},
        {"depth_rate": 0},
        {"burst": 1},
        {"rate": 50, "colour": "red"},
    ]

    async def scenario() -> tuple[list[int], int, Frame, Frame]:
        async with ibkr_sandbox() as (client, root):
            url = f"{root}/sandbox/ibkr/stream"
            statuses = [(await client.post(url, content=json.dumps(b))).status_code for b in bad]
            not_json = (await client.post(url, content=b"{")).status_code
            applied = await client.post(url, json={"rate": 500, "burst": False, "max_lines": 3.0})
            unchanged = await client.post(url, json={"rate": 7, "max_lines": "many"})
            assert unchanged.status_code == 400
            return statuses, not_json, applied.json(), (await client.post(url, json={})).json()

    statuses, not_json, applied, current = run_async(scenario)
    assert statuses == [400] * len(bad)
    assert not_json == 400
    assert applied == {
        "rate": 500.0,
        "hb_interval_s": 10.0,
        "smd_ttl_s": 900.0,
        "max_lines": 3,
        "depth_rate": 5.0,
        "burst": False,
    }
    assert current == applied  # the refused update changed nothing


def test_faults_are_validated_and_apply_with_no_socket_open() -> None:
    bad = [{}, {"drop": False}, {"stall_s": 0}, {"stall_s": 301}, {"garbage": 0}, {"garbage": True}]
    bad += [{"garbage": 1.5}, {"drop": True, "garbage": 1}, {"explode": True}, []]
    bad += [{"frames": []}, {"frames": "x"}, {"frames": [1]}, {"refuse_order_topics": 0}, {"refuse_order_topics": True}]
    bad += [{"backlog": 0}, {"backlog": 100_001}, {"backlog": 2.5}]

    async def scenario() -> tuple[list[int], list[Frame]]:
        async with ibkr_sandbox() as (client, root):
            url = f"{root}/sandbox/ibkr/stream/faults"
            statuses = [(await client.post(url, json=b)).status_code for b in bad]
            good = [{"drop": True}, {"stall_s": 0.01}, {"garbage": 3}, {"sts_unauthenticated": True}]
            good += [{"frames": ["{}"]}, {"refuse_order_topics": 2}, {"backlog": 5}]
            return statuses, [(await client.post(url, json=g)).json() for g in good]

    statuses, applied = run_async(scenario)
    assert statuses == [400] * len(bad)
    assert [a["connections"] for a in applied] == [0] * 7
