"""The IBKR order route against the sandbox over real HTTP: tickets on the wire and the reply loop by id."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from brokers.core.orders import Accepted, Ambiguous, Asked, OrderStatus, OrderType, Refused, TimeInForce
from brokers.ibkr.connector import IbkrConnector
from brokers.ibkr.reply_policy import AUTO_CONFIRMED, NEVER_AUTO_CONFIRMED
from tests.brokers.ibkr.order_peer import AAPL, ACCOUNT, order_desk, request
from tests.conftest import run_async

CENT = Decimal("0.01")


def test_each_order_type_goes_out_as_the_reference_ticket() -> None:
    async def scenario() -> tuple[list[Any], list[dict[str, Any]], Decimal, Decimal]:
        async with order_desk() as desk:
            bid, ask = await desk.touch()
            stop, limit = ask + Decimal("1.10"), ask + Decimal("1.60")
            orders = [
                (request(OrderType.MARKET, 1), "k-mkt"),
                (request(OrderType.LIMIT, limit_price=bid - CENT, tif=TimeInForce.GTC, outside_rth=True), "k-lmt"),
                (request(OrderType.STOP, stop_price=stop), "k-stp"),
                (request(OrderType.STOP_LIMIT, stop_price=stop, limit_price=limit), "k-stl"),
            ]
            outcomes = [await desk.route.place(order, key) for order, key in orders]
            return outcomes, await desk.received("place"), bid, stop

    outcomes, placed, bid, stop = run_async(scenario)
    assert all(isinstance(o, Accepted) for o in outcomes), outcomes
    tickets = [entry["body"]["orders"][0] for entry in placed]
    common = {"acctId": ACCOUNT, "conid": AAPL, "side": "BUY"}
    assert tickets[0] == common | {
        "orderType": "MKT",
        "tif": "DAY",
        "quantity": 1,
        "outsideRTH": False,
        "cOID": "k-mkt",
    }
    lmt = {"orderType": "LMT", "tif": "GTC", "quantity": 10, "outsideRTH": True, "cOID": "k-lmt"}
    assert tickets[1] == common | lmt | {"price": float(bid - CENT)}
    assert tickets[2] == common | {"orderType": "STP", "tif": "DAY", "quantity": 10, "outsideRTH": False} | {
        "cOID": "k-stp",
        "price": float(stop),
    }
    assert tickets[3]["price"] == float(stop + Decimal("0.50"))
    assert tickets[3]["auxPrice"] == float(stop)


def test_whitelisted_questions_are_confirmed_and_named_in_the_outcome() -> None:
    async def scenario() -> tuple[Any, list[dict[str, Any]]]:
        async with order_desk() as desk:
            await desk.touch()
            await desk.control("questions", message_ids=["o10151", "o10331"])
            outcome = await desk.route.place(request(OrderType.MARKET, 1), "k-1")
            return outcome, await desk.received("reply")

    outcome, replies = run_async(scenario)
    assert isinstance(outcome, Accepted)
    assert [r["body"] for r in replies] == [{"confirmed": True}, {"confirmed": True}]


@pytest.mark.parametrize("dangerous", ["o354", "o403", "o10334", "o163", "p6", "o0", "o99999"])
def test_a_dangerous_or_unknown_id_stops_the_order_until_the_trader_answers(dangerous: str) -> None:
    async def scenario() -> tuple[Any, int, Any, int]:
        async with order_desk() as desk:
            bid, _ = await desk.touch()
            await desk.control("questions", message_ids=[dangerous])
            asked = await desk.route.place(request(OrderType.LIMIT, limit_price=bid - CENT), "k-1")
            before = len(await desk.received("reply"))
            assert isinstance(asked, Asked)
            done = await desk.route.answer(asked.question, True)
            return asked, before, done, len(await desk.received("reply"))

    asked, before, done, after = run_async(scenario)
    assert asked.question.message_ids == (dangerous,)
    assert asked.question.messages
    assert before == 0
    assert isinstance(done, Accepted)
    assert after == 1


def test_the_policy_never_whitelists_a_dangerous_id() -> None:
    assert not set(AUTO_CONFIRMED) & NEVER_AUTO_CONFIRMED
    assert IbkrConnector.trades is True


def test_chained_questions_mix_confirmed_and_asked_ids() -> None:
    async def scenario() -> list[Any]:
        async with order_desk() as desk:
            bid, _ = await desk.touch()
            await desk.control("questions", message_ids=["o10151", "o163", "o403"])
            first = await desk.route.place(request(OrderType.LIMIT, limit_price=bid - CENT), "k-1")
            assert isinstance(first, Asked)
            second = await desk.route.answer(first.question, True)
            assert isinstance(second, Asked)
            return [first, second, await desk.route.answer(second.question, True)]

    first, second, done = run_async(scenario)
    assert (first.question.message_ids, first.answered) == (("o163",), ("o10151",))
    assert (second.question.message_ids, second.answered) == (("o403",), ("o10151", "o163"))
    assert isinstance(done, Accepted)


def test_declining_discards_the_order_and_another_order_waits_for_the_answer() -> None:
    async def scenario() -> tuple[Any, Any, list[dict[str, Any]], tuple[Any, ...]]:
        async with order_desk() as desk:
            bid, _ = await desk.touch()
            await desk.control("questions", message_ids=["o163"])
            asked = await desk.route.place(request(OrderType.LIMIT, limit_price=bid - CENT), "k-1")
            assert isinstance(asked, Asked)
            blocked = await desk.route.place(request(OrderType.LIMIT, limit_price=bid - CENT), "k-2")
            declined = await desk.route.answer(asked.question, False)
            return blocked, declined, await desk.received(), await desk.route.orders()

    blocked, declined, received, orders = run_async(scenario)
    assert isinstance(blocked, Refused)
    assert "waiting for the answer" in blocked.reason
    assert isinstance(declined, Refused)
    assert declined.reason.startswith("declined")
    assert [(e["kind"], e["body"].get("confirmed")) for e in received] == [("place", None), ("reply", False)]
    assert orders == ()


def test_a_503_on_a_reply_is_ambiguous_and_find_reconciles_the_live_order() -> None:
    async def scenario() -> tuple[Any, Any, int]:
        async with order_desk(poll_interval_s=0.5) as desk:
            bid, _ = await desk.touch()
            await desk.control("questions", message_ids=["o354"])
            await desk.control("reply_unavailable", goes_live=True)
            asked = await desk.route.place(request(OrderType.LIMIT, limit_price=bid - CENT), "k-503")
            assert isinstance(asked, Asked)
            ambiguous = await desk.route.answer(asked.question, True)
            found = await desk.route.find("k-503")
            return ambiguous, found, len(await desk.received("place"))

    ambiguous, found, places = run_async(scenario)
    assert isinstance(ambiguous, Ambiguous)
    assert found is not None
    assert found.status is OrderStatus.WORKING
    assert places == 1  # never re-sent


def test_a_503_while_confirming_a_whitelisted_id_is_ambiguous_too() -> None:
    async def scenario() -> Any:
        async with order_desk() as desk:
            await desk.touch()
            await desk.control("questions", message_ids=["o10151"])
            await desk.control("reply_unavailable", goes_live=False)
            return await desk.route.place(request(OrderType.MARKET, 1), "k-1")

    assert isinstance(run_async(scenario), Ambiguous)


def test_a_duplicate_key_is_refused_by_ibkr() -> None:
    async def scenario() -> tuple[Any, Any]:
        async with order_desk() as desk:
            bid, _ = await desk.touch()
            order = request(OrderType.LIMIT, limit_price=bid - CENT)
            return await desk.route.place(order, "k-dup"), await desk.route.place(order, "k-dup")

    first, second = run_async(scenario)
    assert isinstance(first, Accepted)
    assert isinstance(second, Refused)
    assert "Local order ID=k-dup is already registered" in second.reason
