"""The running app's view of each IBKR session, shared with `brokerdeck status` through a small file.

Only the non-secret snapshot is written (times, flags, the error text), never a token. A file whose
writer process has exited is ignored: its session ended with it.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

from brokers.core.atomicfile import write_atomic
from brokers.core.processes import process_alive
from brokers.ibkr.session import SessionPhase, SessionSnapshot


def state_file(data_dir: Path, profile: str) -> Path:
    return data_dir / "sessions" / f"{profile}.json"


def write_snapshot(path: Path, snapshot: SessionSnapshot) -> None:
    record = {"pid": os.getpid(), "snapshot": dataclasses.asdict(snapshot)}
    write_atomic(path, json.dumps(record).encode("utf-8"))


def read_snapshot(path: Path) -> SessionSnapshot | None:
    """The snapshot a live process published for this profile, if any."""
    try:
        record = json.loads(path.read_text("utf-8"))
        fields = dict(record["snapshot"])
        fields["phase"] = SessionPhase(fields["phase"])
        snapshot = SessionSnapshot(**fields)
        pid = int(record["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return snapshot if process_alive(pid) else None
