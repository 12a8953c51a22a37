"""The exchange's day: the calendar day the ledger counts in, and when a LIVE arming ends.

US equities trade in New York time. An arming lasts until 20:00 New York time, the end of IBKR's US
extended-hours session (04:00-20:00 ET): past it no US order can work until the next pre-market, so a
trader who comes back tomorrow arms again. The daily notional ledger counts per New York calendar day.
`tzdata` is a dependency so the zone resolves where the OS ships no zoneinfo database (Windows).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

EXCHANGE_TZ = ZoneInfo("America/New_York")
#: the end of IBKR's US extended-hours session, New York time
SESSION_END = time(20, 0)


def trading_day(now: float) -> date:
    """The New York calendar day at `now` (epoch seconds)."""
    return datetime.fromtimestamp(now, EXCHANGE_TZ).date()


def end_of_trading_day(now: float) -> float:
    """The next 20:00 New York time strictly after `now`, in epoch seconds (DST handled by the zone)."""
    local = datetime.fromtimestamp(now, EXCHANGE_TZ)
    end = datetime.combine(local.date(), SESSION_END, EXCHANGE_TZ)
    if end.timestamp() <= now:
        end = datetime.combine(local.date() + timedelta(days=1), SESSION_END, EXCHANGE_TZ)
    return end.timestamp()
