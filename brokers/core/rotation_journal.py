"""A rotation's journal and archives in the vault, for any connector: plain keys and values, no broker knowledge.

The journal is one vault entry per profile: the step a rotation stands at, when it started, the values the
connector keeps for the next step (secrets included: the vault encrypts them) and how the previous rotation
ended. Each step is written before it is acted on, so after a crash the entry says where the rotation stopped.
While a step runs, its process holds the profile's rotation lock (an OS file lock, dropped when the process
dies): a second window or command cannot run a step meanwhile, and a step found in the journal with nobody
holding the lock was cut off.

Archives are vault entries of their own (`<prefix>-<archive id>`), encrypted like every secret and bound to
their profile (the vault authenticates profile and kind; the entry names its profile again).

Blocking (keyring, disk): call from a worker thread.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from brokers.core.errors import BrokerError
from brokers.core.filelock import open_lock_file, try_lock, unlock
from brokers.core.rotation import ArchivedSet, RotationConflict, RotationStep
from brokers.core.secrets import SecretStore

LOCK_PURPOSE = "rotation"
#: the steps a process is in the middle of; found with the lock free, they were cut off
UNDER_WAY = (RotationStep.PROVING, RotationStep.SWITCHING, RotationStep.ROLLING_BACK)


@dataclass(frozen=True)
class JournalEntry:
    """One profile's rotation as last written; `values` are the connector's own (never shown)."""

    step: RotationStep = RotationStep.IDLE
    started_at: float | None = None
    values: Mapping[str, str] = field(default_factory=dict, repr=False)
    last_result: str = ""

    def moved(self, step: RotationStep, **values: str) -> JournalEntry:
        """The entry at `step`, with `values` added to (or replacing) those kept."""
        return dataclasses.replace(self, step=step, values={**self.values, **values})

    def ended(self, result: str) -> JournalEntry:
        """Back to IDLE, nothing kept but how it ended."""
        return JournalEntry(last_result=result)

    def closing(self) -> str:
        """How the last step ended, as the closing sentence of a command."""
        return self.last_result[:1].upper() + self.last_result[1:] + "."

    def to_bytes(self) -> bytes:
        body = {"step": self.step.value, "started_at": self.started_at, "values": dict(self.values)}
        return json.dumps({**body, "last_result": self.last_result}).encode("utf-8")

    @classmethod
    def from_bytes(cls, raw: bytes) -> JournalEntry:
        data = json.loads(raw)
        values = data.get("values") or {}
        return cls(
            step=RotationStep(data.get("step", RotationStep.IDLE)),
            started_at=data.get("started_at"),
            values={str(k): str(v) for k, v in values.items()},
            last_result=str(data.get("last_result", "")),
        )


class RotationJournal:
    """The journal entry `kind` of `profile`, and the lock its steps run under."""

    def __init__(self, vault: SecretStore, profile: str, kind: str) -> None:
        self.vault = vault
        self.profile = profile
        self.kind = kind

    def read(self) -> JournalEntry:
        raw = self.vault.get(self.profile, self.kind)
        return JournalEntry.from_bytes(raw) if raw is not None else JournalEntry()

    def write(self, entry: JournalEntry) -> JournalEntry:
        self.vault.put(self.profile, self.kind, entry.to_bytes())
        return entry

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        """Hold the profile's rotation lock for the block; RotationConflict when another process holds it."""
        fd = open_lock_file(self.vault.lock_path(self.profile, LOCK_PURPOSE))
        try:
            if not try_lock(fd):
                raise RotationConflict(self.refusal())
            try:
                yield
            finally:
                unlock(fd)
        finally:
            os.close(fd)

    def refusal(self) -> str:
        """Why a step is refused while another process runs one (a connector may word it in its own style)."""
        return (
            f"another Brokerdeck window or command is carrying out a rotation step of {self.profile}; "
            "wait for it to finish, then look again"
        )

    def busy(self) -> bool:
        """Whether some process (this one included) is running a step now."""
        fd = open_lock_file(self.vault.lock_path(self.profile, LOCK_PURPOSE))
        try:
            if try_lock(fd):
                unlock(fd)
                return False
            return True
        finally:
            os.close(fd)

    def interrupted(self, entry: JournalEntry) -> bool:
        """A step under way in the journal that nobody is running: a crash cut it off."""
        return entry.step in UNDER_WAY and not self.busy()


def stamp() -> str:
    """Now, as a journal's results say when something happened (local time, with its zone)."""
    return datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


def archive_id_at(moment: float) -> str:
    """An archive's id: when it was made, in UTC to the second (`20260126-142233`)."""
    return datetime.fromtimestamp(moment, UTC).strftime("%Y%m%d-%H%M%S")


class RotationArchive:
    """The sets a profile's rotations replaced: vault entries `<prefix>-<archive id>`, newest first.

    With `whole_ids` an archive's id is its entry's whole name (`archive-20260126-142233`): the id a trader
    types then says what it is."""

    def __init__(self, vault: SecretStore, profile: str, prefix: str, *, whole_ids: bool = False) -> None:
        self.vault = vault
        self.profile = profile
        self.prefix = prefix
        self.whole_ids = whole_ids

    def new_id(self, now: float | None = None) -> str:
        """A fresh id for an archive made now (a suffix when two are made in the same second)."""
        base = self._head() + archive_id_at(time.time() if now is None else now)
        taken = set(self.vault.kinds(self.profile))
        candidate, n = base, 1
        while self._kind(candidate) in taken:
            n += 1
            candidate = f"{base}-{n}"
        return candidate

    def has(self, archive_id: str) -> bool:
        return self._kind(archive_id) in self.vault.kinds(self.profile)

    def put(self, archive_id: str, summary: str, payload: bytes, archived_at: float) -> None:
        body = {
            "profile": self.profile,
            "archived_at": archived_at,
            "summary": summary,
            "payload": base64.b64encode(payload).decode("ascii"),
        }
        self.vault.put(self.profile, self._kind(archive_id), json.dumps(body).encode("utf-8"))

    def drop(self, archive_id: str) -> None:
        self.vault.delete(self.profile, self._kind(archive_id))

    def listed(self) -> tuple[ArchivedSet, ...]:
        """Every archive, newest first; one that cannot be read is listed as such (to drop), never hidden."""
        found = []
        for kind in self.vault.kinds(self.profile):
            if kind.startswith(self.prefix + "-"):
                archive_id = self._id_of(kind)
                try:
                    body = self._body(archive_id)
                    found.append(ArchivedSet(archive_id, float(body["archived_at"]), str(body["summary"])))
                except (BrokerError, ValueError, KeyError, TypeError) as error:
                    found.append(ArchivedSet(archive_id, 0.0, f"cannot be read: {error}"))
        return tuple(sorted(found, key=lambda a: (a.archived_at, a.archive_id), reverse=True))

    def payload(self, archive_id: str) -> tuple[ArchivedSet, bytes]:
        """The archive and what it holds; RotationConflict when the profile has no such archive."""
        body = self._body(archive_id)
        archived = ArchivedSet(archive_id, float(body["archived_at"]), str(body["summary"]))
        return archived, base64.b64decode(body["payload"])

    def _body(self, archive_id: str) -> dict[str, Any]:
        raw = self.vault.get(self.profile, self._kind(archive_id)) if self._plain(archive_id) else None
        if raw is None:
            raise RotationConflict(
                f"{self.profile} has no archived set {archive_id!r}; "
                f"`brokerdeck keys archive {self.profile}` lists them"
            )
        body: dict[str, Any] = json.loads(raw)
        if body.get("profile") != self.profile:
            raise RotationConflict(f"the archive {archive_id!r} belongs to another profile and is not used")
        return body

    def _kind(self, archive_id: str) -> str:
        return archive_id if self.whole_ids else f"{self.prefix}-{archive_id}"

    def _id_of(self, kind: str) -> str:
        return kind if self.whole_ids else kind[len(self.prefix) + 1 :]

    def _plain(self, archive_id: str) -> bool:
        """An id as `new_id` makes them (its time in digits and dashes), so a typed id can never name another
        kind of entry."""
        head = self._head()
        stamp = archive_id[len(head) :] if archive_id.startswith(head) else ""
        return bool(stamp) and all(c.isdigit() or c == "-" for c in stamp)

    def _head(self) -> str:
        """What an id starts with before its time."""
        return self.prefix + "-" if self.whole_ids else ""
