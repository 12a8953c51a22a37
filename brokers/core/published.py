"""What a running window tells `brokerdeck status` about its sessions, through one small file per profile.

Only non-secret facts are written (times, flags, error text), never a token. A file whose writer process
has exited is ignored: its session ended with it. Each connector decides what its facts are and reads
them back (`ConnectorSession.published`, `Connector.published_health`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from brokers.core.atomicfile import write_atomic
from brokers.core.processes import process_alive


def published_file(data_dir: Path, profile: str) -> Path:
    return data_dir / "sessions" / f"{profile}.json"


def publish(path: Path, facts: dict[str, Any]) -> None:
    record = {"pid": os.getpid(), "snapshot": facts}
    write_atomic(path, json.dumps(record).encode("utf-8"))


def read_published(path: Path) -> dict[str, Any] | None:
    """The facts a live process published for this profile, if any."""
    try:
        record = json.loads(path.read_text("utf-8"))
        facts = record["snapshot"]
        pid = int(record["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(facts, dict):
        return None
    return facts if process_alive(pid) else None
