"""The endpoints file: how the app and scripts find a running sandbox without a fixed port.

The sandbox binds ephemeral ports, so it writes where each service landed (plus the profile tables
that point at them) to a small JSON file. Clients turn those tables into profiles with their own loader,
which checks them exactly as it checks profiles.toml. A file left behind by a killed sandbox names a dead pid
and is ignored, so the app never offers profiles that lead nowhere.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from brokers.core.atomicfile import write_atomic
from brokers.core.processes import process_alive


@dataclass(frozen=True)
class SandboxEndpoints:
    """Where one running sandbox serves, and the profiles that lead to it."""

    pid: int
    seed: int
    started_at: str
    services: dict[str, str]
    profiles: tuple[dict[str, Any], ...] = ()

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> SandboxEndpoints:
        """Parse and type-check; ValueError says what is wrong."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("the endpoints file must hold a JSON object")
        pid, seed, started_at = data.get("pid"), data.get("seed"), data.get("started_at")
        services, profiles = data.get("services"), data.get("profiles", [])
        if not isinstance(pid, int) or not isinstance(seed, int) or isinstance(pid, bool) or isinstance(seed, bool):
            raise ValueError("'pid' and 'seed' must be integers")
        if not isinstance(started_at, str):
            raise ValueError("'started_at' must be a string")
        if not isinstance(services, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in services.items()
        ):
            raise ValueError("'services' must map service names to URLs")
        if not isinstance(profiles, list) or not all(
            isinstance(p, dict) and isinstance(p.get("name"), str) and isinstance(p.get("kind"), str) for p in profiles
        ):
            raise ValueError("'profiles' must be a list of tables with a 'name' and a 'kind'")
        return cls(pid=pid, seed=seed, started_at=started_at, services=services, profiles=tuple(profiles))


def write_endpoints(path: Path, endpoints: SandboxEndpoints) -> None:
    """Replace the endpoints file atomically, readable by the owner only."""
    write_atomic(path, endpoints.to_json().encode("utf-8"), mode=0o600)


def read_endpoints(path: Path) -> SandboxEndpoints | None:
    """The running sandbox's endpoints, or None when there is none to trust.

    None covers a missing file, one that does not parse, and one whose sandbox process is gone.
    """
    try:
        endpoints = SandboxEndpoints.from_json(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return endpoints if process_alive(endpoints.pid) else None
