"""SHADOW fills follow the book: the touch first, then the ladder level by level; resting orders wait for the
market to trade through them; stops trigger on the last price."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brokers.core.market import InstrumentQuotes
from brokers.core.orders import Fill, OrderRequest, OrderType, Side
from brokers.trading.simulator import ShadowSimulator
from tests.brokers.trading.book_state import BookState

BOOK = BookState(
    bids=[(99.99, 100), (99.98, 300), (99.97, 500)],
    asks=[(100.01, 100), (100.02, 200), (100.05, 1000)],
    last=100.0,
)
NOW = 1_800_000_000.0


def order(side: Side, qty: str, kind: OrderType, limit: str | None = None, stop: str | None = None) -> OrderRequest:
    return OrderRequest(
        profile="p",
        symbol="AAPL",
        conid=265598,
        side=side,
        quantity=Decimal(qty),
        order_type=kind,
        limit_price=Decimal(limit) if limit else None,
        stop_price=Decimal(stop) if stop else None,
        decision_id="d",
    )


def fills_of(fills: tuple[Fill, ...]) -> list[tuple[Decimal, Decimal]]:
    return [(f.quantity, f.price) for f in fills]


def expect(*pairs: tuple[str, str]) -> list[tuple[Decimal, Decimal]]:
    return [(Decimal(quantity), Decimal(price)) for quantity, price in pairs]


def test_the_book_state_is_what_the_feed_hands_over() -> None:
    quotes: InstrumentQuotes = BOOK  # mypy checks the shape; this proves the test book is the real protocol's
    assert quotes.ask == 100.01


def test_a_market_buy_walks_the_asks_level_by_level() -> None:
    fills = ShadowSimulator().fill_on_entry(order(Side.BUY, "250", OrderType.MARKET), BOOK, NOW)
    assert fills_of(fills) == expect(("100", "100.01"), ("150", "100.02"))


def test_a_market_sell_walks_the_bids() -> None:
    fills = ShadowSimulator().fill_on_entry(order(Side.SELL, "450", OrderType.MARKET), BOOK, NOW)
    assert fills_of(fills) == expect(("100", "99.99"), ("300", "99.98"), ("50", "99.97"))


def test_a_marketable_limit_stops_at_its_price() -> None:
    fills = ShadowSimulator().fill_on_entry(order(Side.BUY, "1000", OrderType.LIMIT, limit="100.02"), BOOK, NOW)
    assert fills_of(fills) == expect(("100", "100.01"), ("200", "100.02"))


def test_a_limit_below_the_ask_rests() -> None:
    assert ShadowSimulator().fill_on_entry(order(Side.BUY, "10", OrderType.LIMIT, limit="100.00"), BOOK, NOW) == ()


def test_no_book_no_fill() -> None:
    assert ShadowSimulator().fill_on_entry(order(Side.BUY, "10", OrderType.MARKET), None, NOW) == ()
    assert ShadowSimulator().fill_on_entry(order(Side.BUY, "10", OrderType.MARKET), BookState(), NOW) == ()


def test_a_market_order_larger_than_the_book_fills_what_is_there() -> None:
    fills = ShadowSimulator().fill_on_entry(order(Side.BUY, "5000", OrderType.MARKET), BOOK, NOW)
    assert sum(f.quantity for f in fills) == Decimal(1300)


def test_a_resting_buy_fills_at_its_limit_when_the_market_trades_through() -> None:
    request = order(Side.BUY, "150", OrderType.LIMIT, limit="100.00")
    traded = BookState(
        bids=BOOK.bids, asks=BOOK.asks, last=99.95, trades=[(NOW + 1, 100.00, 500), (NOW + 2, 99.95, 100)]
    )
    fills = ShadowSimulator().fill_resting(request, Decimal(150), traded, since=NOW, now=NOW + 3)
    assert fills_of(fills) == expect(("100", "100.00"))  # a print AT the limit is not through it


def test_trades_before_the_last_look_do_not_fill_again() -> None:
    request = order(Side.SELL, "100", OrderType.LIMIT, limit="100.10")
    traded = BookState(bids=BOOK.bids, asks=BOOK.asks, trades=[(NOW - 5, 100.20, 500)])
    assert ShadowSimulator().fill_resting(request, Decimal(100), traded, since=NOW, now=NOW + 1) == ()


def test_a_resting_limit_fills_when_the_book_moves_onto_it() -> None:
    request = order(Side.BUY, "50", OrderType.LIMIT, limit="100.00")
    moved = BookState(bids=[(99.95, 10)], asks=[(99.99, 20), (100.00, 100)])
    fills = ShadowSimulator().fill_resting(request, Decimal(50), moved, since=NOW, now=NOW + 1)
    assert fills_of(fills) == expect(("20", "99.99"), ("30", "100.00"))


@pytest.mark.parametrize(
    ("side", "last", "triggered"),
    [(Side.BUY, 100.49, False), (Side.BUY, 100.50, True), (Side.SELL, 99.51, False), (Side.SELL, 99.50, True)],
)
def test_a_stop_triggers_on_the_last_price_then_takes_the_book(side: Side, last: float, triggered: bool) -> None:
    stop = "100.50" if side is Side.BUY else "99.50"
    book = BookState(bids=BOOK.bids, asks=BOOK.asks, last=last)
    fills = ShadowSimulator().fill_on_entry(order(side, "100", OrderType.STOP, stop=stop), book, NOW)
    touch = "100.01" if side is Side.BUY else "99.99"
    assert fills_of(fills) == (expect(("100", touch)) if triggered else [])


def test_a_triggered_stop_limit_is_a_limit() -> None:
    book = BookState(bids=BOOK.bids, asks=BOOK.asks, last=100.02)
    request = order(Side.BUY, "300", OrderType.STOP_LIMIT, limit="100.01", stop="100.00")
    fills = ShadowSimulator().fill_on_entry(request, book, NOW)
    assert fills_of(fills) == expect(("100", "100.01"))


def test_a_stop_triggers_on_a_trade_through_it_since_the_last_look() -> None:
    book = BookState(bids=BOOK.bids, asks=BOOK.asks, last=99.0, trades=[(NOW + 1, 98.9, 100)])
    request = order(Side.SELL, "100", OrderType.STOP, stop="99.00")
    fills = ShadowSimulator().fill_resting(request, Decimal(100), book, since=NOW, now=NOW + 2)
    assert fills_of(fills) == expect(("100", "99.99"))


@given(quantity=st.integers(min_value=1, max_value=3000))
def test_fills_never_exceed_the_order_or_the_book(quantity: int) -> None:
    fills = ShadowSimulator().fill_on_entry(order(Side.BUY, str(quantity), OrderType.MARKET), BOOK, NOW)
    filled = sum((f.quantity for f in fills), Decimal(0))
    assert filled == min(quantity, 1300)
    assert [f.price for f in fills] == sorted(f.price for f in fills)  # never a better price after a worse one
