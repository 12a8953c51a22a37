"""The emulated IBKR WebSocket over real loopback sockets: greeting, auth, keep-alives and smd."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosedError

from brokers.sandbox.ibkr.consumers import SERVER_INFO
from brokers.sandbox.ibkr.ticker import format_size, price_formatter
from tests.brokers.sandbox_ibkr.client_helpers import AAPL, ACCOUNT, MSFT, ibkr_sandbox, register
from tests.brokers.sandbox_ibkr.stream_helpers import (
    Frame,
    frames_until,
    is_smd,
    live_session,
    next_frame,
    open_stream,
    refused,
    streaming,
    subscribe,
    sync,
    tickle_session,
    topic_is,
    until_quiet,
)
from tests.conftest import run_async

ES = 495512557
META = {"topic", "conid", "conidEx", "server_id", "_updated"}
ALL_FIELDS = ("55", "31", "84", "86", "88", "85", "7059", "87", "6509", "7295", "70", "71", "7296", "7635")
SIZE_FIELDS = {"88", "85", "7059", "87"}
SIZE = re.compile(r"\d{1,3}(,\d{3})*")
AAPL_PRICE = re.compile(r"[CH]?\d+\.\d{2}")


def assert_formatted(frame: Frame) -> None:
    """IBKR's conventions: every value a string, sizes grouped by thousands, prices on AAPL's grid."""
    for field, value in frame.items():
        if field in META:
            continue
        assert isinstance(value, str), (field, value)
        if field in SIZE_FIELDS:
            assert SIZE.fullmatch(value), (field, value)
        elif field not in ("55", "6509"):
            assert AAPL_PRICE.fullmatch(value), (field, value)


def test_a_connection_is_greeted_with_system_act_and_sts() -> None:
    async def scenario() -> list[Frame]:
        async with ibkr_sandbox() as (client, root):
            consumer, session = await live_session(client, root)
            async with open_stream(root, consumer.access_token, session) as ws:
                return [await next_frame(ws) for _ in range(3)]

    system, act, sts = run_async(scenario)
    assert system == {"topic": "system", "success": "bdsandbox", "isFT": False, "isPaper": True}
    assert act["topic"] == "act"
    assert act["args"] == {
        "accounts": [ACCOUNT],
        "selectedAccount": ACCOUNT,
        "isPaper": True,
        "serverInfo": SERVER_INFO,
    }
    assert sts["topic"] == "sts"
    assert sts["args"] == {
        "authenticated": True,
        "competing": False,
        "connected": True,
        "message": "",
        "fail": "",
        **SERVER_INFO,
        "username": "bdsandbox",
    }


def test_sockets_without_a_live_brokerage_session_and_matching_token_are_closed_1008() -> None:
    async def scenario() -> list[ConnectionClosedError]:
        async with ibkr_sandbox() as (client, root):
            consumer = await register(client, root)
            assert (await consumer.mint(client)).response.status_code == 200
            before_init = await tickle_session(client, consumer)
            closes = [await refused(root, consumer.access_token, before_init)]
            init = await consumer.call(client, "POST", "/iserver/auth/ssodh/init", body={"publish": True})
            assert init.status_code == 200
            session = await tickle_session(client, consumer)
            closes.append(await refused(root, consumer.access_token, "0" * 32))
            closes.append(await refused(root, consumer.access_token, None))
            closes.append(await refused(root, "f" * 20, session))
            return closes

    for closed in run_async(scenario):
        assert closed.rcvd is not None
        assert (closed.rcvd.code, closed.rcvd.reason) == (1008, "not authenticated")


def test_heartbeats_arrive_every_hb_interval() -> None:
    async def scenario() -> list[Frame]:
        async with streaming(hb_interval_s=0.1) as s:
            return [await next_frame(s.ws, topic_is("system")) for _ in range(3)]

    beats = run_async(scenario)
    assert all(set(b) == {"topic", "hb"} and isinstance(b["hb"], int) for b in beats)
    assert beats[0]["hb"] <= beats[1]["hb"] <= beats[2]["hb"]


def test_tic_and_echo_are_answered() -> None:
    async def scenario() -> tuple[str, Frame, Frame]:
        async with streaming() as s:
            await s.ws.send("tic")
            tic = await next_frame(s.ws, topic_is("tic"))
            await s.ws.send("ech+hb")
            return s.session, tic, await next_frame(s.ws, topic_is("ech+hb"))

    session, tic, echo = run_async(scenario)
    assert tic == {"topic": "tic", "alive": True, "id": session, "lastAccessed": tic["lastAccessed"]}
    assert isinstance(tic["lastAccessed"], int)
    assert echo == {"topic": "ech+hb", "alive": True}


def test_smd_sends_every_field_first_then_only_what_changed() -> None:
    async def scenario() -> list[Frame]:
        async with streaming(rate=400) as s:
            await subscribe(s.ws, AAPL, *ALL_FIELDS)
            return await frames_until(s.ws, 150, topic_is(f"smd+{AAPL}"))

    first, *deltas = [f for f in run_async(scenario) if f["topic"] == f"smd+{AAPL}"]
    assert set(first) == META | set(ALL_FIELDS) - {"7059"}  # no print yet, so no last size
    assert (first["conid"], first["conidEx"], first["server_id"]) == (AAPL, str(AAPL), "q0")
    assert (first["55"], first["6509"]) == ("AAPL", "RpB")
    assert first["31"] == "C" + first["7296"]  # before the first print: the prior close, prefixed
    assert first["87"] == "125,000"
    assert_formatted(first)
    state = {k: v for k, v in first.items() if k not in META}
    for delta in deltas:
        assert isinstance(delta["_updated"], int)
        assert delta["conid"] == AAPL
        changed = {k: v for k, v in delta.items() if k not in META}
        assert changed
        assert all(state.get(k) != v for k, v in changed.items()), (state, delta)
        assert_formatted(delta)
        state |= changed
    assert "55" not in set().union(*deltas)
    assert not state["31"].startswith("C")
    assert float(state["84"]) < float(state["86"])
    assert int(state["87"].replace(",", "")) > 125_000


def test_a_resend_adds_fields_and_they_follow_with_the_next_delta() -> None:
    async def scenario() -> tuple[Frame, list[Frame]]:
        async with streaming(rate=200) as s:
            await subscribe(s.ws, AAPL, "84", "88")
            first = await next_frame(s.ws, topic_is(f"smd+{AAPL}"))
            await subscribe(s.ws, AAPL, "84", "55")
            later = await frames_until(s.ws, 1, lambda f: "55" in f)
            return first, later

    first, later = run_async(scenario)
    assert set(first) - META == {"84", "88"}
    assert later[-1]["55"] == "AAPL"
    assert all(f.get("topic") != f"smd+{AAPL}" or set(f) - META <= {"84", "88", "55"} for f in later)


@given(st.integers(min_value=0, max_value=10**15))
def test_sizes_are_grouped_by_thousands(size: int) -> None:
    text = format_size(size)
    assert SIZE.fullmatch(text)
    assert int(text.replace(",", "")) == size
    assert ("," in text) == (size >= 1000)


def test_size_and_price_formatting_examples() -> None:
    assert [format_size(n) for n in (0, 999, 1000, 1300, 1_234_500)] == ["0", "999", "1,000", "1,300", "1,234,500"]
    assert price_formatter(0.01)(189.6) == "189.60"
    assert price_formatter(0.25)(5200) == "5200.00"
    assert price_formatter(0.00005)(1.085) == "1.08500"
    assert price_formatter(1)(17.0) == "17"


def test_one_line_more_than_max_lines_is_refused_until_a_line_is_freed() -> None:
    async def scenario() -> tuple[Frame, list[Frame], Frame]:
        async with streaming(rate=50, max_lines=2) as s:
            for conid in (AAPL, MSFT):
                await subscribe(s.ws, conid, "84")
                await next_frame(s.ws, topic_is(f"smd+{conid}"))
            await subscribe(s.ws, ES, "84")
            refusal = await next_frame(s.ws, lambda f: "error" in f)
            await subscribe(s.ws, AAPL, "86")  # a re-send is no new line
            quiet = [f for f in await sync(s.ws) if "error" in f]
            await s.ws.send(f"umd+{MSFT}+{{}}")
            await subscribe(s.ws, ES, "84")
            return refusal, quiet, await next_frame(s.ws, topic_is(f"smd+{ES}"))

    refusal, quiet, es = run_async(scenario)
    assert refusal == {"topic": f"smd+{ES}", "error": "market data line limit reached (2 lines)", "code": "lines"}
    assert quiet == []
    assert es["conid"] == ES
    assert "84" in es


def test_an_unknown_conid_is_refused() -> None:
    async def scenario() -> list[Frame]:
        async with streaming() as s:
            await s.ws.send('smd+999999+{"fields":["31"]}')
            await s.ws.send("smd+AAPL+{}")
            return [await next_frame(s.ws, lambda f: "error" in f) for _ in range(2)]

    assert run_async(scenario) == [
        {"topic": "smd+999999", "error": "unknown contract 999999", "code": "contract"},
        {"topic": "smd+AAPL", "error": "unknown contract AAPL", "code": "contract"},
    ]


def test_umd_stops_that_line_and_only_that_line() -> None:
    async def scenario() -> list[Frame]:
        async with streaming(rate=400) as s:
            await subscribe(s.ws, AAPL, "84", "86", "88", "85")
            await subscribe(s.ws, MSFT, "84", "86", "88", "85")
            await frames_until(s.ws, 10, topic_is(f"smd+{AAPL}"))
            await s.ws.send(f"umd+{AAPL}+{{}}")
            await sync(s.ws)
            return await frames_until(s.ws, 40, topic_is(f"smd+{MSFT}"))

    assert not any(f["topic"] == f"smd+{AAPL}" for f in run_async(scenario))


def test_an_smd_line_lapses_after_its_ttl_and_a_resend_restarts_it() -> None:
    async def scenario() -> tuple[int, Frame, list[Frame]]:
        async with streaming(rate=100, smd_ttl_s=1, hb_interval_s=0.1) as s:
            await subscribe(s.ws, AAPL, "84", "86", "88", "85")
            streamed = sum(map(is_smd, await until_quiet(s.ws, is_smd)))
            await subscribe(s.ws, AAPL, "84", "86", "88", "85")
            restarted = await next_frame(s.ws, topic_is(f"smd+{AAPL}"))
            return streamed, restarted, await frames_until(s.ws, 10, topic_is(f"smd+{AAPL}"))

    streamed, restarted, after = run_async(scenario)
    assert streamed > 10  # it streamed before it lapsed
    assert set(restarted) - META == {"84", "86", "88", "85"}  # a restart begins with a full frame
    assert len([f for f in after if f["topic"] == f"smd+{AAPL}"]) == 10


def test_rate_paces_the_smd_frames() -> None:
    async def scenario() -> int:
        async with streaming(rate=200) as s:
            await subscribe(s.ws, AAPL, *ALL_FIELDS)
            first = await next_frame(s.ws, topic_is(f"smd+{AAPL}"))
            end, count = first["_updated"] + 1000, 0  # one second of the server's own clock
            while (await next_frame(s.ws, topic_is(f"smd+{AAPL}")))["_updated"] < end:
                count += 1
            return count

    assert 100 <= run_async(scenario) <= 400
