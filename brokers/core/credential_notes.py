"""What the scheduled credential check says about one credential: how old it is and until when it serves.

A connector gives one `CredentialNote` per credential worth watching: a key under the profile's rotation
policy, a sign-in the broker ends after a fixed horizon, the loopback listener's certificate. A note holds
moments, not words, so the window re-reads it every second without I/O; its state and its sentence follow
from the moment they are read at.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from brokers.core.actions import NextAction
from brokers.core.health import ConnectionState, CredentialItem, utc
from brokers.core.timefmt import duration, local_time

DAY_S = 86_400.0
#: a credential due within this many days reads amber ("rotation due in N days")
DUE_SOON_DAYS = 14


class Due(StrEnum):
    """What the due date of a note means."""

    ROTATION = "rotation"  # the profile's rotation policy says to replace it then; it keeps working after
    SIGN_IN = "sign_in"  # the broker ends the sign-in then: only a new browser sign-in continues
    EXPIRY = "expiry"  # it stops being valid then; Brokerdeck makes a new one when it next needs it


@dataclass(frozen=True)
class CredentialNote:
    """One credential's age and due date, from what is stored; never its value."""

    name: str  # the credential as its health row names it ("signature key", "refresh token")
    due: Due
    written_at: float | None  # epoch seconds it was stored (its age); None when unknown
    due_at: float | None  # epoch seconds it is due; None when nothing is (a rotation policy of 0 days)
    warn_from: float | None = None  # from when it reads as due soon; None: DUE_SOON_DAYS before `due_at`
    action: NextAction = NextAction.NONE  # what the trader does about it once it is due; NONE: nothing to do
    hint: str = ""  # that action in words
    policy: str = ""  # the rule behind `due_at`, in words ("every 90 days")

    def warns_from(self) -> float | None:
        if self.due_at is None:
            return None
        return self.warn_from if self.warn_from is not None else self.due_at - DUE_SOON_DAYS * DAY_S

    def state(self, now: float) -> ConnectionState:
        """ACTIVE until it is due soon; then amber, or red once a sign-in the broker ended is past."""
        warn = self.warns_from()
        if warn is None or now < warn:
            return ConnectionState.ACTIVE
        if self.due == Due.ROTATION:
            return ConnectionState.ROTATION_DUE  # overdue keys still work: amber, never red
        if self.due == Due.SIGN_IN and self.due_at is not None and now >= self.due_at:
            return ConnectionState.EXPIRED
        return ConnectionState.EXPIRING

    def is_due(self, now: float) -> bool:
        return self.state(now) != ConnectionState.ACTIVE

    def sentence(self, now: float) -> str:
        """Where it stands at `now`: "rotation due in 10 days", "sign in again within 5 days"."""
        if self.due_at is None:
            return f"no rotation due ({self.policy})" if self.policy else "nothing due"
        left = self.due_at - now
        if self.due == Due.ROTATION:
            return f"rotation due in {_days_ahead(left)}" if left > 0 else f"rotation overdue by {_days_past(-left)}"
        if self.due == Due.SIGN_IN:
            return (
                f"sign in again within {_days_ahead(left)}"
                if left > 0
                else f"the sign-in ended {_days_past(-left)} ago"
            )
        return f"expires in {_days_ahead(left)}" if left > 0 else f"expired {_days_past(-left)} ago"

    def headline(self, now: float) -> str:
        """The sentence that leads the profile's reason while the note is due."""
        said = self.sentence(now)
        age = f" is {_days_past(now - self.written_at)} old" if self.written_at is not None else ""
        policy = f" (policy: {self.policy})" if self.policy else ""
        if self.due == Due.ROTATION:
            return f"{said[:1].upper()}{said[1:]}: the {self.name}{age}{policy}."
        if self.due == Due.SIGN_IN:
            return f"{said[:1].upper()}{said[1:]}: the {self.name} ends {_date(self.due_at, now)}."
        return f"The {self.name} {said}."

    def detail(self, now: float) -> str:
        """The row's detail: "age 80 days; rotation due in 10 days (on 2026-06-12; policy: every 90 days)"."""
        age = f"age {_days_past(now - self.written_at)}; " if self.written_at is not None else ""
        return age + self.due_detail(now)

    def due_detail(self, now: float) -> str:
        """The sentence with its date (and policy): what the note adds to a row that already gives the age."""
        when = [_date(self.due_at, now)] if self.due_at is not None else []
        if self.policy and self.due_at is not None:
            when.append(f"policy: {self.policy}")
        return self.sentence(now) + (f" ({'; '.join(when)})" if when else "")

    def item(self, now: float) -> CredentialItem:
        """The note as a row of the profile's health; a rotation date is not an expiry, so it has none."""
        expires = None if self.due == Due.ROTATION else utc(self.due_at)
        return CredentialItem(self.name, self.state(now), self.detail(now), expires)


def _days_ahead(seconds: float) -> str:
    """Whole days still left, rounded up: what is due in 9 days 5 hours is due within 10 days."""
    return _plural(max(1, math.ceil(seconds / DAY_S)), "day")


def _days_past(seconds: float) -> str:
    """Whole days gone by, rounded down; the time itself below a day."""
    days = math.floor(max(0.0, seconds) / DAY_S)
    return _plural(days, "day") if days else duration(seconds)


def _date(moment: float | None, now: float) -> str:
    """A due date: the day for one more than a day away, the time of day for one closer."""
    if moment is None:
        return "-"
    if abs(moment - now) < DAY_S:
        return f"at {local_time(moment, datetime.fromtimestamp(now))}"
    return f"on {datetime.fromtimestamp(moment):%Y-%m-%d}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
