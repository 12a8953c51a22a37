"""The SHADOW position book: what the SHADOW strategy would hold and earn, built from simulated fills only.

It lives beside the broker's real positions, never inside them: its own file (`shadow_positions.json` in
the data dir), its own account name (`SHADOW`) and `simulated=True` on every snapshot it makes, so no view
can add it to a real account. The journal applies each SHADOW fill once (it remembers how many fills of
each order it applied), under a cross-process lock, so the window and the CLI share one book.
Average price follows the usual rule: adding to a position averages in, reducing realizes P&L against
the average, and crossing through zero opens the rest at the fill's price.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from brokers.core.accounts import SHADOW_ACCOUNT, AccountSnapshot, AccountsReport, Position
from brokers.core.atomicfile import write_atomic
from brokers.core.filelock import held
from brokers.core.orders import Fill, Mode, Side
from brokers.trading.exchange_clock import trading_day
from brokers.trading.order_book import OrderRecord

SHADOW_POSITIONS_FILE = "shadow_positions.json"
NOTE = "simulated: what the SHADOW strategy would hold, from its simulated fills; no broker holds it"
_ZERO = Decimal(0)

Mark = Callable[[Position], Decimal | None]  # the instrument's current price, when the market shows one


class ShadowBookUnreadable(Exception):
    """The SHADOW position book cannot be read; its report says so instead of showing wrong holdings."""


@dataclass(frozen=True)
class ShadowHolding:
    symbol: str
    instrument_id: str
    quantity: Decimal
    average_price: Decimal  # 0 while flat
    realized_day: date
    realized_today: Decimal  # what closing fills made on `realized_day`
    updated_at: float


def holding_key(symbol: str, conid: int | None) -> str:
    """One holding per instrument: the broker's contract id when the order named one, else the symbol."""
    return f"conid:{conid}" if conid is not None else f"symbol:{symbol.upper()}"


def apply_fill(holding: ShadowHolding, side: Side, fill: Fill) -> ShadowHolding:
    """`holding` after `fill`: average in when adding, realize against the average when reducing."""
    signed = fill.quantity if side is Side.BUY else -fill.quantity
    day = trading_day(fill.at)
    realized = holding.realized_today if holding.realized_day == day else _ZERO
    quantity, average = holding.quantity, holding.average_price
    if quantity == 0 or (quantity > 0) == (signed > 0):
        new_quantity = quantity + signed
        average = (abs(quantity) * average + abs(signed) * fill.price) / abs(new_quantity)
    else:
        closed = min(abs(signed), abs(quantity))
        direction = Decimal(1) if quantity > 0 else Decimal(-1)
        realized += closed * (fill.price - average) * direction
        new_quantity = quantity + signed
        if new_quantity == 0:
            average = _ZERO
        elif (new_quantity > 0) != (quantity > 0):
            average = fill.price  # crossed through zero: the rest opens at this fill
    return replace(
        holding,
        quantity=new_quantity,
        average_price=average,
        realized_day=day,
        realized_today=realized,
        updated_at=max(holding.updated_at, fill.at),
    )


class ShadowPositions:
    """The SHADOW holdings of every profile, by instrument, in one file."""

    def __init__(self, data_dir: Path) -> None:
        self._path = data_dir / SHADOW_POSITIONS_FILE
        self._lock = data_dir / "shadow_positions.lock"
        self._parsed: tuple[tuple[int, int, int], dict[str, Any]] | None = None  # (file stamp, its content)

    def apply(self, record: OrderRecord) -> None:
        """Apply the fills of a SHADOW `record` this book has not applied yet (a replay changes nothing)."""
        if record.mode is not Mode.SHADOW or not record.fills:
            return
        with held(self._lock):
            book = json.loads(json.dumps(self._read()))  # a copy to change: the parsed file stays as read
            try:
                self._apply_to(book, record)
            except (KeyError, TypeError, ValueError, ArithmeticError, AttributeError) as exc:
                raise ShadowBookUnreadable(f"{SHADOW_POSITIONS_FILE} is damaged ({exc})") from exc
            write_atomic(self._path, json.dumps(book, indent=1, sort_keys=True).encode())

    @staticmethod
    def _apply_to(book: dict[str, Any], record: OrderRecord) -> None:
        profile = book.setdefault(record.request.profile, {"holdings": {}, "applied": {}})
        applied, holdings = profile["applied"], profile["holdings"]
        done = int(applied.get(record.key, [0])[0])
        if done >= len(record.fills):
            return
        request = record.request
        key = holding_key(request.symbol, request.conid)
        holding = _holding_of(holdings[key]) if key in holdings else _flat(record)
        for fill in record.fills[done:]:
            holding = apply_fill(holding, request.side, fill)
        holdings[key] = _holding_json(holding)
        applied[record.key] = [len(record.fills), record.updated_at]
        _forget_old(applied, record.updated_at)

    def holders(self, profiles: tuple[str, ...]) -> frozenset[str]:
        """Those of `profiles` whose SHADOW book holds something (or cannot be read: its report says why)."""
        found = set()
        for name in profiles:
            try:
                if any(h.quantity != 0 for h in self.holdings(name)):
                    found.add(name)
            except ShadowBookUnreadable:
                found.add(name)
        return frozenset(found)

    def report(self, profile: str, mark: Mark, now: float) -> AccountsReport:
        """`profile`'s SHADOW book as one simulated account, priced with `mark` where the market shows a price."""
        try:
            holdings = self.holdings(profile)
        except ShadowBookUnreadable as exc:
            problem = f"{exc}; move it aside to start an empty SHADOW book (the orders themselves are kept)"
            return AccountsReport(taken_at=now, problem=problem)
        today = trading_day(now)
        positions = tuple(_priced(h, mark) for h in holdings if h.quantity != 0)
        realized = sum((h.realized_today for h in holdings if h.realized_day == today), _ZERO)
        unrealized = [p.unrealized_pnl for p in positions]
        snapshot = AccountSnapshot(
            account=SHADOW_ACCOUNT,
            kind="simulated",
            positions=tuple(sorted(positions, key=lambda p: p.symbol)),
            note=NOTE,
            unrealized_pnl=sum((u for u in unrealized if u is not None), _ZERO) if None not in unrealized else None,
            realized_pnl=realized,
            simulated=True,
            positions_at=max((h.updated_at for h in holdings), default=None),
        )
        return AccountsReport(accounts=(snapshot,), taken_at=now)

    def holdings(self, profile: str) -> tuple[ShadowHolding, ...]:
        entry = self._read().get(profile) or {}
        try:
            return tuple(_holding_of(h) for h in dict(entry.get("holdings") or {}).values())
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise ShadowBookUnreadable(f"{SHADOW_POSITIONS_FILE} is damaged ({exc})") from exc

    def _read(self) -> dict[str, Any]:
        """The file's content, parsed again only when the file changed (a window asks twice a second)."""
        try:
            stat = self._path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
            if self._parsed is not None and self._parsed[0] == stamp:
                return self._parsed[1]
            data = json.loads(self._path.read_text("utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise ShadowBookUnreadable(f"{SHADOW_POSITIONS_FILE} cannot be read ({exc})") from exc
        if not isinstance(data, dict):
            raise ShadowBookUnreadable(f"{SHADOW_POSITIONS_FILE} is damaged (not an object)")
        self._parsed = (stamp, data)
        return data


def shadow_accounts(data_dir: Path, profile: str, mark: Mark, now: float) -> AccountsReport:
    """`profile`'s SHADOW book read once (a command); a window keeps one `ShadowPositions` and asks its `report`."""
    return ShadowPositions(data_dir).report(profile, mark, now)


def _priced(holding: ShadowHolding, mark: Mark) -> Position:
    position = Position(
        symbol=holding.symbol,
        quantity=holding.quantity,
        average_price=holding.average_price,
        realized_pnl=holding.realized_today,
        instrument_id=holding.instrument_id,
    )
    price = mark(position)
    if price is None:
        return position
    return replace(
        position,
        market_price=price,
        market_value=holding.quantity * price,
        unrealized_pnl=holding.quantity * (price - holding.average_price),
    )


def _flat(record: OrderRecord) -> ShadowHolding:
    request = record.request
    conid = "" if request.conid is None else str(request.conid)
    return ShadowHolding(request.symbol, conid, _ZERO, _ZERO, trading_day(record.created_at), _ZERO, 0.0)


def _forget_old(applied: dict[str, Any], now: float) -> None:
    """Drop what was applied more than a week ago: the order book no longer keeps those orders."""
    for key in [k for k, (_, at) in applied.items() if now - float(at) > 7 * 86400]:
        del applied[key]


def _holding_json(holding: ShadowHolding) -> dict[str, Any]:
    return {
        "symbol": holding.symbol,
        "instrument_id": holding.instrument_id,
        "quantity": str(holding.quantity),
        "average_price": str(holding.average_price),
        "realized_day": holding.realized_day.isoformat(),
        "realized_today": str(holding.realized_today),
        "updated_at": holding.updated_at,
    }


def _holding_of(facts: dict[str, Any]) -> ShadowHolding:
    return ShadowHolding(
        symbol=str(facts["symbol"]),
        instrument_id=str(facts["instrument_id"]),
        quantity=Decimal(facts["quantity"]),
        average_price=Decimal(facts["average_price"]),
        realized_day=date.fromisoformat(facts["realized_day"]),
        realized_today=Decimal(facts["realized_today"]),
        updated_at=float(facts["updated_at"]),
    )
