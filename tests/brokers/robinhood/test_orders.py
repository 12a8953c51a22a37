"""Placing Robinhood orders through the route the trading core uses, against the sandbox Robinhood over
loopback on a real sign-in and the real keyring: review then place, the trader's answer to alerts, one order
per key whatever the transport does, and the agentic-account rule."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from brokers.core.orders import (
    Accepted,
    Ambiguous,
    Asked,
    OrderStatus,
    OrderType,
    Refused,
    Side,
    TimeInForce,
)
from brokers.core.structures import StructureKind, StructureRequest
from brokers.robinhood.order_tickets import ref_id_for
from brokers.robinhood.orders import RobinhoodOrderRoute
from tests.brokers.robinhood.flows import tokens
from tests.brokers.robinhood.orders_setup import ACCOUNT, LARGE, request, tools_called
from tests.conftest import run_async

pytestmark = pytest.mark.secretservice


def test_an_order_without_alerts_is_reviewed_then_placed_with_its_ref_id(rh, route_run):
    async def scenario(route: RobinhoodOrderRoute) -> tuple[Any, Any, Any]:
        before = route.clock_offset_s()
        return before, await route.place(request(), "k-plain"), route.clock_offset_s()

    clock_before, outcome, clock_after = route_run(scenario)
    assert clock_before is None  # the readiness check waits for Robinhood's first answer
    assert clock_after == 0.0  # the sandbox's Date shares this computer's clock
    assert isinstance(outcome, Accepted)
    assert outcome.status is OrderStatus.WORKING
    (order,) = rh.orders()
    assert order["id"] == outcome.broker_order_id
    assert (order["account_number"], order["symbol"], order["quantity"], order["price"]) == (
        ACCOUNT,
        "F",
        "10",
        "11.95",
    )
    assert (order["state"], order["side"], order["type"], order["time_in_force"]) == ("queued", "buy", "limit", "gfd")
    assert tools_called(rh) == ["get_accounts", "review_equity_order", "place_equity_order"]
    (place,) = rh.calls("place_equity_order")
    assert place["ref_id"] == ref_id_for("k-plain")
    assert rh.calls("review_equity_order")[0]["ref_id"] is None


def test_an_alert_is_asked_and_a_confirmation_places_the_reviewed_order_once(rh, route_run):
    async def scenario(route: RobinhoodOrderRoute) -> tuple[Any, ...]:
        asked = await route.place(request(**LARGE), "k-alert")
        placed_before = [c["tool"] for c in await asyncio.to_thread(rh.calls, "place_equity_order")]
        assert isinstance(asked, Asked)
        confirmed = await route.answer(asked.question, True)
        again = await route.answer(asked.question, True)
        return asked, placed_before, confirmed, again

    asked, placed_before, confirmed, again = route_run(scenario)
    assert asked.question.message_ids == ("INSUFFICIENT_BUYING_POWER", "market_data_disclosure")
    message, disclosure = asked.question.messages
    assert "Not enough buying power" in message
    assert disclosure.startswith("Sandbox market data as of ")  # the review's disclosure, verbatim
    assert "$1900.00" in message
    assert "$287.50" in message
    assert placed_before == []  # nothing placed while the trader decides
    assert isinstance(confirmed, Accepted)
    assert isinstance(again, Refused)
    assert "no longer open" in again.reason
    (order,) = rh.orders()
    assert order["id"] == confirmed.broker_order_id
    assert [c["ref_id"] for c in rh.calls("place_equity_order")] == [ref_id_for("k-alert")]


def test_a_declined_alert_places_nothing(rh, route_run):
    async def scenario(route: RobinhoodOrderRoute) -> Any:
        asked = await route.place(request(**LARGE), "k-declined")
        assert isinstance(asked, Asked)
        return await route.answer(asked.question, False)

    declined = route_run(scenario)
    assert isinstance(declined, Refused)
    assert declined.reason.startswith("declined")
    assert rh.orders() == []
    assert "place_equity_order" not in tools_called(rh)


def test_the_same_key_placed_again_is_the_same_order(rh, route_run):
    async def scenario(route: RobinhoodOrderRoute) -> tuple[Any, Any]:
        return await route.place(request(), "k-twice"), await route.place(request(), "k-twice")

    first, second = route_run(scenario)
    assert isinstance(first, Accepted)
    assert isinstance(second, Accepted)
    assert first.broker_order_id == second.broker_order_id
    assert len(rh.orders()) == 1
    assert [c["ref_id"] for c in rh.calls("place_equity_order")] == [ref_id_for("k-twice")] * 2


def test_a_429_burst_on_the_place_is_waited_out_with_the_same_ref_id(rh, route_run):
    rh.settings(throttle_calls=2, throttle_tool="place_equity_order", retry_after=0)
    outcome = route_run(lambda route: route.place(request(), "k-429"))
    assert isinstance(outcome, Accepted)
    places = rh.calls("place_equity_order")
    assert [c["status"] for c in places] == [429, 429, 200]
    assert {c["ref_id"] for c in places} == {ref_id_for("k-429")}
    assert [o["id"] for o in rh.orders()] == [outcome.broker_order_id]


def test_429_on_every_send_is_refused_and_nothing_is_placed(rh, route_run):
    rh.settings(throttle_calls=3, throttle_tool="place_equity_order", retry_after=0)
    outcome = route_run(lambda route: route.place(request(), "k-429-all"))
    assert isinstance(outcome, Refused)
    assert "429" in outcome.reason
    assert "NOT placed" in outcome.reason
    assert [c["status"] for c in rh.calls("place_equity_order")] == [429, 429, 429]
    assert rh.orders() == []


def test_a_connection_lost_after_the_place_is_sent_again_with_the_same_ref_id(rh, route_run):
    rh.settings(lose_after_place=True)
    outcome = route_run(lambda route: route.place(request(), "k-lost"))
    assert isinstance(outcome, Accepted)
    places = rh.calls("place_equity_order")
    assert [c["status"] for c in places] == ["lost", 200]
    assert {c["ref_id"] for c in places} == {ref_id_for("k-lost")}
    assert [o["id"] for o in rh.orders()] == [outcome.broker_order_id]  # made once, by the first send


def test_no_answer_to_any_send_is_ambiguous_and_find_matches_the_order_by_its_terms(rh, route_run):
    rh.settings(lose_after_place=True, throttle_calls=2, throttle_tool="place_equity_order", retry_after=0)

    async def scenario(route: RobinhoodOrderRoute) -> tuple[Any, Any, Any, tuple[Any, ...]]:
        outcome = await route.place(request(), "k-unanswered")
        found = await route.find("k-unanswered")
        never_sent = await route.find("k-never-sent")
        return outcome, found, never_sent, await route.orders()

    outcome, found, never_sent, orders = route_run(scenario)
    assert isinstance(outcome, Ambiguous)
    assert "same ref_id" in outcome.reason
    assert [c["status"] for c in rh.calls("place_equity_order")] == [429, 429, "lost"]  # the 429s come first
    (order,) = rh.orders()
    assert found is not None
    assert (found.broker_order_id, found.key, found.status) == (order["id"], "k-unanswered", OrderStatus.WORKING)
    assert never_sent is None
    assert [(o.broker_order_id, o.key) for o in orders] == [(order["id"], "k-unanswered")]


def test_find_takes_no_order_when_the_terms_match_several(rh, rh_profile, vault, route_run):
    """Robinhood's order object has no ref_id: an order of the same terms that this route did not place (another
    process, another session) makes the match ambiguous, and then nothing is taken."""
    rh.settings(lose_after_place=True, throttle_calls=2, throttle_tool="place_equity_order", retry_after=0)

    async def scenario(route: RobinhoodOrderRoute) -> tuple[Any, Any, Any]:
        ambiguous = await route.place(request(), "k-first")
        async with tokens(rh_profile, vault) as session:
            elsewhere = RobinhoodOrderRoute(rh_profile.url, session, ACCOUNT)
            look_alike = await elsewhere.place(request(), "k-look-alike")
        return ambiguous, look_alike, await route.find("k-first")

    ambiguous, look_alike, found = route_run(scenario)
    assert isinstance(ambiguous, Ambiguous)
    assert isinstance(look_alike, Accepted)
    assert len(rh.orders()) == 2
    assert found is None


@pytest.mark.parametrize(("agentic", "words"), [(0, "no Robinhood account is enabled"), (2, "2 accounts")])
def test_without_exactly_one_agentic_account_nothing_but_get_accounts_is_called(rh, route_run, agentic, words):
    rh.settings(agentic=agentic)

    async def scenario(route: RobinhoodOrderRoute) -> tuple[Any, Any]:
        single = await route.place(request(), "k-single")
        legs = (request(side=Side.SELL), request(side=Side.SELL, limit_price=Decimal(13)))
        return single, await route.place_structure(StructureRequest(StructureKind.OCO, legs), ("k-a", "k-b"))

    single, structure = route_run(scenario)
    for outcome in (single, structure):
        assert isinstance(outcome, Refused)
        assert words in outcome.reason
        assert "Nothing was sent" in outcome.reason
    assert tools_called(rh) == ["get_accounts", "get_accounts"]
    assert rh.orders() == []


def test_another_agentic_account_than_the_armed_one_is_refused(rh, rh_profile, vault):
    async def scenario() -> Any:
        async with tokens(rh_profile, vault) as session:
            return await RobinhoodOrderRoute(rh_profile.url, session, "5QR20077").place(request(), "k-other")

    outcome = run_async(scenario)
    assert isinstance(outcome, Refused)
    assert "••••1234, not ••••0077" in outcome.reason
    assert tools_called(rh) == ["get_accounts"]


def test_what_robinhood_cannot_take_is_refused_before_any_call(rh, route_run):
    async def scenario(route: RobinhoodOrderRoute) -> tuple[Any, Any]:
        ioc = await route.place(request(tif=TimeInForce.IOC), "k-ioc")
        return ioc, await route.modify("any", request(), "k-modify")

    ioc, modify = route_run(scenario)
    assert isinstance(ioc, Refused)
    assert "gfd" in ioc.reason
    assert isinstance(modify, Refused)
    assert "cancel it and place a new one" in modify.reason
    assert tools_called(rh) == []


def test_a_rule_robinhood_enforces_comes_back_in_its_words(rh, route_run):
    outcome = route_run(
        lambda route: route.place(request(order_type=OrderType.MARKET, limit_price=None, outside_rth=True), "k-x")
    )
    assert isinstance(outcome, Refused)
    assert "regular-hours only" in outcome.reason
    assert outcome.reason.endswith("The order was NOT placed.")
    assert "place_equity_order" not in tools_called(rh)
