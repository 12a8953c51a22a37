"""The pacing and limits every emulated IBKR WebSocket connection follows, changed over HTTP by tests.

`POST /sandbox/ibkr/stream` (see `stream_control`) applies a partial update, all or nothing; an
open connection reads the settings at each wake-up, so a change applies to it at once.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

MAX_RATE = 100_000

# (kind, lowest, highest) for each setting, bounds inclusive.
_LIMITS: dict[str, tuple[str, float, float]] = {
    "rate": ("float", 0, MAX_RATE),
    "hb_interval_s": ("float", 0.05, 3600),
    "smd_ttl_s": ("float", 0.1, 86_400),
    "max_lines": ("int", 1, 10_000),
    "depth_rate": ("float", 0.1, 1000),
    "burst": ("bool", 0, 1),
}


@dataclass
class StreamSettings:
    """Pacing and limits of every connection; a change applies to open connections too.

    `burst` true sends the frames due every ~5 ms back to back; false spreads them down to ~1 ms apart.
    """

    rate: float = 20.0
    hb_interval_s: float = 10.0
    smd_ttl_s: float = 900.0
    max_lines: int = 100
    depth_rate: float = 5.0
    burst: bool = True

    def update(self, body: Any) -> dict[str, Any]:
        """Apply a partial update all-or-nothing; ValueError says which value is wrong."""
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        known = {f.name for f in fields(self)}
        if unknown := sorted(set(body) - known):
            raise ValueError(f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        checked = {name: _checked(name, value) for name, value in body.items()}
        for name, value in checked.items():
            setattr(self, name, value)
        return asdict(self)


def _checked(name: str, value: Any) -> Any:
    kind, low, high = _LIMITS[name]
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"'{name}' must be true or false")
        return value
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if not numeric or not math.isfinite(value) or not low <= value <= high or (kind == "int" and value % 1):
        whole = "whole " if kind == "int" else ""
        raise ValueError(f"'{name}' must be a {whole}number from {low:g} to {high:g}")
    return int(value) if kind == "int" else float(value)
