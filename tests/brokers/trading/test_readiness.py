"""Each readiness item fails on its own fact and says what is wrong and how to fix it."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from brokers.core.actions import NextAction
from brokers.core.health import ConnectionState
from brokers.trading.limits import Limits
from tests.brokers.trading.facts import NOW, health, ready


def test_a_ready_profile_passes_every_item_in_order():
    checklist = ready()
    assert checklist.passed
    assert checklist.failures == ()
    assert [item.key for item in checklist.items] == [
        "can_trade",
        "connected",
        "credentials",
        "account",
        "limits",
        "market",
        "clock",
    ]


@pytest.mark.parametrize(
    ("changes", "key", "words"),
    [
        ({"can_trade": False}, "can_trade", "cannot send orders"),
        ({"connected": False}, "connected", "Not connected"),
        ({"health": None}, "credentials", "not been checked"),
        ({"health": health(ConnectionState.EXPIRED, hint="Press Reconnect.")}, "credentials", "Expired"),
        ({"health": health(ConnectionState.RETRYING)}, "credentials", "Retrying"),
        ({"health": health(ConnectionState.EXPIRING)}, "credentials", "Expiring soon"),
        ({"account": None}, "account", "which account"),
        ({"account": ""}, "account", "which account"),
        ({"limits": None}, "limits", "No per-order cap and no daily limit"),
        ({"limits": Limits(Decimal(100), None)}, "limits", "No daily limit"),
        ({"market": "delayed"}, "market", "delayed"),
        ({"market": "frozen"}, "market", "frozen"),
        ({"market": "stale"}, "market", "stopped updating"),
        ({"market": "none"}, "market", "No market data"),
        ({"clock_offset_s": None}, "clock", "not known"),
        ({"clock_offset_s": 2.5}, "clock", "2.5 s behind"),
        ({"clock_offset_s": -3.0}, "clock", "3.0 s ahead"),
    ],
)
def test_each_failing_fact_fails_its_item_with_a_fix(changes, key, words):
    checklist = ready(**changes)
    assert not checklist.passed
    assert [item.key for item in checklist.failures] == [key]
    failing = checklist.failures[0]
    assert words in failing.detail
    assert failing.fix
    assert words in checklist.summary()


def test_a_credential_ending_soon_fails_only_when_it_will_not_renew():
    soon = datetime.fromtimestamp(NOW + 10 * 60, UTC)
    renews = ready(health=health(expires_at=soon))
    assert renews.passed
    ends = ready(health=health(expires_at=soon, next_action=NextAction.RECONNECT, hint="Press Reconnect."))
    assert [item.key for item in ends.failures] == ["credentials"]
    assert "10 min" in ends.failures[0].detail
    assert ends.failures[0].fix == "Press Reconnect."
    later = datetime.fromtimestamp(NOW + 20 * 60, UTC)
    assert ready(health=health(expires_at=later, next_action=NextAction.RECONNECT)).passed


def test_a_clock_within_two_seconds_passes():
    assert ready(clock_offset_s=-2.0).passed
    assert ready(clock_offset_s=1.99).passed
