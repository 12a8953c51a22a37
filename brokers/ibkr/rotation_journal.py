"""An IBKR rotation's journal: the core's journal entry (`rotation-journal`), read as IBKR's typed steps.

Every step change is one atomic vault write made before the step acts (persist, then act), so a crash at any
point leaves a journal that says what happened and what comes next. A step runs under the core's rotation lock
(`RotationJournal.running`): a journal at PROVING or ROLLING_BACK nobody runs was cut off, the old set is
active, and `confirm` resumes. IBKR adds one short lock of its own, the switch lock (`rotation-switch`), held by
whoever writes the active set (a switch) or reads it (loading credentials): its four entries are four writes,
so a journal found at SWITCHING under it was cut off in the middle of the switch, and the switch is finished
from the journal (it holds the whole new set) before anything reads the active set.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from brokers.core.filelock import held
from brokers.core.rotation import RotationConflict, RotationStep
from brokers.core.rotation_journal import JournalEntry, RotationJournal
from brokers.core.secrets import SecretStore
from brokers.ibkr.credential_set import CredentialSet, read_active, write_active
from brokers.ibkr.key_archive import archives, put_archive
from brokers.ibkr.vault_entries import ROTATION_JOURNAL

#: told what was just written ("journal proving", "archive", "entry access-token"); a crash test stops there
type Checkpoint = Callable[[str], None]

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

    def to_entry(self) -> JournalEntry:
        """The core's entry: IBKR's fields are its values (only those set)."""
        values = {
            "staged": json.dumps(self.staged.to_json()) if self.staged is not None else "",
            "new_dh": "yes" if self.new_dh else "",
            "restoring": self.restoring,
            "failure": self.failure,
            "archive_id": self.archive_id,
            "switched_at": repr(self.switched_at) if self.switched_at is not None else "",
            "outcome": self.outcome,
        }
        kept = {name: value for name, value in values.items() if value}
        return JournalEntry(self.step, self.started_at, kept, self.last_result)

    @classmethod
    def from_entry(cls, entry: JournalEntry) -> Journal:
        """The journal `to_entry` made; ValueError when the entry's values are not IBKR's."""
        values: Mapping[str, str] = entry.values
        staged, switched_at = values.get("staged"), values.get("switched_at")
        return cls(
            step=entry.step,
            started_at=entry.started_at,
            staged=CredentialSet.from_json(json.loads(staged)) if staged else None,
            new_dh=bool(values.get("new_dh")),
            restoring=values.get("restoring", ""),
            failure=values.get("failure", ""),
            archive_id=values.get("archive_id", ""),
            switched_at=float(switched_at) if switched_at else None,
            outcome=values.get("outcome", ""),
            last_result=entry.last_result,
        )

    def idle(self, last_result: str) -> Journal:
        """The journal once this rotation ended: nothing staged, and how it ended."""
        return Journal(last_result=last_result)


class JournalDamaged(RotationConflict):
    """The journal cannot be read: the active set is untouched, and aborting starts afresh."""


class IbkrRotationJournal(RotationJournal):
    """The profile's `rotation-journal` entry and the core's rotation lock, refusing in IBKR's words."""

    def __init__(self, vault: SecretStore, profile: str) -> None:
        super().__init__(vault, profile, ROTATION_JOURNAL)

    def refusal(self) -> str:
        return (
            f"Another Brokerdeck window or command is working on the rotation of profile '{self.profile}' right "
            "now. Wait for it to finish, then try again."
        )


def load_journal(vault: SecretStore, profile: str) -> Journal:
    """The profile's journal (IDLE when none is stored). Blocking."""
    try:
        return Journal.from_entry(IbkrRotationJournal(vault, profile).read())
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise JournalDamaged(
            f"The rotation journal of profile '{profile}' cannot be read ({error}). The active credentials are "
            f"untouched; `brokerdeck keys rotate {profile} abort` discards the journal."
        ) from None


def save_journal(vault: SecretStore, profile: str, journal: Journal) -> None:
    """One atomic vault write. Blocking."""
    IbkrRotationJournal(vault, profile).write(journal.to_entry())


def step_lock(vault: SecretStore, profile: str) -> contextlib.AbstractContextManager[None]:
    """Hold the profile's rotation lock for a whole step; RotationConflict when another process runs one now."""
    return IbkrRotationJournal(vault, profile).running()


def step_running(vault: SecretStore, profile: str) -> bool:
    """Whether a process (this one included) holds the profile's rotation lock now."""
    return IbkrRotationJournal(vault, profile).busy()


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
        archive_id = archives(vault, profile).new_id(now)
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
    archived = archives(vault, profile)
    if not archived.has(journal.archive_id):  # not archived yet: the active set is still the old one
        current = read_active(vault, profile, staged.consumer_key)
        if current is not None:
            put_archive(archived, journal.archive_id, current, journal.switched_at or 0.0)
            _passed(checkpoint, "archive")
    write_active(vault, profile, staged, lambda kind: _passed(checkpoint, f"entry {kind}"))
    if journal.restoring:
        archived.drop(journal.restoring)  # it is the active set now
    idle = journal.idle(journal.outcome)
    save_journal(vault, profile, idle)
    _passed(checkpoint, "journal idle")
    return idle


def _passed(checkpoint: Checkpoint | None, what: str) -> None:
    if checkpoint is not None:
        checkpoint(what)
