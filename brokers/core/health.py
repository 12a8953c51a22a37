"""What the trader needs to know about each profile's credentials, in one model.

The same `CredentialHealth` feeds the GUI indicator and `brokerdeck status --json`, for IBKR sessions
and OAuth tokens alike: a state, when it expires, why it is in that state, and the one action that
fixes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple, TypedDict

from brokers.core.actions import NextAction

if TYPE_CHECKING:
    from brokers.core.profiles import Profile


class ConnectionState(StrEnum):
    PENDING = "PENDING"  # set up but never connected, or a connect is under way
    ACTIVE = "ACTIVE"
    EXPIRING = "EXPIRING"  # usable now; renewal is due or failing
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"
    FAILED = "FAILED"  # unusable until the trader acts (broken config, damaged vault, auth error)


class Severity(StrEnum):
    """How the indicator colours a state."""

    OK = "ok"
    WARN = "warn"
    ERROR = "error"
    IDLE = "idle"


SEVERITY: dict[ConnectionState, Severity] = {
    ConnectionState.PENDING: Severity.IDLE,
    ConnectionState.ACTIVE: Severity.OK,
    ConnectionState.EXPIRING: Severity.WARN,
    ConnectionState.EXPIRED: Severity.ERROR,
    ConnectionState.REVOKED: Severity.ERROR,
    ConnectionState.FAILED: Severity.ERROR,
}


@dataclass(frozen=True)
class CredentialItem:
    """One credential of a profile (a vault entry, a token, a session), described without its value."""

    name: str
    state: ConnectionState
    detail: str = ""
    expires_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "state": self.state.value,
            "detail": self.detail,
            "expires_at": _iso(self.expires_at),
        }


@dataclass(frozen=True)
class CredentialHealth:
    profile: str
    kind: str
    state: ConnectionState
    reason: str
    next_action: NextAction
    hint: str = ""  # the next action in words: what to click or type
    expires_at: datetime | None = None
    items: tuple[CredentialItem, ...] = field(default=())
    origin: str = "profiles.toml"
    label: str = ""  # the trader's name for the profile, when it has one
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @classmethod
    def of(
        cls, profile: Profile, verdict: Verdict, expires_at: float | None, items: tuple[CredentialItem, ...]
    ) -> CredentialHealth:
        """The health of `profile` from a connector's verdict; `expires_at` in epoch seconds."""
        return cls(
            **identity(profile),
            state=verdict.state,
            reason=verdict.reason,
            next_action=verdict.action,
            hint=verdict.hint,
            expires_at=utc(expires_at),
            items=items,
        )

    @property
    def severity(self) -> Severity:
        return SEVERITY[self.state]

    def to_json(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "label": self.label or self.profile,
            "kind": self.kind,
            "origin": self.origin,
            "state": self.state.value,
            "expires_at": _iso(self.expires_at),
            "reason": self.reason,
            "next_action": self.next_action.value,
            "hint": self.hint,
            "checked_at": _iso(self.checked_at),
            "items": [item.to_json() for item in self.items],
        }


#: a profile's health at a given time (epoch seconds), from stored or published facts
type HealthAt = Callable[[float], CredentialHealth]
#: a running session's health at a given time; None while it has nothing to say yet (still loading)
type LiveHealth = Callable[[float], CredentialHealth | None]


class Verdict(NamedTuple):
    """What a connector concludes about a profile: the state, why, and the one action that fixes it."""

    state: ConnectionState
    reason: str
    action: NextAction
    hint: str = ""


class Identity(TypedDict):
    profile: str
    label: str
    kind: str
    origin: str


def identity(profile: Profile) -> Identity:
    """The fields every health entry of `profile` starts with: `CredentialHealth(**identity(p), ...)`."""
    return {
        "profile": profile.name,
        "label": profile.display_name,
        "kind": profile.kind,
        "origin": profile.origin.value,
    }


def utc(moment: float | None) -> datetime | None:
    """Epoch seconds as an aware UTC datetime; None stays None."""
    return datetime.fromtimestamp(moment, UTC) if moment is not None else None


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else None
