"""The emulated IBKR order desk over real HTTP and its WebSocket: fills, cancel, modify, monitoring quirks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.brokers.sandbox_ibkr.client_helpers import AAPL, ACCOUNT, error_of
from tests.brokers.sandbox_ibkr.order_helpers import Desk, limit_ticket, order_desk
from tests.brokers.sandbox_ibkr.stream_helpers import next_frame, stream, sync, tickle_session, topic_is
from tests.conftest import run_async


async def touch(desk: Desk) -> tuple[float, float]:
    await desk.market_data()
    row = (await desk.call("GET", "/iserver/marketdata/snapshot", conids=str(AAPL), fields="84,86")).json()[0]
    return float(row["84"]), float(row["86"])


def test_a_large_market_order_walks_the_ladder_level_by_level() -> None:
    async def scenario() -> tuple[dict[str, Any], list[dict[str, Any]]]:
        async with order_desk() as desk:
            await desk.market_data()
            ticket = {k: v for k, v in limit_ticket(0, quantity=3000).items() if k != "price"} | {"orderType": "MKT"}
            order_id = await desk.accepted(ticket)
            state = await desk.state()
            return await desk.order(order_id), [e for e in state["executions"] if e["order_ref"] == ticket["cOID"]]

    row, executions = run_async(scenario)
    prices = [Decimal(e["price"]) for e in executions]
    assert len(executions) >= 2
    assert prices == sorted(prices)
    assert len(set(prices)) == len(prices)
    filled = sum(Decimal(str(e["size"])) for e in executions)
    assert row["status"] in ("Filled", "Submitted")  # ten levels may hold less than 3000
    assert Decimal(row["filledQuantity"]) == filled
    average = sum(Decimal(str(e["size"])) * Decimal(e["price"]) for e in executions) / filled
    assert Decimal(row["avgPrice"]) == average.quantize(Decimal("0.0001"))
    assert {e["side"] for e in executions} == {"B"}
    assert all(e["account"] == ACCOUNT for e in executions)


def test_a_marketable_limit_fills_what_the_touch_holds_and_rests_the_rest() -> None:
    async def scenario() -> dict[str, Any]:
        async with order_desk() as desk:
            _, ask = await touch(desk)
            order_id = await desk.accepted(limit_ticket(ask, quantity=5000))
            return await desk.order(order_id)

    row = run_async(scenario)
    assert row["status"] == "Submitted"
    assert 0 < Decimal(row["filledQuantity"]) < 5000
    assert Decimal(row["filledQuantity"]) + Decimal(row["remainingQuantity"]) == 5000


def test_a_resting_limit_fills_once_the_market_comes_to_it() -> None:
    async def scenario() -> list[str]:
        async with order_desk() as desk:
            bid, _ = await touch(desk)
            order_id = await desk.accepted(limit_ticket(round(bid - 0.02, 2), quantity=1))
            statuses = [(await desk.order(order_id))["status"]]
            for _ in range(200):
                await desk.control("step", steps=5)
                if (status := (await desk.order(order_id))["status"]) != statuses[-1]:
                    statuses.append(status)
                    break
            return statuses

    assert run_async(scenario) == ["Submitted", "Filled"]


def test_cancel_acknowledges_then_cancels_and_unknown_orders_are_errors() -> None:
    async def scenario() -> tuple[Any, list[str], str, str]:
        async with order_desk() as desk:
            bid, _ = await touch(desk)
            order_id = await desk.accepted(limit_ticket(round(bid - 0.05, 2)))
            ack = (await desk.call("DELETE", f"/iserver/account/{ACCOUNT}/order/{order_id}")).json()
            statuses = [(await desk.order(order_id))["status"]]
            await desk.call("GET", "/iserver/account/orders")
            statuses.append((await desk.order(order_id))["status"])
            again = error_of(await desk.call("DELETE", f"/iserver/account/{ACCOUNT}/order/{order_id}"))
            unknown = error_of(await desk.call("DELETE", f"/iserver/account/{ACCOUNT}/order/12345"))
            return ack, statuses, again, unknown

    ack, statuses, again, unknown = run_async(scenario)
    assert ack["msg"] == "Request was submitted"
    assert ack["conid"] == AAPL
    assert ack["account"] == ACCOUNT
    assert statuses == ["PendingCancel", "Cancelled"]
    assert again.endswith("doesn't exist")
    assert unknown == "OrderID 12345 doesn't exist"


def test_modify_takes_the_complete_ticket_and_refuses_a_partial_one() -> None:
    async def scenario() -> tuple[int, str, Any, dict[str, Any], dict[str, Any]]:
        async with order_desk() as desk:
            bid, _ = await touch(desk)
            ticket = limit_ticket(round(bid - 0.05, 2), quantity=10)
            order_id = await desk.accepted(ticket)
            path = f"/iserver/account/{ACCOUNT}/order/{order_id}"
            partial = await desk.call("POST", path, {"price": round(bid - 0.06, 2)})
            changed = ticket | {"price": round(bid - 0.06, 2), "quantity": 20}
            answer = (await desk.call("POST", path, changed)).json()
            return partial.status_code, error_of(partial), answer, await desk.order(order_id), changed

    status, error, answer, row, changed = run_async(scenario)
    assert status == 200
    assert "missing required field" in error
    assert answer[0]["order_status"] == "Submitted"
    assert (row["totalSize"], row["order_ref"]) == ("20.0", changed["cOID"])
    assert Decimal(row["price"]) == Decimal(str(changed["price"]))


def test_live_orders_are_empty_first_and_after_force_and_paced() -> None:
    async def scenario() -> list[tuple[int, int]]:
        async with order_desk(poll_interval_s=30.0) as desk:
            await desk.control("settings", poll_interval_s=0)
            bid, _ = await touch(desk)
            await desk.accepted(limit_ticket(round(bid - 0.05, 2)))
            calls = []
            for query in ({}, {}, {"force": "true"}, {}):
                response = await desk.call("GET", "/iserver/account/orders", **query)
                calls.append((response.status_code, len(response.json().get("orders", []))))
            await desk.control("settings", poll_interval_s=30.0)
            await desk.call("GET", "/iserver/account/orders")
            response = await desk.call("GET", "/iserver/account/orders")
            calls.append((response.status_code, 0))
            return calls

    assert run_async(scenario) == [(200, 0), (200, 1), (200, 0), (200, 1), (429, 0)]


def test_trades_report_executions_with_numbers_as_strings() -> None:
    async def scenario() -> list[dict[str, Any]]:
        async with order_desk() as desk:
            _, ask = await touch(desk)
            ticket = limit_ticket(ask, quantity=1)
            await desk.accepted(ticket)
            trades = (await desk.call("GET", "/iserver/account/trades")).json()
            return [t for t in trades if t["order_ref"] == ticket["cOID"]]

    (trade,) = run_async(scenario)
    assert trade["side"] == "B"
    assert trade["size"] == 1.0
    assert isinstance(trade["price"], str)
    assert trade["execution_id"].startswith("0000e0d5.")


def test_sor_streams_sparse_deltas_and_str_streams_executions() -> None:
    async def scenario() -> tuple[list[dict[str, Any]], dict[str, Any]]:
        async with order_desk() as desk:
            session = await tickle_session(desk.client, desk.consumer)
            async with stream(desk.root, desk.consumer, session) as ws:
                await ws.send("sor+{}")
                await ws.send('str+{"realtimeUpdatesOnly":true}')
                assert not [f for f in await sync(ws) if f.get("topic") in ("sor", "str")]  # nothing yet: silence
                bid, ask = await touch(desk)
                order_id = await desk.accepted(limit_ticket(round(bid - 0.05, 2), quantity=2))
                first = await next_frame(ws, topic_is("sor"))
                path = f"/iserver/account/{ACCOUNT}/order/{order_id}"
                await desk.call("DELETE", path)
                second = await next_frame(ws, topic_is("sor"))
                await desk.accepted(limit_ticket(ask, quantity=1))
                trade = await next_frame(ws, topic_is("str"))
                return [first["args"][0], second["args"][0]], trade["args"][0]

    (full, delta), trade = run_async(scenario)
    assert full["status"] == "Submitted"
    assert full["order_ref"].startswith("bd-test-")
    assert "conid" in full
    assert delta == {"orderId": full["orderId"], "status": "PendingCancel", "order_ccp_status": "PendingCancel"}
    assert trade["side"] == "B"
    assert trade["size"] == 1.0


def test_refused_order_topics_answer_unable_to_subscribe_then_subscribe_again() -> None:
    async def scenario() -> tuple[list[dict[str, Any]], dict[str, Any]]:
        async with order_desk() as desk:
            session = await tickle_session(desk.client, desk.consumer)
            async with stream(desk.root, desk.consumer, session) as ws:
                faults = f"{desk.root}/sandbox/ibkr/stream/faults"
                (await desk.client.post(faults, json={"refuse_order_topics": 2})).raise_for_status()
                await ws.send("sor+{}")
                await ws.send("str+{}")
                refusals = [await next_frame(ws, lambda f: "error" in f) for _ in range(2)]
                await ws.send("sor+{}")  # the fault is spent: this one subscribes
                bid, _ = await touch(desk)
                await desk.accepted(limit_ticket(round(bid - 0.05, 2), quantity=2))
                return refusals, await next_frame(ws, topic_is("sor"))

    refusals, update = run_async(scenario)
    assert refusals == [{"error": "unable to subscribe"}] * 2
    assert update["args"][0]["status"] == "Submitted"
