"""`brokerdeck orders place | list | cancel` as a script runs them: real subprocesses against a real sandbox.

What the sandbox gateway `received` is the proof of what reached the broker: nothing in SHADOW, one `place`
per decision in LIVE, no confirming reply that only the trader may give.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.app.desk_cli import REFUSED, Desk, place

pytestmark = pytest.mark.secretservice

FAR_BELOW = "100"  # a buy limit this far under the sandbox's AAPL (about 190) rests without filling


def placed(desk: Desk, *flags: str) -> dict[str, Any]:
    """The record of an order `orders place --json` placed (exit 0)."""
    result = place(desk, *flags, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["refused"] is None
    return dict(report["order"])


def test_a_shadow_order_is_simulated_against_the_book_and_never_reaches_the_broker(desk: Desk) -> None:
    market = placed(desk, "--type", "market")
    assert (market["mode"], market["status"], market["filled"]) == ("SHADOW", "FILLED", "10")
    assert float(market["average_price"]) > float(FAR_BELOW)
    assert market["message"] == "simulated (SHADOW): nothing was sent to the broker"
    resting = placed(desk, "--limit", FAR_BELOW, "--decision-id", "rest-1")
    assert (resting["mode"], resting["status"], resting["filled"], resting["fills"]) == ("SHADOW", "WORKING", "0", [])

    listed = desk.ok("orders", "list")
    for order in (market, resting):
        (line,) = [line for line in listed.splitlines() if order["key"] in line]
        assert line.split()[1] == "SHADOW"
        assert f"  {order['status']} filled {order['filled']}" in line
    assert {o["key"]: o["status"] for o in desk.orders()} == {market["key"]: "FILLED", resting["key"]: "WORKING"}

    cancelled = desk.run("orders", "cancel", resting["key"])
    assert cancelled.returncode == 0
    assert "CANCELLED" in cancelled.stdout
    assert {o["key"]: o["status"] for o in desk.orders()}[resting["key"]] == "CANCELLED"
    assert desk.run("orders", "cancel", market["key"]).returncode == REFUSED  # already filled

    assert desk.received() == []


def test_a_live_order_retried_with_the_same_decision_id_is_placed_once(desk: Desk) -> None:
    desk.arm_live()
    desk.control("questions", message_ids=[])  # o163 (far from the market) would stop it for the trader
    flags = ("--limit", FAR_BELOW, "--decision-id", "rebalance-aapl-1")

    first = placed(desk, *flags)
    again = placed(desk, *flags)
    assert (first["mode"], first["status"]) == ("LIVE", "WORKING")
    assert first["broker_order_id"]
    assert (again["key"], again["broker_order_id"]) == (first["key"], first["broker_order_id"])
    (sent,) = desk.received("place")
    (ticket,) = sent["body"]["orders"]
    assert (ticket["cOID"], ticket["price"], ticket["quantity"]) == (first["key"], 100, 10)
    assert [o["key"] for o in desk.orders()] == [first["key"]]

    cancelling = desk.run("orders", "cancel", first["key"])
    assert cancelling.returncode == 0
    assert "PENDING_CANCEL" in cancelling.stdout
    (cancel,) = desk.received("cancel")
    assert cancel["order_id"] == first["broker_order_id"]


def test_a_dangerous_question_without_a_terminal_stops_the_order(desk: Desk) -> None:
    desk.arm_live()
    desk.control("questions", message_ids=["o354"])

    result = place(desk, "--limit", FAR_BELOW, "--decision-id", "blind-1")
    assert result.returncode == REFUSED
    lines = result.stdout.splitlines()
    assert lines[0] == "The broker asks about this order:"
    assert lines[1].startswith("  [o354] You are submitting an order without market data.")
    assert "No terminal to answer on: the order is not sent." in lines
    assert lines[-1] == "Refused: The broker's question was answered no: the order was not sent."

    assert len(desk.received("place")) == 1
    assert [reply["body"] for reply in desk.received("reply")] == [{"confirmed": False}]
    assert desk.held() == []
    (record,) = desk.orders()
    assert (record["mode"], record["status"]) == ("LIVE", "CANCELLED")
    assert not record["broker_order_id"]


def test_a_503_on_the_reply_is_reconciled_with_the_broker_and_not_sent_again(desk: Desk) -> None:
    desk.arm_live()
    desk.control("questions", message_ids=["o10153"])  # whitelisted: Brokerdeck confirms it itself
    desk.control("reply_unavailable", goes_live=True)  # ... and that reply gets a 503 although the order went live

    order = placed(desk, "--limit", FAR_BELOW, "--decision-id", "ambiguous-1")
    (held,) = desk.held()
    assert held["order_ref"] == order["key"]
    assert (order["mode"], order["status"], order["broker_order_id"]) == ("LIVE", "WORKING", str(held["orderId"]))
    assert len(desk.received("place")) == 1
    (reply,) = desk.received("reply")
    assert (reply["body"], reply["status"]) == ({"confirmed": True}, 503)
    events = desk.audit_events(order["key"])
    assert events.index("order.ambiguous") < events.index("order.reconciled")


def test_an_order_that_cannot_be_placed_says_what_to_enter_and_sends_nothing(desk: Desk) -> None:
    desk.arm_live()
    cases = [
        (place(desk, "--limit", FAR_BELOW, quantity="1.5"), REFUSED, "Enter a whole number of shares"),
        (place(desk, "--type", "limit"), REFUSED, "A limit order needs a limit price."),
        (place(desk, "--limit", "cheap"), 2, "--quantity, --limit and --stop take numbers, e.g. --quantity 100"),
        (place(desk, "--limit", FAR_BELOW, symbol="ZZZQX"), 2, "no instrument has the symbol 'ZZZQX'"),
    ]
    for result, code, says in cases:
        assert (result.returncode, says in result.stdout) == (code, True), result.stdout + result.stderr
    assert "check the symbol, or give its contract id (--conid)" in cases[-1][0].stdout
    assert desk.received() == []
    assert desk.orders() == []
    assert desk.mode_of() == "LIVE"  # a ticket the trader must fix is no reason to leave LIVE
