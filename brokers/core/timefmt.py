"""How times read in Brokerdeck's health views: one wording for the window and the CLI."""

from __future__ import annotations

from datetime import datetime


def duration(seconds: float) -> str:
    """'6d 23h' above a day, '3h 05m' above an hour, '4m 09s' below; never negative."""
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours:02d}h"
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {secs:02d}s"


def local_time(moment: datetime | float | None, now: datetime | None = None) -> str:
    """Local time of day, with the weekday when it is not today; '-' when unknown."""
    if moment is None:
        return "-"
    local = datetime.fromtimestamp(moment) if isinstance(moment, float | int) else moment.astimezone()
    today = (now or datetime.now()).astimezone().date()
    return f"{local:%H:%M:%S}" if local.date() == today else f"{local:%a %H:%M:%S}"


def countdown(moment: datetime | None, now: datetime) -> str:
    """'15:04:05 (in 23h 59m)', or '(expired)': the expiry and how long is left."""
    if moment is None:
        return ""
    left = (moment - now).total_seconds()
    tail = f"in {duration(left)}" if left > 0 else "expired"
    return f"{local_time(moment, now)} ({tail})"
