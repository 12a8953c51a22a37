"""Reading IBKR's order rows and writing its tickets: numbers as strings, status words, exact prices."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from brokers.core.orders import OrderStatus, OrderType, Side
from brokers.ibkr.order_tickets import (
    TicketUnsendable,
    decimal_or_none,
    json_number,
    order_from_row,
    status_of,
    ticket,
)
from tests.brokers.ibkr.order_peer import request


@pytest.mark.parametrize("value", ["", "None", "N/A", "n/a", None, "garbage", True])
def test_inapplicable_numbers_read_as_none(value: object) -> None:
    assert decimal_or_none(value) is None


@pytest.mark.parametrize(("value", "number"), [("189.07", "189.07"), ("1,234.5", "1234.5"), (100.0, "100.0"), (7, "7")])
def test_numbers_as_strings_read_exactly(value: object, number: str) -> None:
    assert decimal_or_none(value) == Decimal(number)


@pytest.mark.parametrize(
    ("word", "filled", "status"),
    [
        ("Presubmitted", 0, OrderStatus.WORKING),
        ("PreSubmitted", 0, OrderStatus.WORKING),
        ("submitted", 3, OrderStatus.PARTIALLY_FILLED),
        ("FILLED", 10, OrderStatus.FILLED),
        ("PendingCancel", 0, OrderStatus.PENDING_CANCEL),
        ("Cancelled", 0, OrderStatus.CANCELLED),
        ("Inactive", 0, OrderStatus.REJECTED),
        ("WarnState", 0, OrderStatus.UNKNOWN),
    ],
)
def test_status_words_are_read_case_insensitively(word: str, filled: int, status: OrderStatus) -> None:
    assert status_of(word, Decimal(filled)) is status


def test_a_live_order_row_becomes_a_broker_order() -> None:
    row = {"orderId": 1487000001, "order_ref": "k-1", "ticker": "AAPL", "side": "SELL", "status": "Submitted"}
    row |= {"totalSize": "10.0", "filledQuantity": "4.0", "avgPrice": "", "price": "N/A", "lastExecutionTime_r": 5000}
    order = order_from_row(row)
    assert order is not None
    assert (order.broker_order_id, order.key, order.side) == ("1487000001", "k-1", Side.SELL)
    assert (order.status, order.quantity, order.filled) == (OrderStatus.PARTIALLY_FILLED, Decimal(10), Decimal(4))
    assert (order.average_price, order.limit_price, order.updated_at) == (None, None, 5.0)


def test_prices_go_out_exactly_or_not_at_all() -> None:
    assert json_number(Decimal("189.07")) == 189.07
    assert json_number(Decimal("190")) == 190
    with pytest.raises(TicketUnsendable):
        json_number(Decimal("189.0700000000000000001"))
    with pytest.raises(TicketUnsendable):
        ticket(request(OrderType.LIMIT), "k", "DU1")  # no limit price
    with pytest.raises(TicketUnsendable, match="whole"):
        ticket(replace(request(OrderType.MARKET), quantity=Decimal("1.5")), "k", "DU1")
