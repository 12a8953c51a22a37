"""The audit log: every mode transition and order decision, append-only and hash-chained.

`audit.jsonl` in the data dir holds one record per line, written in canonical JSON (sorted keys, no spaces)
and fsynced before the append returns. Each record carries the hash of the one before (`prev`) and its own
(`hash`, SHA-256 over its canonical JSON without `hash`), so an edited, reordered or deleted record breaks the
chain. `audit.head` (replaced atomically after each append) remembers the last record's seq and hash, so a
cut-off tail is detected too. The window and the CLI append under one cross-process lock.

A broken log is never rewritten: appends continue after the break, chained to the last record the head
remembers, and `verify` keeps naming the line where the break is.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from brokers.core.atomicfile import write_atomic
from brokers.core.filelock import held

AUDIT_FILE = "audit.jsonl"
HEAD_FILE = "audit.head"
LOCK_FILE = "audit.lock"
#: the `prev` of the first record
GENESIS = "0" * 64
_FIELDS = frozenset({"seq", "at", "who", "event", "profile", "what", "why", "prev", "hash"})


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    at: str  # ISO 8601, UTC
    who: str  # "window" or "cli"
    event: str  # "mode.armed", "order.placed", ...
    profile: str
    what: Mapping[str, Any]
    why: str
    prev: str
    hash: str

    def body(self) -> dict[str, Any]:
        """The record as it is hashed: every field but `hash`."""
        return {
            "seq": self.seq,
            "at": self.at,
            "who": self.who,
            "event": self.event,
            "profile": self.profile,
            "what": dict(self.what),
            "why": self.why,
            "prev": self.prev,
        }

    def line(self) -> str:
        return canonical({**self.body(), "hash": self.hash})


@dataclass(frozen=True)
class AuditVerdict:
    """What `verify` found: `ok` only when the chain, the order and the head all agree."""

    ok: bool
    records: int
    problems: tuple[str, ...]


def canonical(value: Mapping[str, Any]) -> str:
    """The one text of a record: sorted keys, no spaces, ASCII only (Decimals as their text)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=_plain)


def record_hash(body: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(body).encode("ascii")).hexdigest()


def _plain(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"an audit record holds only JSON values and Decimals, not {type(value).__name__}")


class AuditLog:
    """The data dir's audit log; one instance per process is enough, any number is safe."""

    def __init__(self, data_dir: Path, now: Callable[[], float] = time.time) -> None:
        self._dir = data_dir
        self._now = now

    @property
    def path(self) -> Path:
        return self._dir / AUDIT_FILE

    @property
    def head_path(self) -> Path:
        return self._dir / HEAD_FILE

    def append(self, who: str, event: str, profile: str, what: Mapping[str, Any], why: str) -> AuditRecord:
        """Write one record and fsync it; returns it as written."""
        plain_what = json.loads(canonical(what))
        with held(self._dir / LOCK_FILE):
            raw = self.path.read_bytes() if self.path.exists() else b""
            seq, prev = self._chain_end(raw)
            body = {
                "seq": seq + 1,
                "at": datetime.fromtimestamp(self._now(), UTC).isoformat(timespec="milliseconds"),
                "who": who,
                "event": event,
                "profile": profile,
                "what": plain_what,
                "why": why,
                "prev": prev,
            }
            record = AuditRecord(**body, hash=record_hash(body))
            # A torn last line keeps its bytes; the new record starts on a line of its own.
            text = ("\n" if raw and not raw.endswith(b"\n") else "") + record.line() + "\n"
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
            try:
                os.write(fd, text.encode("ascii"))
                os.fsync(fd)
            finally:
                os.close(fd)
            write_atomic(self.head_path, canonical({"seq": record.seq, "hash": record.hash}).encode("ascii"))
        return record

    def records(self) -> tuple[AuditRecord, ...]:
        """The readable records, in file order (`verify` says whether they can be trusted)."""
        raw = self.path.read_bytes() if self.path.exists() else b""
        return tuple(record for _, record in _parsed(raw) if record is not None)

    def verify(self) -> AuditVerdict:
        """Check every line, the chain, the order and the head; each problem names its line."""
        raw = self.path.read_bytes() if self.path.exists() else b""
        problems: list[str] = []
        last: AuditRecord | None = None
        count = 0
        lines = _parsed(raw)
        for number, record in lines:
            if record is None:
                torn = number == len(lines) and not raw.endswith(b"\n")
                problems.append(
                    f"line {number} is torn: a write was interrupted there"
                    if torn
                    else f"line {number} is not a readable audit record (edited, damaged or torn by a write)"
                )
                continue
            count += 1
            if record_hash(record.body()) != record.hash:
                problems.append(f"line {number} (seq {record.seq}) was edited: its hash does not match its content")
            expected_seq, expected_prev = (last.seq + 1, last.hash) if last else (1, GENESIS)
            if record.seq != expected_seq:
                if last is not None and record.seq <= last.seq:
                    problems.append(f"line {number} (seq {record.seq}) is out of order: it follows seq {last.seq}")
                else:
                    problems.append(
                        f"line {number} (seq {record.seq}): records are missing before it (expected seq {expected_seq})"
                    )
            elif record.prev != expected_prev:
                problems.append(f"line {number} (seq {record.seq}) does not chain to the record before it")
            last = record
        problems.extend(self._head_problems(last))
        return AuditVerdict(ok=not problems, records=count, problems=tuple(problems))

    def _head_problems(self, last: AuditRecord | None) -> list[str]:
        head = self._read_head()
        if head is None:
            if self.head_path.exists():
                return [f"{HEAD_FILE} is unreadable: the end of the log cannot be confirmed"]
            return [f"{HEAD_FILE} is missing: the end of the log cannot be confirmed"] if last else []
        seq, digest = head
        if last is None:
            return [f"the log is empty but {HEAD_FILE} remembers seq {seq}: the log was truncated"]
        if seq > last.seq:
            return [f"the log ends at seq {last.seq} but {HEAD_FILE} remembers seq {seq}: its tail was cut off"]
        if seq < last.seq:
            return [
                f"{HEAD_FILE} remembers seq {seq} but the log goes on to seq {last.seq}: "
                "an append was interrupted (the next one repairs this) or records were added from outside"
            ]
        if digest != last.hash:
            return [f"the last record (seq {last.seq}) is not the one {HEAD_FILE} remembers: it was replaced"]
        return []

    def _read_head(self) -> tuple[int, str] | None:
        try:
            data = json.loads(self.head_path.read_text("ascii"))
            return int(data["seq"]), str(data["hash"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _chain_end(self, raw: bytes) -> tuple[int, str]:
        """The seq and hash the next record chains to: the head's when readable (a cut tail stays visible)."""
        head = self._read_head()
        last = next((record for _, record in reversed(_parsed(raw)) if record is not None), None)
        if head is not None and (last is None or head[0] >= last.seq):
            return head
        return (last.seq, last.hash) if last else (0, GENESIS)


def _parsed(raw: bytes) -> list[tuple[int, AuditRecord | None]]:
    """(line number, the record or None when the line is not one) for every non-empty line."""
    out: list[tuple[int, AuditRecord | None]] = []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if line:
            out.append((number, _record(line)))
    return out


def _record(line: bytes) -> AuditRecord | None:
    """A line as a record, only when it is exactly the canonical text of one (any changed byte fails)."""
    try:
        data = json.loads(line.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(data, dict) or set(data) != _FIELDS or not isinstance(data["what"], dict):
        return None
    try:
        record = AuditRecord(
            seq=_exact(data["seq"], int),
            at=_exact(data["at"], str),
            who=_exact(data["who"], str),
            event=_exact(data["event"], str),
            profile=_exact(data["profile"], str),
            what=data["what"],
            why=_exact(data["why"], str),
            prev=_exact(data["prev"], str),
            hash=_exact(data["hash"], str),
        )
    except TypeError:
        return None
    return record if record.line().encode("ascii") == line else None


def _exact[T](value: object, kind: type[T]) -> T:
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(kind.__name__)
    return value
