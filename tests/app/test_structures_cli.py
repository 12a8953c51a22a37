"""`brokerdeck orders place --bracket | --oco | --oto` and `brokerdeck orders reconcile` as a script runs them:
real subprocesses against a real sandbox, whose gateway's `received` list proves what reached the broker."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.app.desk_cli import PROFILE, Desk, place

pytestmark = pytest.mark.secretservice

FAR_BELOW = "100"  # a buy limit this far under the sandbox's AAPL (about 190) rests without filling
WRONG, FINDINGS = 2, 4


def structure(desk: Desk, *flags: str) -> dict[str, Any]:
    result = place(desk, *flags, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["refused"] is None
    return dict(report)


def test_a_shadow_bracket_holds_its_exits_and_is_cancelled_as_one(desk: Desk) -> None:
    report = structure(desk, "--limit", FAR_BELOW, "--bracket", "95", "110", "--decision-id", "b-1")
    legs = report["legs"]
    assert [(leg["role"], leg["side"], leg["type"], leg["status"]) for leg in legs] == [
        ("ENTRY", "BUY", "LMT", "WORKING"),
        ("STOP_LOSS", "SELL", "STP", "HELD"),
        ("TAKE_PROFIT", "SELL", "LMT", "HELD"),
    ]
    assert (legs[1]["stop"], legs[2]["limit"]) == ("95", "110")
    assert report["state"] == "entry working"
    assert len({leg["structure"] for leg in legs}) == 1

    listed = desk.ok("orders", "list")
    assert f"[stop-loss of {legs[0]['structure']}]" in listed

    cancelled = desk.run("orders", "cancel", legs[0]["structure"])
    assert cancelled.returncode == 0, cancelled.stdout
    assert {o["key"]: o["status"] for o in desk.orders()} == {leg["key"]: "CANCELLED" for leg in legs}
    assert desk.received() == []


def test_a_live_oco_retried_with_the_same_decision_id_is_one_request(desk: Desk) -> None:
    desk.arm_live()
    desk.control("questions", message_ids=[])
    flags = ("--limit", FAR_BELOW, "--oco", "buy:10:limit:101", "--decision-id", "oco-cli-1")
    first = structure(desk, *flags)
    again = structure(desk, *flags)
    assert [leg["key"] for leg in again["legs"]] == [leg["key"] for leg in first["legs"]]
    assert [leg["mode"] for leg in first["legs"]] == ["LIVE", "LIVE"]
    (sent,) = desk.received("place")
    assert [o.get("isSingleGroup") for o in sent["body"]["orders"]] == [True, True]


def test_an_unreadable_leg_says_how_to_write_one_and_sends_nothing(desk: Desk) -> None:
    result = place(desk, "--limit", FAR_BELOW, "--oto", "sell:ten:limit:195")
    assert result.returncode == WRONG
    assert "is not a number" in result.stdout
    result = place(desk, "--limit", FAR_BELOW, "--oco", "sell:10")
    assert result.returncode == WRONG
    assert "SIDE:QUANTITY:TYPE[:PRICE[:STOP]]" in result.stdout
    assert desk.orders() == []


def test_reconcile_reports_an_order_the_broker_forgot_and_sends_nothing(desk: Desk) -> None:
    assert desk.run("orders", "reconcile", PROFILE).returncode == 0  # nothing anywhere: in agreement
    desk.arm_live()
    desk.control("questions", message_ids=[])
    order = json.loads(place(desk, "--limit", FAR_BELOW, "--json").stdout)["order"]
    assert order["status"] == "WORKING"
    desk.control("reset")  # the gateway forgets its orders, as after a new brokerage session

    result = desk.run("orders", "reconcile", PROFILE, "--json")

    assert result.returncode == FINDINGS, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert [(f["kind"], f["key"]) for f in report["findings"]] == [("not at the broker", order["key"])]
    assert desk.received() == []  # since the reset: no place, reply, modify or cancel
