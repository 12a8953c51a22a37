"""How fills and the broker's reports change an order record, without counting anything twice.

Fills are matched by execution id (a simulated fill has none and is new by construction); the filled
quantity is the larger of the broker's cumulative figure and the sum of the fills, so a report seen
twice, or both as an order update and as an execution, is counted once.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from brokers.core.orders import BrokerExecution, BrokerOrder, Fill, OrderStatus
from brokers.trading.order_book import OrderRecord


def with_fills(record: OrderRecord, fills: tuple[Fill, ...], now: float) -> OrderRecord:
    """The record with the new `fills` added (those whose execution id it already holds are skipped)."""
    seen = {fill.execution_id for fill in record.fills if fill.execution_id}
    new = tuple(fill for fill in fills if not fill.execution_id or fill.execution_id not in seen)
    if not new:
        return record
    all_fills = record.fills + new
    total = sum((fill.quantity for fill in all_fills), Decimal(0))
    filled = max(record.filled, total)
    average = sum((fill.quantity * fill.price for fill in all_fills), Decimal(0)) / total
    return replace(
        record,
        fills=all_fills,
        filled=filled,
        average_price=average if total >= record.filled else record.average_price,
        status=_status_after_fill(record, filled),
        updated_at=now,
    )


def with_broker_order(record: OrderRecord, order: BrokerOrder, now: float) -> OrderRecord:
    """The record as the broker reports its order now."""
    filled = max(record.filled, order.filled)
    status = order.status
    if filled >= record.request.quantity:
        status = OrderStatus.FILLED
    return replace(
        record,
        status=status,
        broker_order_id=order.broker_order_id or record.broker_order_id,
        filled=filled,
        average_price=order.average_price if order.average_price is not None else record.average_price,
        question=None if status is not OrderStatus.QUESTION else record.question,
        updated_at=now,
    )


def with_execution(record: OrderRecord, execution: BrokerExecution, now: float) -> OrderRecord:
    fill = Fill(execution.quantity, execution.price, execution.at, execution.execution_id)
    return with_fills(
        replace(record, broker_order_id=record.broker_order_id or execution.broker_order_id), (fill,), now
    )


def filled_notional(record: OrderRecord) -> Decimal:
    """What the filled part is worth at the price the cap counted the whole order at."""
    if record.request.quantity <= 0:
        return Decimal(0)
    return record.notional * min(record.filled, record.request.quantity) / record.request.quantity


def _status_after_fill(record: OrderRecord, filled: Decimal) -> OrderStatus:
    if filled >= record.request.quantity:
        return OrderStatus.FILLED
    if record.status in (OrderStatus.PENDING_CANCEL, OrderStatus.CANCELLED):
        return record.status
    return OrderStatus.PARTIALLY_FILLED
