"""The scheduled credential check: every profile's notes (key ages against its rotation policy, a sign-in's
horizon, a certificate's expiry), and how they join the profile's health.

`check_credentials` is the blocking half (it reads the vault); the window runs it at start, every few hours
and whenever what the vault holds changed, `brokerdeck status` on every run. `with_notes` is pure: the
report applies the last check's notes at each render, so "due in N days" counts down without I/O. A note
adds a row, or adds to the row of the same credential; a due note leads the profile's state only when
nothing worse is shown, so a rotation due never hides a red session.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from brokers.core.actions import NextAction
from brokers.core.credential_notes import CredentialNote, Due
from brokers.core.health import SEVERITY, CredentialHealth, CredentialItem, Severity, utc
from brokers.core.profiles import ProfileSet
from brokers.core.registry import Registry
from brokers.core.secrets import BlobCheck, SecretStore
from brokers.vault import VaultError

#: what a profile's vault held when it was checked: each entry's kind and write time
type Basis = tuple[tuple[str, float | None], ...]

_RANK = {Severity.IDLE: 0, Severity.OK: 0, Severity.WARN: 1, Severity.ERROR: 2}


@dataclass(frozen=True)
class CredentialCheck:
    """The notes of one check, per profile, and what the vault held when they were taken."""

    notes: Mapping[str, tuple[CredentialNote, ...]] = field(default_factory=dict)
    basis: Mapping[str, Basis] = field(default_factory=dict)

    def matches(self, checks: Mapping[str, Sequence[BlobCheck]]) -> bool:
        """True while the vault holds what it held at the check (no entry written, added or removed since)."""
        return dict(self.basis) == {name: basis_of(found) for name, found in checks.items()}


def basis_of(checks: Sequence[BlobCheck]) -> Basis:
    return tuple(sorted((check.kind, check.written_at) for check in checks))


def check_credentials(
    profiles: ProfileSet,
    checks: Mapping[str, Sequence[BlobCheck]],
    ready: frozenset[str],
    vault: SecretStore,
    registry: Registry,
) -> CredentialCheck:
    """Blocking (keyring, disk): each connector's notes on the profiles in `ready` (every required secret stored
    and intact), from the vault `checks` of the inspection just made. A profile whose vault cannot be read now
    gets no notes; the inspection already says why."""
    notes: dict[str, tuple[CredentialNote, ...]] = {}
    for profile in profiles.profiles:
        if profile.name not in ready:
            continue
        try:
            notes[profile.name] = registry.of(profile).credential_checks(profile, vault, checks[profile.name])
        except VaultError:
            continue
    return CredentialCheck(notes, {name: basis_of(found) for name, found in checks.items()})


def with_notes(health: CredentialHealth, notes: Sequence[CredentialNote], now: float) -> CredentialHealth:
    """`health` with the notes' rows, led by the most pressing due note when nothing worse is shown."""
    items = _merged(health.items, notes, now)
    current = replace(health, items=items)
    lead = _most_pressing([note for note in notes if note.is_due(now) and note.due != Due.EXPIRY], now)
    if lead is None or _RANK[current.severity] >= _RANK[SEVERITY[lead.state(now)]]:
        return current
    reason = f"{lead.headline(now)} {current.reason[:1].upper()}{current.reason[1:]}".strip()
    if lead.action != NextAction.NONE or current.next_action == NextAction.NONE:
        action, hint = lead.action, lead.hint
    else:  # the current action still leads; say how the note is dealt with in the reason
        action, hint = current.next_action, current.hint
        reason = f"{reason} {lead.hint}".strip()
    # The headline's time is the lead's due date (none once it is past), never a token's expiry beside it: a
    # chip reading "Rotation due in 23h 59m" would name the live session token's time as the rotation's.
    due_at = lead.due_at if lead.due_at is not None and lead.due_at > now else None
    return replace(current, state=lead.state(now), reason=reason, next_action=action, hint=hint, expires_at=utc(due_at))


def _merged(
    items: tuple[CredentialItem, ...], notes: Sequence[CredentialNote], now: float
) -> tuple[CredentialItem, ...]:
    """The health's rows plus the notes' rows; a note on a credential the health lists adds its due date to
    that row (which already gives the age), and its colour when that is worse."""
    rows = list(items)
    for note in notes:
        item = note.item(now)
        same = next((i for i, row in enumerate(rows) if row.name == item.name), None)
        if same is None:
            rows.append(item)
            continue
        row = rows[same]
        worse = _RANK[SEVERITY[item.state]] > _RANK[SEVERITY[row.state]]
        due = note.due_detail(now)
        rows[same] = replace(
            row,
            state=item.state if worse else row.state,
            detail=f"{row.detail}; {due}" if row.detail else due,
            expires_at=row.expires_at or item.expires_at,
        )
    return tuple(rows)


def _most_pressing(due: list[CredentialNote], now: float) -> CredentialNote | None:
    """The worst state first, then the earliest due date."""
    if not due:
        return None
    return min(due, key=lambda note: (-_RANK[SEVERITY[note.state(now)]], note.due_at or now))
