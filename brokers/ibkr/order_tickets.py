"""IBKR order tickets from the core's `OrderRequest`, and IBKR's order and trade rows back into the core's types.

Prices go out as JSON numbers: a `Decimal` becomes the float whose shortest form is the same decimal, and a
price that has no such float is refused rather than rounded. IBKR reports most numbers as strings, and
inapplicable ones as `""`, `"None"` or `"N/A"`; those read as None.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from brokers.core.orders import BrokerExecution, BrokerOrder, OrderRequest, OrderStatus, OrderType, Side

_STATUS = {
    "inactive": OrderStatus.REJECTED,
    "rejected": OrderStatus.REJECTED,
    "pendingsubmit": OrderStatus.PENDING,
    "presubmitted": OrderStatus.WORKING,
    "submitted": OrderStatus.WORKING,
    "filled": OrderStatus.FILLED,
    "pendingcancel": OrderStatus.PENDING_CANCEL,
    "precancelled": OrderStatus.PENDING_CANCEL,
    "cancelled": OrderStatus.CANCELLED,
    "apicancelled": OrderStatus.CANCELLED,
}
_MISSING = ("", "none", "n/a", "null")


class TicketUnsendable(ValueError):
    """A request that cannot be written as an IBKR ticket without changing it."""


def ticket(request: OrderRequest, key: str, account: str) -> dict[str, Any]:
    """The ticket IBKR's place and modify endpoints take (a modify sends it whole, never a patch).

    STP puts its stop in `price`; STOP_LIMIT puts the limit in `price` and the stop in `auxPrice`.
    """
    if request.conid is None:
        raise TicketUnsendable(f"{request.symbol} has no IBKR contract id (conid)")
    if request.quantity != request.quantity.to_integral_value() or request.quantity <= 0:
        raise TicketUnsendable(f"IBKR takes whole, positive quantities only, not {request.quantity}")
    body: dict[str, Any] = {
        "acctId": account,
        "conid": request.conid,
        "orderType": request.order_type.value,
        "side": request.side.value,
        "tif": request.tif.value,
        "quantity": int(request.quantity),
        "outsideRTH": request.outside_rth,
        "cOID": key,
    }
    limit, stop = request.limit_price, request.stop_price
    if request.order_type is OrderType.LIMIT:
        body["price"] = json_number(_required(limit, "limit"))
    elif request.order_type is OrderType.STOP:
        body["price"] = json_number(_required(stop, "stop"))
    elif request.order_type is OrderType.STOP_LIMIT:
        body["price"] = json_number(_required(limit, "limit"))
        body["auxPrice"] = json_number(_required(stop, "stop"))
    return body


def _required(price: Decimal | None, name: str) -> Decimal:
    if price is None:
        raise TicketUnsendable(f"a {name} price is required for this order type")
    return price


def json_number(value: Decimal) -> int | float:
    """`value` as a JSON number that serialises to exactly the same decimal."""
    if value == value.to_integral_value():
        return int(value)
    number = float(value)
    if Decimal(repr(number)) != value:
        raise TicketUnsendable(f"the price {value} has more digits than an order ticket can carry")
    return number


def decimal_or_none(value: Any) -> Decimal | None:
    """IBKR's number (often a string) as a Decimal; inapplicable values and garbage read as None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Decimal(str(value))
    text = str(value).strip().replace(",", "")
    if text.lower() in _MISSING:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def status_of(word: Any, filled: Decimal) -> OrderStatus:
    """IBKR's status word, read case-insensitively (`Presubmitted` and `PreSubmitted` both occur)."""
    status = _STATUS.get(str(word or "").replace("_", "").replace(" ", "").lower(), OrderStatus.UNKNOWN)
    if status is OrderStatus.WORKING and filled > 0:
        return OrderStatus.PARTIALLY_FILLED
    return status


def side_of(word: Any) -> Side | None:
    text = str(word or "").strip().upper()
    return {"BUY": Side.BUY, "B": Side.BUY, "SELL": Side.SELL, "S": Side.SELL}.get(text)


def order_from_row(row: dict[str, Any]) -> BrokerOrder | None:
    """One `/iserver/account/orders` (or full `sor`) row; None without an order id."""
    order_id = row.get("orderId")
    if order_id in (None, ""):
        return None
    filled = decimal_or_none(row.get("filledQuantity")) or Decimal(0)
    total = decimal_or_none(row.get("totalSize"))
    if total is None and (remaining := decimal_or_none(row.get("remainingQuantity"))) is not None:
        total = remaining + filled
    stamp = decimal_or_none(row.get("lastExecutionTime_r"))
    return BrokerOrder(
        broker_order_id=str(order_id),
        key=str(row.get("order_ref") or ""),
        symbol=str(row.get("ticker") or row.get("description1") or ""),
        side=side_of(row.get("side")),
        status=status_of(row.get("status"), filled),
        quantity=total,
        filled=filled,
        average_price=decimal_or_none(row.get("avgPrice")),
        order_type=str(row.get("orderType") or row.get("origOrderType") or ""),
        limit_price=decimal_or_none(row.get("price")),
        updated_at=float(stamp) / 1000 if stamp else None,
    )


def execution_from_row(row: dict[str, Any]) -> BrokerExecution | None:
    """One `/iserver/account/trades` (or `str`) row; None when it lacks an id, a size or a price."""
    size, price = decimal_or_none(row.get("size")), decimal_or_none(row.get("price"))
    execution_id = str(row.get("execution_id") or "")
    if not execution_id or size is None or price is None:
        return None
    return BrokerExecution(
        execution_id=execution_id,
        broker_order_id=str(row.get("order_id") or ""),
        key=str(row.get("order_ref") or ""),
        symbol=str(row.get("symbol") or ""),
        side=side_of(row.get("side")),
        quantity=size,
        price=price,
        at=_trade_time(row),
    )


def _trade_time(row: dict[str, Any]) -> float:
    """Epoch seconds from `trade_time_r` (ms), else `trade_time` ("20231211-18:00:49", UTC), else 0."""
    if (stamp := decimal_or_none(row.get("trade_time_r"))) is not None:
        return float(stamp) / 1000
    try:
        return datetime.strptime(str(row.get("trade_time")), "%Y%m%d-%H:%M:%S").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return 0.0
