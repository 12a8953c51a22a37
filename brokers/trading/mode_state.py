"""The one mode state the window and the CLI share: `modes.json` in the data dir.

Per profile: its mode and, when LIVE, since when, until when, for which account and who armed it; plus at
most one pending arming (the phrase the gate issued and when it stops being valid). Changes happen under a
cross-process lock and replace the file atomically. A file that cannot be read puts every profile in
SHADOW and says so in `finding`: it never crashes a caller and never reads as LIVE.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from brokers.core.atomicfile import write_atomic
from brokers.core.filelock import held
from brokers.core.orders import Mode

MODES_FILE = "modes.json"


@dataclass(frozen=True)
class ProfileMode:
    mode: Mode = Mode.SHADOW
    armed_at: float | None = None
    until: float | None = None  # the arming ends here (epoch seconds)
    account: str = ""
    armed_by: str = ""  # "window" or "cli"


SHADOW = ProfileMode()


@dataclass(frozen=True)
class PendingArming:
    phrase: str
    account: str
    issued_at: float
    expires_at: float


@dataclass(frozen=True)
class ModeState:
    profiles: Mapping[str, ProfileMode] = field(default_factory=dict)
    pending: Mapping[str, PendingArming] = field(default_factory=dict)
    finding: str = ""  # why the stored state could not be read, when it could not

    def of(self, profile: str) -> ProfileMode:
        return self.profiles.get(profile, SHADOW)

    def with_profile(self, profile: str, mode: ProfileMode) -> ModeState:
        return replace(self, profiles={**self.profiles, profile: mode})

    def with_pending(self, profile: str, pending: PendingArming | None) -> ModeState:
        rest = {name: p for name, p in self.pending.items() if name != profile}
        return replace(self, pending=rest if pending is None else {**rest, profile: pending})


class ModeStore:
    """`modes.json` in `data_dir`; every read goes to the file, so another process's change shows at once."""

    def __init__(self, data_dir: Path) -> None:
        self._path = data_dir / MODES_FILE
        self._lock = data_dir / "modes.lock"

    @property
    def path(self) -> Path:
        return self._path

    def read(self) -> ModeState:
        try:
            raw = self._path.read_text("utf-8")
        except FileNotFoundError:
            return ModeState()
        except OSError as exc:
            return ModeState(finding=f"{MODES_FILE} could not be read ({exc.strerror}); every profile is in SHADOW")
        try:
            return _decode(json.loads(raw))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            return ModeState(finding=f"{MODES_FILE} is damaged ({exc}); every profile is in SHADOW")

    def change(self, edit: Callable[[ModeState], ModeState]) -> tuple[ModeState, ModeState]:
        """Apply `edit` to the stored state under the lock and store the result; (before, after).

        A damaged file is replaced by the edit of an all-SHADOW state (its finding stays in `before`)."""
        with held(self._lock):
            before = self.read()
            after = replace(edit(before), finding="")
            write_atomic(self._path, json.dumps(_encode(after), indent=2, sort_keys=True).encode())
        return before, after


def _encode(state: ModeState) -> dict[str, Any]:
    return {
        "profiles": {
            name: {
                "mode": m.mode.value,
                "armed_at": m.armed_at,
                "until": m.until,
                "account": m.account,
                "armed_by": m.armed_by,
            }
            for name, m in state.profiles.items()
            if m.mode is Mode.LIVE
        },
        "pending": {
            name: {"phrase": p.phrase, "account": p.account, "issued_at": p.issued_at, "expires_at": p.expires_at}
            for name, p in state.pending.items()
        },
    }


def _decode(data: Any) -> ModeState:
    profiles: dict[str, ProfileMode] = {}
    for name, entry in dict(data["profiles"]).items():
        mode = Mode(entry["mode"])
        if mode is Mode.LIVE:
            profiles[str(name)] = ProfileMode(
                mode=mode,
                armed_at=float(entry["armed_at"]),
                until=float(entry["until"]),
                account=_text(entry["account"]),
                armed_by=_text(entry["armed_by"]),
            )
    pending = {
        str(name): PendingArming(
            phrase=_text(entry["phrase"]),
            account=_text(entry["account"]),
            issued_at=float(entry["issued_at"]),
            expires_at=float(entry["expires_at"]),
        )
        for name, entry in dict(data["pending"]).items()
    }
    return ModeState(profiles=profiles, pending=pending)


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, found {value!r}")
    return value
