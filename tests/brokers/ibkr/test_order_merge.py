"""The merge of IBKR's sparse `sor` deltas over polled rows, and each `str` execution handed on once."""

from __future__ import annotations

from decimal import Decimal

from brokers.core.orders import OrderStatus, Side
from brokers.ibkr.order_merge import OrderMerge

POLLED = {
    "orderId": 1487000001,
    "ticker": "AAPL",
    "side": "BUY",
    "status": "Submitted",
    "totalSize": "10.0",
    "filledQuantity": "0.0",
    "remainingQuantity": "10.0",
    "avgPrice": "",
    "order_ref": "k-1",
    "orderType": "Limit",
    "price": "190.05",
}


def test_a_sparse_delta_over_a_polled_row_is_a_complete_order() -> None:
    merge = OrderMerge()
    merge.seed([POLLED, "not a row", {"ticker": "no id"}])
    (partial,) = merge.orders([{"orderId": 1487000001, "filledQuantity": "4.0", "avgPrice": "190.04"}])
    (filled,) = merge.orders([{"orderId": "1487000001", "status": "FILLED", "filledQuantity": "10.0"}])
    assert (partial.symbol, partial.side, partial.key, partial.quantity) == ("AAPL", Side.BUY, "k-1", 10)
    assert partial.status is OrderStatus.PARTIALLY_FILLED
    assert partial.average_price == Decimal("190.04")
    assert filled.status is OrderStatus.FILLED  # the status read case-insensitively
    assert filled.filled == 10
    assert filled.limit_price == Decimal("190.05")


def test_a_delta_of_an_order_never_described_waits_for_the_poll() -> None:
    merge = OrderMerge()
    assert merge.orders([{"orderId": 9, "filledQuantity": "1"}]) == ()
    assert merge.incomplete == 1
    merge.seed([{**POLLED, "orderId": 9, "filledQuantity": "1"}])
    (order,) = merge.orders([{"orderId": 9, "status": "PreSubmitted"}])
    assert order.status is OrderStatus.PARTIALLY_FILLED
    assert order.symbol == "AAPL"


def test_a_poll_replaces_the_row_and_one_frame_gives_each_order_once() -> None:
    merge = OrderMerge()
    merge.seed([POLLED])
    merge.orders([{"orderId": 1487000001, "status": "PendingCancel"}])
    merge.seed([{**POLLED, "status": "Cancelled"}])
    (order,) = merge.orders([{"orderId": 1487000001, "lastExecutionTime_r": 1712596911000}, {"orderId": 1487000001}])
    assert order.status is OrderStatus.CANCELLED
    assert order.updated_at == 1712596911.0


def test_each_execution_is_handed_on_once() -> None:
    merge = OrderMerge()
    row = {"execution_id": "e1", "order_id": 7, "order_ref": "k-1", "symbol": "AAPL", "side": "B", "size": 2.0}
    first = merge.executions([{**row, "price": "190.05"}, {**row, "execution_id": "e2", "price": "190.06"}])
    again = merge.executions([{**row, "price": "190.05"}, {**row, "execution_id": "e3", "price": "x"}])
    assert [(e.execution_id, e.price, e.broker_order_id) for e in first] == [
        ("e1", Decimal("190.05"), "7"),
        ("e2", Decimal("190.06"), "7"),
    ]
    assert again == ()
    assert merge.unusable == 1
