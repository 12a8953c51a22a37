"""The mode gate: SHADOW unless the trader armed LIVE for a profile, and back to SHADOW on any doubt.

Arming takes two steps. `begin_arming` runs only on a passing readiness checklist and issues a phrase that
names the account and ends in a fresh code (`LIVE DU1234567 K7QX`); `confirm` arms only on that exact
phrase, typed within ten minutes, with the checklist still passing. Each `begin_arming` replaces the
pending phrase, so an earlier phrase never arms. An arming lasts until the end of the exchange's trading
day. Every transition lands in the audit log with who, what and why.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from brokers.core.orders import Mode
from brokers.trading.audit import AuditLog
from brokers.trading.exchange_clock import end_of_trading_day
from brokers.trading.mode_state import SHADOW, ModeState, ModeStore, PendingArming, ProfileMode
from brokers.trading.readiness import Checklist

#: a pending phrase is valid this long after it was issued
ARMING_TTL_S = 10 * 60
#: letters and digits nobody confuses when typing them (no 0/O, 1/I/L, 5/S, 8/B)
PHRASE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY2345679"
PHRASE_CODE_LENGTH = 4


class ArmingRefused(Exception):
    """The checklist does not pass: LIVE cannot be armed until its failing items are fixed."""

    def __init__(self, checklist: Checklist, message: str = "") -> None:
        self.checklist = checklist
        super().__init__(message or f"LIVE cannot be armed: {checklist.summary()}")


class WrongPhrase(Exception):
    """What was typed does not arm LIVE; the message says what to do."""


@dataclass(frozen=True)
class Arming:
    """A pending arming: the phrase to type and until when it is valid."""

    profile: str
    account: str
    phrase: str
    expires_at: float


class ModeGate:
    """Every profile's mode, read from and written to the shared mode state."""

    def __init__(
        self,
        store: ModeStore,
        audit: AuditLog,
        who: str,
        now: Callable[[], float] = time.time,
        code: Callable[[], str] | None = None,
    ) -> None:
        self._store = store
        self._audit = audit
        self._who = who
        self._now = now
        self._code = code or _random_code
        self._reported_finding = ""

    @property
    def audit(self) -> AuditLog:
        return self._audit

    @property
    def who(self) -> str:
        return self._who

    def finding(self) -> str:
        """Why the stored mode state could not be read, if it could not ("" when it is fine)."""
        return self._store.read().finding

    def state(self, profile: str) -> ProfileMode:
        """The profile's mode with its arming details; an arming past its end reads (and is stored) as SHADOW."""
        state = self._store.read()
        if state.finding and state.finding != self._reported_finding:
            self._reported_finding = state.finding
            self._audit.append(self._who, "mode.unreadable", "", {"file": self._store.path.name}, state.finding)
        current = state.of(profile)
        if current.mode is Mode.LIVE and current.until is not None and self._now() >= current.until:
            self._expire(profile)
            return SHADOW
        return current

    def mode(self, profile: str) -> Mode:
        return self.state(profile).mode

    def pending(self, profile: str) -> Arming | None:
        """The phrase issued for the profile, while it is still valid."""
        pending = self._store.read().pending.get(profile)
        if pending is None or self._now() >= pending.expires_at:
            return None
        return Arming(profile, pending.account, pending.phrase, pending.expires_at)

    def begin_arming(self, profile: str, checklist: Checklist, account: str) -> Arming:
        """Issue a new phrase for arming `profile` on `account`; ArmingRefused when the checklist fails."""
        if not checklist.passed:
            self._audit.append(
                self._who, "mode.arming_refused", profile, {"failing": _keys(checklist)}, checklist.summary()
            )
            raise ArmingRefused(checklist)
        if not account.strip():
            self._audit.append(self._who, "mode.arming_refused", profile, {}, "no account")
            raise ArmingRefused(checklist, "LIVE cannot be armed: the broker has not said which account to use.")
        now = self._now()
        arming = Arming(profile, account, f"LIVE {account} {self._code()}", now + ARMING_TTL_S)
        pending = PendingArming(arming.phrase, account, now, arming.expires_at)
        self._store.change(lambda state: state.with_pending(profile, pending))
        self._audit.append(
            self._who,
            "mode.arming_issued",
            profile,
            {"account": account, "expires_at": arming.expires_at},
            "the trader asked to arm LIVE; the checklist passes",
        )
        return arming

    def confirm(self, profile: str, typed: str, checklist: Checklist) -> ProfileMode:
        """Arm LIVE when `typed` is exactly the pending phrase and the checklist still passes."""
        now = self._now()
        pending = self._store.read().pending.get(profile)
        problem = _phrase_problem(pending, typed, now)
        if problem or pending is None:
            self._audit.append(self._who, "mode.confirm_refused", profile, {}, problem)
            raise WrongPhrase(problem)
        if not checklist.passed:
            self._audit.append(
                self._who, "mode.arming_refused", profile, {"failing": _keys(checklist)}, checklist.summary()
            )
            raise ArmingRefused(checklist)
        armed = ProfileMode(Mode.LIVE, now, end_of_trading_day(now), pending.account, self._who)

        def arm(state: ModeState) -> ModeState:
            current = state.pending.get(profile)
            if current is None or current.phrase != pending.phrase:
                raise WrongPhrase("Another window or command issued a new phrase meanwhile; type that one.")
            return state.with_pending(profile, None).with_profile(profile, armed)

        try:
            self._store.change(arm)
        except WrongPhrase as exc:
            self._audit.append(self._who, "mode.confirm_refused", profile, {}, str(exc))
            raise
        self._audit.append(
            self._who,
            "mode.armed",
            profile,
            {"account": armed.account, "until": armed.until},
            "the checklist passed and the trader typed the phrase",
        )
        return armed

    def to_shadow(self, profile: str, why: str) -> None:
        """The trader's return to SHADOW: one step, no confirmation."""
        self._drop(profile, "mode.shadow", why)

    def everything_to_shadow(self, why: str) -> tuple[str, ...]:
        """Every LIVE profile, and every pending phrase, back to SHADOW in one step; the profiles that were LIVE.

        The window's (and the tray's) Everything back to SHADOW and `brokerdeck mode shadow` without a
        profile both end here, so they drop and audit the same profiles."""
        state = self._store.read()
        live = sorted(name for name, current in state.profiles.items() if current.mode is Mode.LIVE)
        for name in sorted({*live, *state.pending}):
            self.to_shadow(name, why)
        return tuple(live)

    def fall_back(self, profile: str, why: str) -> None:
        """Something failed (connection, credential, data, an error): SHADOW at once, and say why."""
        self._drop(profile, "mode.fallback", why)

    def supervise(self, profile: str, checklist: Checklist) -> bool:
        """Drop a LIVE profile whose checklist fails; True when it was dropped."""
        if self.mode(profile) is not Mode.LIVE or checklist.passed:
            return False
        self.fall_back(profile, checklist.summary())
        return True

    def reset_all(self, why: str) -> None:
        """Every profile to SHADOW and every pending phrase void (the window starts)."""
        before, _ = self._store.change(lambda _state: ModeState())
        live = sorted(name for name, m in before.profiles.items() if m.mode is Mode.LIVE)
        self._audit.append(self._who, "mode.reset", "", {"were_live": live, "pending": sorted(before.pending)}, why)

    def _drop(self, profile: str, event: str, why: str) -> None:
        before, _ = self._store.change(lambda state: state.with_pending(profile, None).with_profile(profile, SHADOW))
        was = before.of(profile)
        self._audit.append(self._who, event, profile, {"was": was.mode.value, "account": was.account}, why)

    def _expire(self, profile: str) -> None:
        now = self._now()
        expired: list[ProfileMode] = []

        def drop_if_expired(state: ModeState) -> ModeState:
            current = state.of(profile)
            if current.mode is Mode.LIVE and current.until is not None and now >= current.until:
                expired.append(current)
                return state.with_profile(profile, SHADOW)
            return state

        self._store.change(drop_if_expired)
        if expired:  # another process may have expired it first: audited once
            self._audit.append(
                self._who,
                "mode.expired",
                profile,
                {"account": expired[0].account, "until": expired[0].until},
                "the arming ended with the exchange's trading day",
            )


def _phrase_problem(pending: PendingArming | None, typed: str, now: float) -> str:
    if pending is None:
        return "No phrase is pending for this profile; ask to arm LIVE again to get one."
    if now >= pending.expires_at:
        return "The phrase has expired (it is valid for 10 minutes); ask to arm LIVE again for a new one."
    if typed != pending.phrase:
        return (
            f"That is not the phrase; type exactly {pending.phrase!r} "
            "(the latest one issued, same case, no extra spaces)."
        )
    return ""


def _keys(checklist: Checklist) -> list[str]:
    return [item.key for item in checklist.failures]


def _random_code() -> str:
    return "".join(secrets.choice(PHRASE_ALPHABET) for _ in range(PHRASE_CODE_LENGTH))
