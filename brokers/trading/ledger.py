"""The daily notional ledger: what a profile's buys add up to today, per mode.

`ledger.json` in the data dir, replaced atomically under a cross-process lock. Days are New York calendar
days (exchange_clock). Buys are counted at the notional the per-order cap used (quantity x price); sells
are never counted and never blocked. An entry is keyed by the order's idempotency key, so recording the
same order twice counts it once; a refused or cancelled order is settled down to what it filled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from brokers.core.atomicfile import write_atomic
from brokers.core.filelock import held
from brokers.core.orders import Mode

LEDGER_FILE = "ledger.json"
#: days kept after the current one (for the trader's own look back); older days are dropped on write
KEEP_DAYS = 7


@dataclass(frozen=True)
class Reservation:
    """The outcome of recording a buy: whether it fits, and what the day held before it."""

    fits: bool
    used: Decimal  # the day's buys before this order (without any earlier entry of the same key)
    limit: Decimal

    @property
    def left(self) -> Decimal:
        return max(Decimal(0), self.limit - self.used)


class NotionalLedger:
    def __init__(self, data_dir: Path) -> None:
        self._path = data_dir / LEDGER_FILE
        self._lock = data_dir / "ledger.lock"

    def used(self, profile: str, mode: Mode, day: date) -> Decimal:
        """The day's buys so far for `profile` in `mode`."""
        return sum(self._entries(self._read(), profile, mode, day).values(), Decimal(0))

    def reserve(self, profile: str, mode: Mode, day: date, key: str, notional: Decimal, limit: Decimal) -> Reservation:
        """Record a buy when the day's total stays within `limit`; nothing recorded when it does not.

        The same key recorded again replaces its own entry (a retry, or a modified order's new notional)."""
        with held(self._lock):
            data = self._read()
            entries = self._entries(data, profile, mode, day)
            used = sum((value for name, value in entries.items() if name != key), Decimal(0))
            fits = used + notional <= limit
            if fits:
                entries[key] = notional
                self._write(data, profile, mode, day, entries)
        return Reservation(fits, used, limit)

    def settle(self, profile: str, mode: Mode, day: date, key: str, notional: Decimal) -> None:
        """Lower an order's entry to what it really used (0 for nothing filled); never raises one."""
        with held(self._lock):
            data = self._read()
            entries = self._entries(data, profile, mode, day)
            if key in entries and notional < entries[key]:
                entries[key] = max(Decimal(0), notional)
                self._write(data, profile, mode, day, entries)

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self._path.read_text("utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise LedgerUnreadable(
                f"{LEDGER_FILE} cannot be read ({exc}); orders are refused until it is repaired or moved aside "
                "(moving it aside starts today's count from zero)"
            ) from exc
        if not isinstance(data, dict):
            raise LedgerUnreadable(f"{LEDGER_FILE} is damaged; orders are refused until it is repaired or moved aside")
        return data

    @staticmethod
    def _entries(data: dict[str, Any], profile: str, mode: Mode, day: date) -> dict[str, Decimal]:
        raw = data.get(day.isoformat(), {}).get(mode.value, {}).get(profile, {})
        try:
            return {str(key): Decimal(str(value)) for key, value in dict(raw).items()}
        except (InvalidOperation, TypeError, ValueError) as exc:
            raise LedgerUnreadable(f"{LEDGER_FILE} holds an amount that is not a number ({exc})") from exc

    def _write(self, data: dict[str, Any], profile: str, mode: Mode, day: date, entries: dict[str, Decimal]) -> None:
        oldest = (day - timedelta(days=KEEP_DAYS)).isoformat()
        kept = {name: value for name, value in data.items() if name >= oldest}
        kept.setdefault(day.isoformat(), {}).setdefault(mode.value, {})[profile] = {
            key: str(value) for key, value in entries.items()
        }
        write_atomic(self._path, json.dumps(kept, indent=2, sort_keys=True).encode())


class LedgerUnreadable(Exception):
    """The ledger cannot be read: no order may pass the daily limit unchecked."""
