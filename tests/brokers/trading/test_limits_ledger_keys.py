"""Limits stay under the hard maxima, the ledger counts each buy once per day and mode, and equal
orders get equal keys."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brokers.core.orders import Mode, OrderRequest, OrderType, Side
from brokers.trading.idempotency import order_key
from brokers.trading.ledger import LedgerUnreadable, NotionalLedger
from brokers.trading.limits import HARD_MAX_DAILY, HARD_MAX_PER_ORDER, LimitError, Limits, LimitsStore

DAY = date(2025, 6, 16)


def test_limits_are_stored_and_read_back_by_another_store(tmp_path):
    LimitsStore(tmp_path).set("paper", "25,000", Decimal("100000"))
    assert LimitsStore(tmp_path).get("paper") == Limits(Decimal("25000"), Decimal("100000"))
    assert LimitsStore(tmp_path).get("other") == Limits()
    assert not Limits().complete
    assert Limits().effective_per_order == HARD_MAX_PER_ORDER
    assert Limits().effective_daily == HARD_MAX_DAILY


@pytest.mark.parametrize(
    ("per_order", "daily", "words"),
    [
        ("abc", "1000", "must be an amount such as 25000"),
        ("0", "1000", "more than 0"),
        ("-5", "1000", "more than 0"),
        ("NaN", "1000", "more than 0"),
        ("250001", "1000", "at most 250,000"),
        ("1000", "1000000.01", "at most 1,000,000"),
    ],
)
def test_a_limit_that_cannot_be_used_says_what_to_enter_and_stores_nothing(tmp_path, per_order, daily, words):
    store = LimitsStore(tmp_path)
    with pytest.raises(LimitError, match=words):
        store.set("paper", per_order, daily)
    assert store.get("paper") == Limits()


def test_a_damaged_limits_file_reads_as_nothing_set(tmp_path):
    (tmp_path / "limits.json").write_text('{"paper": {"per_order": "9999999", "daily": "x"}}')
    assert LimitsStore(tmp_path).get("paper") == Limits()
    (tmp_path / "limits.json").write_text("{")
    assert LimitsStore(tmp_path).get("paper") == Limits()


def test_the_ledger_counts_buys_per_profile_mode_and_day_and_refuses_what_would_pass_the_limit(tmp_path):
    ledger = NotionalLedger(tmp_path)
    assert ledger.reserve("paper", Mode.SHADOW, DAY, "bd-1", Decimal("600"), Decimal("1000")).fits
    refused = ledger.reserve("paper", Mode.SHADOW, DAY, "bd-2", Decimal("500"), Decimal("1000"))
    assert not refused.fits
    assert refused.left == Decimal("400")
    assert ledger.reserve("paper", Mode.SHADOW, DAY, "bd-3", Decimal("400"), Decimal("1000")).fits
    assert ledger.used("paper", Mode.SHADOW, DAY) == Decimal("1000")
    assert ledger.used("paper", Mode.LIVE, DAY) == 0
    assert ledger.used("other", Mode.SHADOW, DAY) == 0
    assert ledger.used("paper", Mode.SHADOW, date(2025, 6, 17)) == 0


def test_recording_the_same_key_again_counts_it_once(tmp_path):
    ledger = NotionalLedger(tmp_path)
    for _ in range(3):
        assert ledger.reserve("paper", Mode.LIVE, DAY, "bd-1", Decimal("700"), Decimal("1000")).fits
    assert NotionalLedger(tmp_path).used("paper", Mode.LIVE, DAY) == Decimal("700")


def test_settling_lowers_an_entry_but_never_raises_it(tmp_path):
    ledger = NotionalLedger(tmp_path)
    ledger.reserve("paper", Mode.LIVE, DAY, "bd-1", Decimal("700"), Decimal("1000"))
    ledger.settle("paper", Mode.LIVE, DAY, "bd-1", Decimal("900"))
    assert ledger.used("paper", Mode.LIVE, DAY) == Decimal("700")
    ledger.settle("paper", Mode.LIVE, DAY, "bd-1", Decimal("0"))
    assert ledger.used("paper", Mode.LIVE, DAY) == 0


def test_a_damaged_ledger_refuses_rather_than_counting_from_zero(tmp_path):
    (tmp_path / "ledger.json").write_text("{ torn")
    with pytest.raises(LedgerUnreadable, match="moved aside"):
        NotionalLedger(tmp_path).reserve("paper", Mode.LIVE, DAY, "bd-1", Decimal(1), Decimal(10))


def _request(**changes: object) -> OrderRequest:
    base = OrderRequest(
        profile="paper",
        symbol="AAPL",
        conid=265598,
        side=Side.BUY,
        quantity=Decimal("10"),
        order_type=OrderType.LIMIT,
        limit_price=Decimal("185.5"),
        decision_id="signal-42",
    )
    return replace(base, **changes)


def test_a_key_is_short_enough_for_ibkr_and_ignores_how_amounts_are_written():
    key = order_key(_request())
    assert key.startswith("bd-")
    assert len(key) == 27
    same = _request(quantity=Decimal("10.0"), limit_price=Decimal("185.50"), symbol=" aapl ")
    assert order_key(same) == key
    assert order_key(_request(quantity=Decimal("1E+1"))) == key


@pytest.mark.parametrize(
    "change",
    [
        {"decision_id": "signal-43"},
        {"symbol": "MSFT"},
        {"side": Side.SELL},
        {"quantity": Decimal("11")},
        {"order_type": OrderType.STOP_LIMIT, "stop_price": Decimal("185")},
        {"limit_price": Decimal("185.51")},
        {"profile": "other"},
    ],
)
def test_any_change_of_the_decision_or_the_ticket_is_another_key(change):
    assert order_key(_request(**change)) != order_key(_request())


def test_an_order_without_a_decision_id_has_no_key():
    with pytest.raises(ValueError, match="decision id"):
        order_key(_request(decision_id="  "))


@given(st.decimals(min_value=1, max_value=10**6, places=0), st.integers(0, 4))
def test_trailing_zeros_never_change_the_key(quantity, zeros):
    written = Decimal(f"{quantity}.{'0' * zeros}") if zeros else quantity
    assert order_key(_request(quantity=written)) == order_key(_request(quantity=quantity))
