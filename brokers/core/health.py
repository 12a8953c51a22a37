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
    """One word per situation, so the trader never has to guess which of two meanings a word has."""

    NOT_CONNECTED = "NOT_CONNECTED"  # set up or not, but no session has connected yet
    CONNECTING = "CONNECTING"  # a connect is under way
    ACTIVE = "ACTIVE"  # proven usable at the last check
    RENEWING = "RENEWING"  # usable; the client is renewing a credential right now
    RETRYING = "RETRYING"  # a request or renewal failed; the next try is scheduled
    COMPETING = "COMPETING"  # another session of the same broker user competes with this one
    EXPIRING = "EXPIRING"  # usable now, but ends soon unless the trader acts
    ROTATION_DUE = "ROTATION_DUE"  # usable, but the profile's rotation policy says to replace the keys soon (or now)
    EXPIRED = "EXPIRED"
    SIGN_IN_NEEDED = "SIGN_IN_NEEDED"  # the broker no longer accepts the sign-in: only a new one helps
    FAILED = "FAILED"  # unusable until the trader acts (broken config, damaged vault, bad keys)

    @property
    def label(self) -> str:
        """The state in words, as the window and `brokerdeck status` show it."""
        return _LABELS[self]


_LABELS: dict[ConnectionState, str] = {
    ConnectionState.NOT_CONNECTED: "Not connected",
    ConnectionState.CONNECTING: "Connecting",
    ConnectionState.ACTIVE: "Active",
    ConnectionState.RENEWING: "Renewing",
    ConnectionState.RETRYING: "Retrying",
    ConnectionState.COMPETING: "Competing",
    ConnectionState.EXPIRING: "Expiring soon",
    ConnectionState.ROTATION_DUE: "Rotation due",
    ConnectionState.EXPIRED: "Expired",
    ConnectionState.SIGN_IN_NEEDED: "Sign-in needed",
    ConnectionState.FAILED: "Failed",
}


class Severity(StrEnum):
    """How the indicator colours a state."""

    OK = "ok"
    WARN = "warn"
    ERROR = "error"
    IDLE = "idle"


SEVERITY: dict[ConnectionState, Severity] = {
    ConnectionState.NOT_CONNECTED: Severity.IDLE,
    ConnectionState.CONNECTING: Severity.IDLE,
    ConnectionState.ACTIVE: Severity.OK,
    ConnectionState.RENEWING: Severity.OK,
    ConnectionState.RETRYING: Severity.WARN,
    ConnectionState.COMPETING: Severity.WARN,
    ConnectionState.EXPIRING: Severity.WARN,
    ConnectionState.ROTATION_DUE: Severity.WARN,
    ConnectionState.EXPIRED: Severity.ERROR,
    ConnectionState.SIGN_IN_NEEDED: Severity.ERROR,
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
