"""The accounts snapshot model: masked numbers, money without floats, and a round trip through JSON."""

from __future__ import annotations

from decimal import Decimal

import pytest

from brokers.core.accounts import AccountSnapshot, AccountsReport, Position, mask_account, money

REPORT = AccountsReport(
    accounts=(
        AccountSnapshot(
            account=mask_account("5QR12345"),
            kind="cash",
            buying_power=money("1234.5"),
            cash=money("1000"),
            equity=money("25010.123456"),
            positions=(
                Position("AAPL", Decimal("10"), money("190.01"), market_price=money("191.5"), instrument_id="265598"),
                Position("TSLA", Decimal("-0.5"), unrealized_pnl=money("-3.25"), realized_pnl=money("1.10")),
            ),
            note="buying power from get_portfolio",
            net_liquidation=money("25010.12"),
            day_pnl=money("-12.5"),
            positions_at=1_795_000_001.25,
        ),
    ),
    taken_at=1_795_000_000.5,
    details={"agentic account": "••••2345"},
    refresh_s=15.0,
)


def test_only_the_last_four_characters_of_an_account_are_shown():
    assert mask_account("5QR12345") == "••••2345"
    assert mask_account("123") == "••••123"


@pytest.mark.parametrize(
    ("given", "expected"),
    [("1234.50", Decimal("1234.50")), (1234.5, Decimal("1234.5")), (7, Decimal(7)), ("0.000001", Decimal("0.000001"))],
)
def test_broker_numbers_become_decimals_without_a_float_on_the_way(given, expected):
    assert money(given) == expected


@pytest.mark.parametrize("given", [None, "", "n/a", True, "NaN", "Infinity"])
def test_what_is_not_a_number_is_no_number(given):
    assert money(given) is None


def test_a_report_survives_json_exactly():
    assert AccountsReport.from_json(REPORT.to_json()) == REPORT
    assert REPORT.to_json()["accounts"][0]["equity"] == "25010.123456"  # a string: no float in the file


def test_the_simulated_mark_survives_json():
    shadow = AccountsReport(accounts=(AccountSnapshot(account="SHADOW", simulated=True),), taken_at=1.0)
    assert AccountsReport.from_json(shadow.to_json()) == shadow
    assert AccountsReport.from_json(shadow.to_json()).accounts[0].simulated


def test_a_report_is_fresh_within_a_few_of_its_readers_periods_and_stale_after():
    assert REPORT.fresh(1_795_000_000.5 + 44)
    assert not REPORT.fresh(1_795_000_000.5 + 46)
    assert AccountsReport(taken_at=1.0).fresh(1e9)  # read once on request: nothing promised another read
    assert not AccountsReport().fresh(1.0)  # never read


@pytest.mark.parametrize(
    "damaged", [None, [], {"accounts": [{"kind": "cash"}]}, {"accounts": "x"}, {"taken_at": "later"}]
)
def test_a_damaged_or_foreign_report_reads_as_none(damaged):
    assert AccountsReport.from_json(damaged) is None


def test_a_window_publishes_the_accounts_beside_its_session_facts(tmp_path):
    from brokers.core.published import publish, published_file, read_published, read_published_accounts

    path = published_file(tmp_path, "desk")
    publish(path, {"connected": True}, REPORT)
    assert read_published(path) == {"connected": True}
    assert read_published_accounts(path) == REPORT
    publish(path, {"connected": True})
    assert read_published_accounts(path) is None
