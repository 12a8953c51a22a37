"""The exchange's day is New York's, and an arming ends at the next 20:00 New York time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from brokers.trading.exchange_clock import end_of_trading_day, trading_day


def _at(text: str) -> float:
    return datetime.fromisoformat(text).astimezone(UTC).timestamp()


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        ("2025-06-16T03:30:00+00:00", date(2025, 6, 15)),  # 23:30 in New York the evening before
        ("2025-06-16T04:30:00+00:00", date(2025, 6, 16)),
        ("2025-01-16T04:30:00+00:00", date(2025, 1, 15)),  # winter: UTC-5
    ],
)
def test_the_trading_day_is_the_new_york_calendar_day(moment, day):
    assert trading_day(_at(moment)) == day


@pytest.mark.parametrize(
    ("moment", "end"),
    [
        ("2025-06-16T09:00:00-04:00", "2025-06-16T20:00:00-04:00"),
        ("2025-06-16T20:00:00-04:00", "2025-06-17T20:00:00-04:00"),  # at the end: the next one
        ("2025-06-16T21:15:00-04:00", "2025-06-17T20:00:00-04:00"),
        ("2025-01-15T10:00:00-05:00", "2025-01-15T20:00:00-05:00"),
        ("2025-03-08T21:00:00-05:00", "2025-03-09T20:00:00-04:00"),  # over the switch to summer time
    ],
)
def test_an_arming_ends_at_the_next_20_00_new_york_time(moment, end):
    assert end_of_trading_day(_at(moment)) == _at(end)
