"""The order book, the ledger and the audit log, written together as one order's history moves on.

The desk and the order updates share this so a status change, the ledger's settlement and the audit record
always happen in the same order: the record first, then what depends on it, then the log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from brokers.core.orders import Fill, OrderRequest, OrderStatus, Side
from brokers.trading.audit import AuditLog
from brokers.trading.exchange_clock import trading_day
from brokers.trading.ledger import NotionalLedger
from brokers.trading.order_book import OrderBook, OrderRecord
from brokers.trading.record_updates import filled_notional
from brokers.trading.shadow_positions import ShadowBookUnreadable, ShadowPositions

log = logging.getLogger(__name__)


class OrderJournal:
    def __init__(self, data_dir: Path, audit: AuditLog, who: str, now: Callable[[], float]) -> None:
        self.book = OrderBook(data_dir)
        self.ledger = NotionalLedger(data_dir)
        self.shadow = ShadowPositions(data_dir)
        self._audit = audit
        self._who = who
        self._now = now

    def update(self, key: str, change: Callable[[OrderRecord], OrderRecord]) -> OrderRecord:
        return self.book.update(key, change, trading_day(self._now()))

    def log(self, event: str, record: OrderRecord, why: str, **extra: Any) -> None:
        self._audit.append(self._who, event, record.request.profile, describe(record) | extra, why)

    def log_refusal(self, request: OrderRequest, reason: str) -> None:
        self._audit.append(self._who, "order.refused", request.profile, {"ticket": ticket(request)}, reason)

    def log_structure_refusal(self, profile: str, kind: str, legs: tuple[OrderRequest, ...], reason: str) -> None:
        what = {"structure": kind, "legs": [ticket(leg) for leg in legs]}
        self._audit.append(self._who, "order.refused", profile, what, reason)

    def log_fills(self, record: OrderRecord, fills: tuple[Fill, ...]) -> None:
        """Every fill passes here once: it is audited, and a SHADOW fill moves the SHADOW position book."""
        listed = [{"quantity": f.quantity, "price": f.price, "id": f.execution_id} for f in fills]
        self.log("order.filled", record, f"{record.mode.value} fill", fills=listed)
        try:
            self.shadow.apply(record)
        except ShadowBookUnreadable as exc:  # the order is recorded; only the simulated holdings lag
            log.warning("SHADOW fill of %s not added to the SHADOW positions: %s", record.key, exc)

    def settle(self, record: OrderRecord, notional: Decimal | None = None) -> None:
        """A buy's ledger entry down to `notional` (default: what it filled, for an order that ended); a
        structure's leg settles its structure's entry once every leg has ended."""
        if record.structure:
            self._settle_structure(record)
        elif record.request.side is Side.BUY:
            used = filled_notional(record) if notional is None else notional
            day = trading_day(record.created_at)
            self.ledger.settle(record.request.profile, record.mode, day, record.key, used)

    def _settle_structure(self, record: OrderRecord) -> None:
        legs = self.book.structure(record.structure)
        if legs and all(leg.status.final for leg in legs):
            used = sum((filled_notional(leg) for leg in legs if leg.request.side is Side.BUY), Decimal(0))
            day = trading_day(record.created_at)
            self.ledger.settle(record.request.profile, record.mode, day, record.structure, used)

    def merge(self, key: str, change: Callable[[OrderRecord], OrderRecord]) -> OrderRecord:
        """Apply a broker or market report and log what it changed (fills, or else the status)."""
        before = self.book.get(key)
        after = self.update(key, change)
        if before is None or (after.status, after.filled, after.fills) == (before.status, before.filled, before.fills):
            return after
        new_fills = after.fills[len(before.fills) :]
        if new_fills:
            self.log_fills(after, new_fills)
        else:
            self.log("order.status", after, "the broker reported it")
        if after.status in (OrderStatus.CANCELLED, OrderStatus.REJECTED):
            self.settle(after)
        return after


def ticket(request: OrderRequest) -> dict[str, Any]:
    return {
        "symbol": request.symbol,
        "side": str(request.side),
        "quantity": str(request.quantity),
        "type": str(request.order_type),
        "limit": None if request.limit_price is None else str(request.limit_price),
        "stop": None if request.stop_price is None else str(request.stop_price),
        "tif": str(request.tif),
        "decision_id": request.decision_id,
    }


def describe(record: OrderRecord) -> dict[str, Any]:
    legs = {"structure": record.structure, "role": str(record.role)} if record.structure else {}
    return legs | {
        "key": record.key,
        "mode": record.mode.value,
        "ticket": ticket(record.request),
        "status": record.status.value,
        "filled": str(record.filled),
        "notional": str(record.notional),
        "broker_order_id": record.broker_order_id,
    }
