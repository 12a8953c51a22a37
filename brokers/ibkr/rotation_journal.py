"""An IBKR rotation's journal: one vault entry that says which step the rotation is at and what it staged.

Every step change is one atomic vault write made before the step acts (persist, then act), so a crash at any
point leaves a journal that says what happened and what comes next. Two locks, shared by every Brokerdeck
process (the window, the CLI):

- the step lock (`rotation`) is held by whoever runs a step (start, confirm, abort, restore) for the whole
  step, the proof over the network included. Another process asking for it is refused at once. A journal at
  PROVING or ROLLING_BACK whose step lock is free was cut off: the old set is active, and `confirm` resumes.
- the switch lock (`rotation-switch`) is held briefly by whoever writes the active set (a switch) or reads
  it (loading credentials). A journal found at SWITCHING under it was cut off in the middle of the switch;
  the switch is finished from the journal (it holds the whole new set) before anything reads the active set.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from brokers.core.filelock import held, open_lock_file, try_lock, unlock
from brokers.core.rotation import RotationConflict, RotationStep
from brokers.core.secrets import SecretStore
from brokers.ibkr.credential_set import CredentialSet, read_active, write_active
from brokers.ibkr.key_archive import Archive, delete_archive, has_archive, new_archive_id, put_archive
from brokers.ibkr.vault_entries import ROTATION_JOURNAL

#: told what was just written ("journal proving", "archive", "entry access-token"); a crash test stops there
type Checkpoint = Callable[[str], None]

_FORMAT_VERSION = 1
_STEP_LOCK = "rotation"
_SWITCH_LOCK = "rotation-switch"


@dataclass(frozen=True)
class Journal:
    """A profile's rotation as stored. Holds secrets (the staged set): never log it."""

    step: RotationStep = RotationStep.IDLE
    started_at: float | None = None  # when `start` made the staged keys (or a restore began)
    staged: CredentialSet | None = None  # the new keys; from PROVING on also the token the broker issued
    new_dh: bool = False  # the staged set has new DH parameters
    restoring: str = ""  # the archive a restore makes active (a restore runs the same proof and switch)
    failure: str = ""  # ROLLING_BACK: why the new set did not prove
    archive_id: str = ""  # SWITCHING: where the replaced set is archived
    switched_at: float | None = None  # SWITCHING: when the switch began (the archive's time)
    outcome: str = ""  # SWITCHING: the `last_result` the switch ends with
    last_result: str = ""  # how the previous rotation ended

    def to_json(self) -> dict[str, Any]:
        return {
            "v": _FORMAT_VERSION,
            "step": self.step.value,
            "started_at": self.started_at,
            "staged": self.staged.to_json() if self.staged is not None else None,
            "new_dh": self.new_dh,
            "restoring": self.restoring,
            "failure": self.failure,
            "archive_id": self.archive_id,
            "switched_at": self.switched_at,
            "outcome": self.outcome,
            "last_result": self.last_result,
        }

    @classmethod
    def from_json(cls, record: Any) -> Journal:
        """The journal `to_json` wrote; ValueError when `record` is not one."""
        if not isinstance(record, dict) or record.get("v") != _FORMAT_VERSION:
            raise ValueError("not a rotation journal of this version of Brokerdeck")
        staged = record.get("staged")
        return cls(
            step=RotationStep(record["step"]),
            started_at=_number(record.get("started_at")),
            staged=CredentialSet.from_json(staged) if staged is not None else None,
            new_dh=bool(record.get("new_dh")),
            restoring=str(record.get("restoring") or ""),
            failure=str(record.get("failure") or ""),
            archive_id=str(record.get("archive_id") or ""),
            switched_at=_number(record.get("switched_at")),
            outcome=str(record.get("outcome") or ""),
            last_result=str(record.get("last_result") or ""),
        )

    def idle(self, last_result: str) -> Journal:
        """The journal once this rotation ended: nothing staged, and how it ended."""
        return Journal(last_result=last_result)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


class JournalDamaged(RotationConflict):
    """The journal cannot be read: the active set is untouched, and aborting starts afresh."""


def load_journal(vault: SecretStore, profile: str) -> Journal:
    """The profile's journal (IDLE when none is stored). Blocking."""
    raw = vault.get(profile, ROTATION_JOURNAL)
    if raw is None:
        return Journal()
    try:
        return Journal.from_json(json.loads(raw))
    except (ValueError, KeyError, TypeError) as error:
        raise JournalDamaged(
            f"The rotation journal of profile '{profile}' cannot be read ({error}). The active credentials are "
            f"untouched; `brokerdeck keys rotate {profile} abort` discards the journal."
        ) from None


def save_journal(vault: SecretStore, profile: str, journal: Journal) -> None:
    """One atomic vault write; an IDLE journal without a result to remember leaves no entry behind. Blocking."""
    if journal == Journal():
        vault.delete(profile, ROTATION_JOURNAL)
        return
    vault.put(profile, ROTATION_JOURNAL, json.dumps(journal.to_json()).encode("utf-8"))


@contextlib.contextmanager
def step_lock(vault: SecretStore, profile: str) -> Iterator[None]:
    """Hold the profile's step lock for a whole step; RotationConflict when another process runs one now."""
    fd = open_lock_file(vault.lock_path(profile, _STEP_LOCK))
    try:
        if not try_lock(fd):
            raise RotationConflict(
                f"Another Brokerdeck window or command is working on the rotation of profile '{profile}' right "
                "now. Wait for it to finish, then try again."
            )
        try:
            yield
        finally:
            unlock(fd)
    finally:
        os.close(fd)


def step_running(vault: SecretStore, profile: str) -> bool:
    """Whether a process (this one included) holds the profile's step lock now."""
    try:
        with step_lock(vault, profile):
            return False
    except RotationConflict:
        return True


def switch_lock(vault: SecretStore, profile: str) -> contextlib.AbstractContextManager[None]:
    """The short lock around writing or reading the active set (waits for a switch under way)."""
    return held(vault.lock_path(profile, _SWITCH_LOCK))


def settle(vault: SecretStore, profile: str) -> Journal:
    """The journal after finishing a switch a crash cut off, so the active set is whole. Blocking."""
    with switch_lock(vault, profile):
        return _settled(vault, profile)


def read_settled(vault: SecretStore, profile: str, consumer_key: str) -> CredentialSet | None:
    """The active set, never half of a switch: one cut off is finished first. Blocking."""
    with switch_lock(vault, profile):
        _settled(vault, profile)
        return read_active(vault, profile, consumer_key)


def _settled(vault: SecretStore, profile: str) -> Journal:
    journal = load_journal(vault, profile)
    if journal.step == RotationStep.SWITCHING:
        journal = _finish_switch(vault, profile, journal, None)
    return journal


def switch(
    vault: SecretStore,
    profile: str,
    journal: Journal,
    now: float,
    outcome: Callable[[str], str],
    checkpoint: Checkpoint | None = None,
) -> Journal:
    """Archive the active set, make the staged one active, and end at IDLE with `outcome(archive id)`. Blocking.

    The SWITCHING journal is written first and holds everything the rest needs, so the rest can be redone."""
    with switch_lock(vault, profile):
        archive_id = new_archive_id(vault, profile, now)
        journal = replace(
            journal, step=RotationStep.SWITCHING, archive_id=archive_id, switched_at=now, outcome=outcome(archive_id)
        )
        save_journal(vault, profile, journal)
        _passed(checkpoint, "journal switching")
        return _finish_switch(vault, profile, journal, checkpoint)


def _finish_switch(vault: SecretStore, profile: str, journal: Journal, checkpoint: Checkpoint | None) -> Journal:
    """Do (or redo) the switch a SWITCHING journal describes; idempotent. Called under the switch lock."""
    staged = journal.staged
    if staged is None or not staged.complete:
        raise JournalDamaged(
            f"The rotation journal of profile '{profile}' is switching but holds no complete set. The active "
            f"credentials were not replaced; `brokerdeck keys rotate {profile} abort` discards the journal."
        )
    if not has_archive(vault, profile, journal.archive_id):  # not archived yet: the active set is still the old one
        current = read_active(vault, profile, staged.consumer_key)
        if current is not None:
            put_archive(vault, profile, Archive(journal.archive_id, journal.switched_at or 0.0, current))
            _passed(checkpoint, "archive")
    write_active(vault, profile, staged, lambda kind: _passed(checkpoint, f"entry {kind}"))
    if journal.restoring:
        delete_archive(vault, profile, journal.restoring)  # it is the active set now
    idle = journal.idle(journal.outcome)
    save_journal(vault, profile, idle)
    _passed(checkpoint, "journal idle")
    return idle


def _passed(checkpoint: Checkpoint | None, what: str) -> None:
    if checkpoint is not None:
        checkpoint(what)
