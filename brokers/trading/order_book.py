"""The orders the desk handled: `orders.json` in the data dir, the blotter's source and the idempotency record.

A record is written (PENDING) before anything is sent or simulated, and rewritten after each change, under
a cross-process lock so the window and the CLI share one book. The file keeps the current trading day's
orders and any order still open or unresolved from an earlier day.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from brokers.core.atomicfile import write_atomic
from brokers.core.filelock import held
from brokers.core.orders import (
    BrokerQuestion,
    Fill,
    Mode,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)
from brokers.core.structures import LegRole
from brokers.trading.exchange_clock import trading_day

ORDERS_FILE = "orders.json"


@dataclass(frozen=True)
class OrderRecord:
    key: str
    mode: Mode
    request: OrderRequest
    status: OrderStatus
    filled: Decimal
    average_price: Decimal | None
    fills: tuple[Fill, ...]
    broker_order_id: str
    created_at: float
    updated_at: float
    message: str = ""  # what happened last, in words (a refusal, the broker's answer)
    question: BrokerQuestion | None = None
    notional: Decimal = field(default=Decimal(0))  # what the cap and the ledger counted
    structure: str = ""  # the structure's key when this order is one of its legs
    role: LegRole | None = None  # the leg's role in its structure
    leg: int = 0  # the leg's place in its structure (0: the first leg, the parent of a bracket or an OTO)

    @property
    def remaining(self) -> Decimal:
        return max(Decimal(0), self.request.quantity - self.filled)

    @property
    def unresolved(self) -> bool:
        """Sent (or maybe sent) and not yet known to be over: reconcile before anything is sent again."""
        return self.status in (OrderStatus.PENDING, OrderStatus.UNKNOWN, OrderStatus.QUESTION)


class OrderBook:
    def __init__(self, data_dir: Path) -> None:
        self._path = data_dir / ORDERS_FILE
        self._lock = data_dir / "orders.lock"

    def records(self) -> tuple[OrderRecord, ...]:
        """Every kept record, oldest first."""
        return tuple(sorted(self._read().values(), key=lambda record: (record.created_at, record.leg)))

    def get(self, key: str) -> OrderRecord | None:
        return self._read().get(key)

    def insert(self, record: OrderRecord, today: date) -> OrderRecord | None:
        """Store a new record; the record already stored under its key instead, when there is one."""
        with held(self._lock):
            records = self._read()
            existing = records.get(record.key)
            if existing is not None:
                return existing
            records[record.key] = record
            self._write(records, today)
        return None

    def insert_all(self, records: tuple[OrderRecord, ...], today: date) -> tuple[OrderRecord, ...]:
        """Store a structure's legs together; the legs already stored instead, when the first one exists."""
        with held(self._lock):
            stored = self._read()
            if records and records[0].key in stored:
                first = stored[records[0].key]
                legs = [r for r in stored.values() if first.structure and r.structure == first.structure]
                return tuple(sorted(legs, key=lambda r: r.leg)) or (first,)
            stored.update({record.key: record for record in records})
            self._write(stored, today)
        return ()

    def structure(self, structure: str) -> tuple[OrderRecord, ...]:
        """A structure's legs in leg order."""
        legs = [r for r in self._read().values() if r.structure == structure]
        return tuple(sorted(legs, key=lambda r: r.leg))

    def update(self, key: str, change: Callable[[OrderRecord], OrderRecord], today: date) -> OrderRecord:
        """Apply `change` to the stored record under the lock; KeyError when there is none."""
        with held(self._lock):
            records = self._read()
            records[key] = change(records[key])
            self._write(records, today)
            return records[key]

    def _read(self) -> dict[str, OrderRecord]:
        try:
            data = json.loads(self._path.read_text("utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise OrderBookUnreadable(
                f"{ORDERS_FILE} cannot be read ({exc}); orders are refused until it is repaired or moved aside"
            ) from exc
        try:
            return {str(key): _decode(entry) for key, entry in dict(data).items()}
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise OrderBookUnreadable(
                f"{ORDERS_FILE} is damaged ({exc}); orders are refused until it is repaired or moved aside"
            ) from exc

    def _write(self, records: dict[str, OrderRecord], today: date) -> None:
        kept = {
            key: record
            for key, record in records.items()
            if trading_day(record.created_at) >= today or not record.status.final
        }
        data = {key: _encode(record) for key, record in kept.items()}
        write_atomic(self._path, json.dumps(data, indent=1, sort_keys=True).encode())


class OrderBookUnreadable(Exception):
    """The order book cannot be read: without it no retry could be recognised, so nothing is placed."""


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _encode(record: OrderRecord) -> dict[str, Any]:
    request = record.request
    question = record.question
    return {
        "key": record.key,
        "mode": record.mode.value,
        "request": {
            "profile": request.profile,
            "symbol": request.symbol,
            "conid": request.conid,
            "side": request.side.value,
            "quantity": str(request.quantity),
            "order_type": request.order_type.value,
            "limit_price": _amount(request.limit_price),
            "stop_price": _amount(request.stop_price),
            "tif": request.tif.value,
            "outside_rth": request.outside_rth,
            "decision_id": request.decision_id,
        },
        "status": record.status.value,
        "filled": str(record.filled),
        "average_price": _amount(record.average_price),
        "fills": [
            {"quantity": str(f.quantity), "price": str(f.price), "at": f.at, "execution_id": f.execution_id}
            for f in record.fills
        ],
        "broker_order_id": record.broker_order_id,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "message": record.message,
        "question": None
        if question is None
        else {
            "reply_id": question.reply_id,
            "message_ids": list(question.message_ids),
            "messages": list(question.messages),
        },
        "notional": str(record.notional),
        "structure": record.structure,
        "role": None if record.role is None else record.role.value,
        "leg": record.leg,
    }


def _decode(data: dict[str, Any]) -> OrderRecord:
    raw = data["request"]
    request = OrderRequest(
        profile=str(raw["profile"]),
        symbol=str(raw["symbol"]),
        conid=None if raw["conid"] is None else int(raw["conid"]),
        side=Side(raw["side"]),
        quantity=Decimal(str(raw["quantity"])),
        order_type=OrderType(raw["order_type"]),
        limit_price=_decimal(raw["limit_price"]),
        stop_price=_decimal(raw["stop_price"]),
        tif=TimeInForce(raw["tif"]),
        outside_rth=bool(raw["outside_rth"]),
        decision_id=str(raw["decision_id"]),
    )
    question = data["question"]
    return OrderRecord(
        key=str(data["key"]),
        mode=Mode(data["mode"]),
        request=request,
        status=OrderStatus(data["status"]),
        filled=Decimal(str(data["filled"])),
        average_price=_decimal(data["average_price"]),
        fills=tuple(
            Fill(Decimal(str(f["quantity"])), Decimal(str(f["price"])), float(f["at"]), str(f["execution_id"]))
            for f in data["fills"]
        ),
        broker_order_id=str(data["broker_order_id"]),
        created_at=float(data["created_at"]),
        updated_at=float(data["updated_at"]),
        message=str(data["message"]),
        question=None
        if question is None
        else BrokerQuestion(
            str(question["reply_id"]),
            tuple(str(m) for m in question["message_ids"]),
            tuple(str(m) for m in question["messages"]),
        ),
        notional=Decimal(str(data.get("notional", "0"))),
        structure=str(data.get("structure") or ""),
        role=None if data.get("role") is None else LegRole(data["role"]),
        leg=int(data.get("leg") or 0),
    )
