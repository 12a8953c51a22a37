"""The SHADOW position book: built from simulated fills only, applied once, never mixed with a broker's."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from brokers.core.accounts import SHADOW_ACCOUNT
from brokers.core.orders import BrokerExecution, BrokerOrder, Fill, OrderStatus, OrderType, Side
from brokers.trading.exchange_clock import trading_day
from brokers.trading.shadow_positions import (
    SHADOW_POSITIONS_FILE,
    ShadowHolding,
    ShadowPositions,
    apply_fill,
    shadow_accounts,
)
from tests.brokers.trading.facts import NOW
from tests.brokers.trading.test_desk import Rig, order

FLAT = ShadowHolding("AAPL", "265598", Decimal(0), Decimal(0), trading_day(NOW), Decimal(0), 0.0)


def fills(holding: ShadowHolding, *moves: tuple[Side, str, str], at: float = NOW) -> ShadowHolding:
    for side, quantity, price in moves:
        holding = apply_fill(holding, side, Fill(Decimal(quantity), Decimal(price), at))
    return holding


def test_adding_averages_in_and_reducing_realizes_against_the_average():
    held = fills(FLAT, (Side.BUY, "10", "100"), (Side.BUY, "10", "110"))
    assert (held.quantity, held.average_price, held.realized_today) == (20, Decimal(105), 0)
    held = fills(held, (Side.SELL, "5", "120"))
    assert (held.quantity, held.average_price, held.realized_today) == (15, Decimal(105), Decimal(75))


def test_a_short_realizes_when_covered_and_crossing_zero_opens_the_rest_at_the_fill():
    short = fills(FLAT, (Side.SELL, "10", "50"))
    assert (short.quantity, short.average_price) == (-10, Decimal(50))
    flipped = fills(short, (Side.BUY, "15", "45"))
    assert (flipped.quantity, flipped.average_price, flipped.realized_today) == (5, Decimal(45), Decimal(50))
    flat = fills(flipped, (Side.SELL, "5", "44"))
    assert (flat.quantity, flat.average_price, flat.realized_today) == (0, 0, Decimal(45))


def test_realized_pnl_starts_again_on_a_new_trading_day():
    held = fills(FLAT, (Side.BUY, "10", "100"), (Side.SELL, "5", "101"))
    next_day = fills(held, (Side.SELL, "5", "102"), at=NOW + 86_400)
    assert next_day.realized_day == date(2025, 6, 16)
    assert next_day.realized_today == Decimal(10)  # only the second day's close


def test_shadow_fills_build_the_book_and_the_report_prices_it_at_the_mark(tmp_path):
    rig = Rig(tmp_path)
    rig.place(order(order_type=OrderType.MARKET, limit_price=None, quantity=Decimal(10)))  # 10 @ 100
    rig.place(order(side=Side.SELL, limit_price=Decimal(104), quantity=Decimal(4), decision_id="exit"))
    rig.desk.on_market(265598, rig.quotes)  # the resting sell fills at its limit
    mark = {"265598": Decimal("103.5")}
    report = shadow_accounts(tmp_path, "paper", lambda p: mark.get(p.instrument_id), NOW)
    (account,) = report.accounts
    assert (account.account, account.simulated) == (SHADOW_ACCOUNT, True)
    (position,) = account.positions
    assert (position.symbol, position.quantity, position.average_price) == ("AAPL", 6, Decimal(100))
    assert (position.market_price, position.market_value, position.unrealized_pnl) == (
        Decimal("103.5"),
        Decimal("621.0"),
        Decimal("21.0"),
    )
    assert (account.realized_pnl, account.unrealized_pnl) == (Decimal(16), Decimal("21.0"))


def test_without_a_mark_a_position_shows_no_invented_price(tmp_path):
    rig = Rig(tmp_path)
    rig.place(order(order_type=OrderType.MARKET, limit_price=None))
    (account,) = shadow_accounts(tmp_path, "paper", lambda _p: None, NOW).accounts
    (position,) = account.positions
    assert (position.market_price, position.unrealized_pnl, account.unrealized_pnl) == (None, None, None)


def test_a_replayed_fill_is_applied_once(tmp_path):
    rig = Rig(tmp_path)
    record = rig.place(order(order_type=OrderType.MARKET, limit_price=None)).record
    for _ in range(3):
        ShadowPositions(tmp_path).apply(record)
    (holding,) = ShadowPositions(tmp_path).holdings("paper")
    assert holding.quantity == 10


def test_live_fills_never_enter_the_shadow_book(tmp_path):
    rig = Rig(tmp_path)
    rig.arm()
    key = rig.place(order()).record.key
    execution = BrokerExecution("E1", "B1", "", "AAPL", Side.BUY, Decimal(10), Decimal("184.9"), NOW)
    report = BrokerOrder("B1", key, "AAPL", Side.BUY, OrderStatus.FILLED, Decimal(10), Decimal(10), None)
    rig.desk.apply_broker_updates((report,), (execution,))
    assert rig.desk.records()[0].filled == 10
    assert ShadowPositions(tmp_path).holdings("paper") == ()
    (account,) = shadow_accounts(tmp_path, "paper", lambda _p: None, NOW).accounts
    assert account.positions == ()


def test_profiles_keep_separate_books(tmp_path):
    rig = Rig(tmp_path)
    rig.place(order(order_type=OrderType.MARKET, limit_price=None))
    assert shadow_accounts(tmp_path, "another", lambda _p: None, NOW).accounts[0].positions == ()


@pytest.mark.parametrize("damage", [b"{not json", b"[]", b'{"paper": {"holdings": {"x": {"symbol": 1}}}}'])
def test_a_damaged_book_says_so_and_shadow_orders_still_fill(tmp_path, damage):
    (tmp_path / SHADOW_POSITIONS_FILE).write_bytes(damage)
    report = shadow_accounts(tmp_path, "paper", lambda _p: None, NOW)
    assert report.accounts == ()
    assert "move it aside" in report.problem
    result = Rig(tmp_path).place(order(order_type=OrderType.MARKET, limit_price=None))
    assert result.ok
    assert result.record.status is OrderStatus.FILLED
    assert (tmp_path / SHADOW_POSITIONS_FILE).read_bytes() == damage  # nothing overwritten
