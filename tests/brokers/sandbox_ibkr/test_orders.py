"""The emulated IBKR order desk over real HTTP: placing, refusals, and the reply loop by message id."""

from __future__ import annotations

from typing import Any

import pytest

from tests.brokers.sandbox_ibkr.client_helpers import AAPL, ACCOUNT, error_of, ibkr_sandbox, register
from tests.brokers.sandbox_ibkr.order_helpers import Desk, limit_ticket, order_desk
from tests.conftest import run_async


async def near_market(desk: Desk) -> float:
    """A limit price one cent below the bid: no o163, and it rests."""
    await desk.market_data()
    snapshot = (await desk.call("GET", "/iserver/marketdata/snapshot", conids=str(AAPL), fields="84")).json()
    return round(float(snapshot[0]["84"]) - 0.01, 2)


def test_a_limit_order_near_the_market_is_accepted_at_once_and_journaled() -> None:
    async def scenario() -> tuple[Any, dict[str, Any], list[dict[str, Any]]]:
        async with order_desk() as desk:
            ticket = limit_ticket(await near_market(desk))
            answer = (await desk.place(ticket)).json()
            return answer, await desk.order(answer[0]["order_id"]), await desk.received()

    answer, row, received = run_async(scenario)
    assert answer == [{"order_id": answer[0]["order_id"], "order_status": "Submitted", "encrypt_message": "1"}]
    assert row["status"] == "Submitted"
    assert row["order_ref"].startswith("bd-test-")
    assert (row["totalSize"], row["filledQuantity"], row["remainingQuantity"]) == ("10.0", "0.0", "10.0")
    assert row["avgPrice"] == ""
    (entry,) = received
    assert entry["kind"] == "place"
    assert entry["account"] == ACCOUNT
    assert entry["body"]["orders"][0]["cOID"]
    assert entry["status"] == 200
    assert entry["answer"] == answer


REFUSED_TICKETS = [
    ({"price": None}, "price is required"),
    ({"orderType": "STP", "price": None}, "stop price"),
    ({"orderType": "STOP_LIMIT"}, "auxPrice"),
    ({"quantity": 1.5}, "whole share"),
    ({"tif": "FOREVER"}, "invalid tif"),
    ({"orderType": "PEG"}, "invalid orderType"),
    ({"conid": 999}, "contract not found"),
    ({"side": "HOLD"}, "invalid side"),
]


@pytest.mark.parametrize(("change", "says"), REFUSED_TICKETS)
def test_tickets_ibkr_cannot_accept_are_refused_with_200_and_an_error(change: dict[str, Any], says: str) -> None:
    async def scenario() -> tuple[int, str]:
        async with order_desk() as desk:
            ticket = {k: v for k, v in (limit_ticket(180.0) | change).items() if v is not None}
            response = await desk.place(ticket)
            return response.status_code, error_of(response)

    status, error = run_async(scenario)
    assert status == 200
    assert says in error


def test_malformed_requests_and_missing_preconditions_are_refused() -> None:
    async def scenario() -> dict[str, tuple[int, str]]:
        async with ibkr_sandbox() as (client, root):
            consumer = await register(client, root)
            assert (await consumer.mint(client)).response.status_code == 200
            await consumer.call(client, "POST", "/iserver/auth/ssodh/init", body={"publish": True})
            desk = Desk(client, root, consumer)
            seen = {"no accounts call": await desk.place(limit_ticket(180.0))}
            assert (await consumer.call(client, "GET", "/iserver/accounts")).status_code == 200
            seen["unknown account"] = await desk.place(limit_ticket(180.0), account="DU0000000")
            seen["bare array"] = await desk.call("POST", f"/iserver/account/{ACCOUNT}/orders", [limit_ticket(180.0)])
            missing = {k: v for k, v in limit_ticket(180.0).items() if k != "side"}
            seen["missing side"] = await desk.place(missing)
            seen["two orders"] = await desk.call(
                "POST", f"/iserver/account/{ACCOUNT}/orders", {"orders": [limit_ticket(180.0), limit_ticket(180.0)]}
            )
            return {name: (r.status_code, error_of(r)) for name, r in seen.items()}

    seen = run_async(scenario)
    assert seen["no accounts call"] == (400, "Please query /accounts first")
    assert seen["unknown account"] == (400, "Bad Request: accountId is not valid: DU0000000")
    assert seen["bare array"][0] == 500
    assert seen["missing side"][0] == 200
    assert "side" in seen["missing side"][1]
    assert seen["two orders"][0] == 200
    assert "bulk" in seen["two orders"][1]


def test_a_duplicate_coid_is_refused_as_already_registered() -> None:
    async def scenario() -> tuple[int, str]:
        async with order_desk() as desk:
            ticket = limit_ticket(await near_market(desk))
            await desk.accepted(ticket)
            response = await desk.place(ticket)
            return response.status_code, error_of(response)

    status, error = run_async(scenario)
    assert status == 200
    assert error.startswith("Order couldn't be submitted: Local order ID=bd-test-")
    assert error.endswith("is already registered.")


def test_questions_come_from_the_order_and_chain_one_per_round() -> None:
    async def scenario() -> list[Any]:
        async with order_desk() as desk:
            market = {"orderType": "MKT", "price": None}
            ticket = {k: v for k, v in (limit_ticket(0) | market).items() if v is not None}
            first = (await desk.place(ticket)).json()  # no market data yet: o354, then the market-order note
            second = (await desk.reply(first[0]["id"])).json()
            done = (await desk.reply(second[0]["id"])).json()
            return [first, second, done]

    first, second, done = run_async(scenario)
    assert first[0]["messageIds"] == ["o354"]
    assert first[0]["isSuppressed"] is False
    assert "without market data" in first[0]["message"][0]
    assert second[0]["messageIds"] == ["o10151"]
    assert second[0]["id"] != first[0]["id"]
    assert done[0]["order_status"] in ("Submitted", "Filled")


def test_far_limits_and_immediate_stops_ask_o163_and_o403() -> None:
    async def scenario() -> tuple[list[str], list[str]]:
        async with order_desk() as desk:
            bid = await near_market(desk)
            far = (await desk.place(limit_ticket(round(bid * 0.5, 2)))).json()
            stop = limit_ticket(round(bid * 0.99, 2), side="BUY", orderType="STP")
            stopped = (await desk.place(stop)).json()
            return far[0]["messageIds"], stopped[0]["messageIds"]

    far, stop = run_async(scenario)
    assert far == ["o163"]
    assert stop == ["o10331"]  # the disclosure first; o403 follows once it is confirmed


def test_a_declined_question_discards_the_order_and_unknown_or_stale_replies_fail() -> None:
    async def scenario() -> dict[str, tuple[int, Any]]:
        async with order_desk() as desk:
            await desk.control("questions", message_ids=["o163"])
            declined = (await desk.place(limit_ticket(180.0))).json()
            seen = {"declined": await desk.reply(declined[0]["id"], confirmed=False)}
            seen["again"] = await desk.reply(declined[0]["id"])
            await desk.control("questions", message_ids=["o163"])
            stale = (await desk.place(limit_ticket(180.0))).json()
            await desk.control("questions", message_ids=[])
            await desk.place(limit_ticket(180.0))  # another order request: the first question is stale now
            seen["stale"] = await desk.reply(stale[0]["id"])
            seen["orders"] = await desk.call("GET", "/iserver/account/orders")
            seen["orders"] = await desk.call("GET", "/iserver/account/orders")
            return {name: (r.status_code, r.json()) for name, r in seen.items()}

    seen = run_async(scenario)
    assert seen["declined"] == (200, {"error": "Order not confirmed "})
    assert seen["again"][0] == 400
    assert seen["again"][1]["error"].startswith("reply id not found: '")
    assert seen["stale"] == (503, {"error": "Service Unavailable", "statusCode": 503})
    assert len(seen["orders"][1]["orders"]) == 1  # only the order placed without questions went live


def test_forced_chained_questions_and_suppression() -> None:
    async def scenario() -> list[list[str]]:
        async with order_desk() as desk:
            await desk.market_data()
            await desk.control("questions", message_ids=["o163", "o354"])
            asked = []
            answer = (await desk.place(limit_ticket(180.0))).json()
            while "id" in answer[0]:
                asked.append(answer[0]["messageIds"])
                answer = (await desk.reply(answer[0]["id"])).json()
            suppress = await desk.call("POST", "/iserver/questions/suppress", {"messageIds": ["o163"]})
            assert suppress.json() == {"status": "submitted"}
            empty = await desk.call("POST", "/iserver/questions/suppress", {"messageIds": []})
            assert empty.status_code == 500
            await desk.control("questions", message_ids=["o163", "o354"])
            after = (await desk.place(limit_ticket(180.0))).json()
            reset = await desk.call("POST", "/iserver/questions/suppress/reset")
            assert reset.json() == {"status": "submitted"}
            await desk.control("questions", message_ids=["o163"])
            again = (await desk.place(limit_ticket(180.0))).json()
            return [*asked, after[0]["messageIds"], again[0]["messageIds"]]

    assert run_async(scenario) == [["o163"], ["o354"], ["o354"], ["o163"]]


def test_a_503_on_reply_can_still_put_the_order_live() -> None:
    async def scenario() -> tuple[int, list[dict[str, Any]], list[str]]:
        async with order_desk() as desk:
            await desk.control("questions", message_ids=["o354"])
            await desk.control("reply_unavailable", goes_live=True)
            ticket = limit_ticket(150.0)
            question = (await desk.place(ticket)).json()
            reply = await desk.reply(question[0]["id"])
            await desk.call("GET", "/iserver/account/orders")
            live = (await desk.call("GET", "/iserver/account/orders")).json()["orders"]
            kinds = [entry["kind"] for entry in await desk.received()]
            return reply.status_code, [o for o in live if o["order_ref"] == ticket["cOID"]], kinds

    status, live, kinds = run_async(scenario)
    assert status == 503
    assert len(live) == 1
    assert live[0]["status"] == "Submitted"
    assert kinds == ["place", "reply"]
