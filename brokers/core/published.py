"""What a running window tells `brokerdeck status` about its sessions, through one small file per profile.

Only non-secret facts are written (times, flags, error text), never a token. A file whose writer process
has exited is ignored: its session ended with it. Each connector decides what its facts are and reads
them back (`ConnectorSession.published`, `Connector.published_health`); the accounts a session read travel
beside them in the one model every connector shares.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from brokers.core.accounts import AccountsReport
from brokers.core.atomicfile import write_atomic
from brokers.core.processes import process_alive


def published_file(data_dir: Path, profile: str) -> Path:
    return data_dir / "sessions" / f"{profile}.json"


def publish(path: Path, facts: dict[str, Any], accounts: AccountsReport | None = None) -> None:
    record = {"pid": os.getpid(), "snapshot": facts, "accounts": accounts.to_json() if accounts else None}
    write_atomic(path, json.dumps(record).encode("utf-8"))


def read_published(path: Path) -> dict[str, Any] | None:
    """The facts a live process published for this profile, if any."""
    record = _live_record(path)
    facts = record.get("snapshot") if record else None
    return facts if isinstance(facts, dict) else None


def read_published_accounts(path: Path) -> AccountsReport | None:
    """The accounts a live process last read for this profile, if it published any."""
    record = _live_record(path)
    return AccountsReport.from_json(record.get("accounts")) if record and record.get("accounts") else None


def _live_record(path: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(path.read_text("utf-8"))
        pid = int(record["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return record if isinstance(record, dict) and process_alive(pid) else None
