"""Per-profile order limits: the per-order cap and the daily notional limit, under hard maxima.

`limits.json` in the data dir, replaced atomically. A limit not set is None: LIVE cannot be armed until
both are set (the readiness checklist says so), and SHADOW orders are held to the hard maxima meanwhile.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from brokers.core.atomicfile import write_atomic
from brokers.core.filelock import held

LIMITS_FILE = "limits.json"
HARD_MAX_PER_ORDER = Decimal("250000")
HARD_MAX_DAILY = Decimal("1000000")


class LimitError(ValueError):
    """A limit that cannot be used; the message says what to enter instead."""


@dataclass(frozen=True)
class Limits:
    per_order: Decimal | None = None  # the most one order may be worth (quantity x price)
    daily: Decimal | None = None  # the most the day's buys may add up to, per mode

    @property
    def complete(self) -> bool:
        return self.per_order is not None and self.daily is not None

    @property
    def effective_per_order(self) -> Decimal:
        return self.per_order if self.per_order is not None else HARD_MAX_PER_ORDER

    @property
    def effective_daily(self) -> Decimal:
        return self.daily if self.daily is not None else HARD_MAX_DAILY


def parse_limit(text: str | Decimal | None, what: str, hard_max: Decimal) -> Decimal | None:
    """A limit from what the trader entered; None for empty; LimitError saying what to enter otherwise."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    try:
        value = text if isinstance(text, Decimal) else Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        raise LimitError(f"The {what} must be an amount such as 25000, not {text!r}.") from None
    if not value.is_finite() or value <= 0:
        raise LimitError(f"The {what} must be more than 0 (enter an amount such as 25000).")
    if value > hard_max:
        raise LimitError(f"The {what} can be at most {hard_max:,}; enter {hard_max:,} or less.")
    return value


class LimitsStore:
    """Every profile's limits in the data dir; each call reads the file, so other processes' changes show."""

    def __init__(self, data_dir: Path) -> None:
        self._path = data_dir / LIMITS_FILE
        self._lock = data_dir / "limits.lock"

    def get(self, profile: str) -> Limits:
        """The profile's limits; a damaged file reads as nothing set (so LIVE stays refused)."""
        entry = self._read().get(profile)
        if not isinstance(entry, dict):
            return Limits()
        try:
            return Limits(
                per_order=parse_limit(entry.get("per_order"), "per-order cap", HARD_MAX_PER_ORDER),
                daily=parse_limit(entry.get("daily"), "daily limit", HARD_MAX_DAILY),
            )
        except LimitError:
            return Limits()

    def set(self, profile: str, per_order: str | Decimal | None, daily: str | Decimal | None) -> Limits:
        """Validate and store both limits; LimitError (nothing stored) when one cannot be used."""
        limits = Limits(
            per_order=parse_limit(per_order, "per-order cap", HARD_MAX_PER_ORDER),
            daily=parse_limit(daily, "daily limit", HARD_MAX_DAILY),
        )
        with held(self._lock):
            data = self._read()
            data[profile] = {
                "per_order": None if limits.per_order is None else str(limits.per_order),
                "daily": None if limits.daily is None else str(limits.daily),
            }
            write_atomic(self._path, json.dumps(data, indent=2, sort_keys=True).encode())
        return limits

    def _read(self) -> dict[str, object]:
        try:
            data = json.loads(self._path.read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}
