"""The synthetic market: reproducible per seed, prices on the tick grid, books that make sense."""

from __future__ import annotations

import itertools
import random
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brokers.sandbox.market import (
    DEFAULT_INSTRUMENTS,
    MAX_BOOK_LEVELS,
    MAX_INSTRUMENTS,
    Instrument,
    Quote,
    SyntheticMarket,
    market_instruments,
)

TICKS = {i.conid: i.tick_size for i in DEFAULT_INSTRUMENTS}


def on_grid(price: float, tick: float) -> bool:
    return Decimal(repr(price)) % Decimal(repr(tick)) == 0


def run(seed: int, steps: int) -> list[list[Quote]]:
    market = SyntheticMarket(seed)
    return [market.step() for _ in range(steps)]


def test_same_seed_gives_the_same_500_steps() -> None:
    assert run(7, 500) == run(7, 500)


def test_different_seeds_give_different_markets() -> None:
    assert run(7, 500) != run(8, 500)


def test_market_leaves_the_global_random_generator_alone() -> None:
    state = random.getstate()
    market = SyntheticMarket(3)
    for _ in range(100):
        market.step()
        market.book(DEFAULT_INSTRUMENTS[0].conid)
    assert random.getstate() == state


def test_reading_the_book_does_not_disturb_the_tick_stream() -> None:
    reader, plain = SyntheticMarket(11), SyntheticMarket(11)
    for _ in range(200):
        for instrument in DEFAULT_INSTRUMENTS:
            reader.book(instrument.conid, levels=MAX_BOOK_LEVELS)
        assert reader.step() == plain.step()


def test_the_same_quote_always_shows_the_same_book() -> None:
    market = SyntheticMarket(4)
    market.step()
    conid = DEFAULT_INSTRUMENTS[1].conid
    assert market.book(conid, 20) == market.book(conid, 20)
    assert market.book(conid, 5) == tuple(side[:5] for side in market.book(conid, 20))


def test_a_larger_universe_keeps_the_defaults_and_adds_distinct_synthetic_stocks() -> None:
    universe = market_instruments(100)
    synthetic = universe[len(DEFAULT_INSTRUMENTS) :]
    assert universe[: len(DEFAULT_INSTRUMENTS)] == DEFAULT_INSTRUMENTS
    assert len({i.conid for i in universe}) == len({i.symbol for i in universe}) == 100
    assert [i.symbol for i in synthetic[:2]] == ["SYN0000", "SYN0001"]
    assert all(i.tick_size == 0.01 and i.start_price > 0 for i in synthetic)
    assert market_instruments(2) == DEFAULT_INSTRUMENTS[:2]
    market = SyntheticMarket(5, universe)
    for quotes in (market.step() for _ in range(50)):
        assert {q.conid for q in quotes} == {i.conid for i in universe}
        assert all(on_grid(q.bid, 0.01) and q.bid < q.ask for q in quotes if q.conid in {i.conid for i in synthetic})


@pytest.mark.parametrize("count", [0, -1, MAX_INSTRUMENTS + 1])
def test_a_universe_outside_its_bounds_is_refused(count: int) -> None:
    with pytest.raises(ValueError, match="instruments"):
        market_instruments(count)


def test_prices_walk_trades_print_and_bursts_happen() -> None:
    market = SyntheticMarket(2)
    conid = DEFAULT_INSTRUMENTS[0].conid
    first = market.quote(conid)
    steps = [market.step() for _ in range(500)]
    updates = [q for step in steps for q in step]
    assert {q.bid for q in updates if q.conid == conid} != {first.bid}
    trades = [q for q in updates if q.last is not None]
    assert 0 < len(trades) < len(updates)
    assert all(q.last_size is not None and q.last_size > 0 for q in trades)
    assert any(len(step) > len(DEFAULT_INSTRUMENTS) for step in steps), "no burst in 500 steps"
    for step in steps:
        assert {q.conid for q in step} == set(TICKS)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**64), steps=st.integers(min_value=0, max_value=60))
def test_quotes_sit_on_the_tick_grid_with_a_sane_spread(seed: int, steps: int) -> None:
    market = SyntheticMarket(seed)
    quotes = [market.quote(conid) for conid in TICKS]
    for _ in range(steps):
        quotes.extend(market.step())
    for quote in quotes:
        tick = TICKS[quote.conid]
        assert on_grid(quote.bid, tick)
        assert on_grid(quote.ask, tick)
        assert 0 < quote.bid < quote.ask
        assert 1 <= round((quote.ask - quote.bid) / tick) <= 3
        assert quote.bid_size > 0
        assert quote.ask_size > 0
        if quote.last is not None:
            assert quote.last in (quote.bid, quote.ask)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**64),
    steps=st.integers(min_value=0, max_value=40),
    levels=st.integers(min_value=1, max_value=MAX_BOOK_LEVELS),
)
def test_book_ladders_are_ordered_on_grid_and_match_the_top_of_book(seed: int, steps: int, levels: int) -> None:
    market = SyntheticMarket(seed)
    for _ in range(steps):
        market.step()
    for conid, tick in TICKS.items():
        quote = market.quote(conid)
        bids, asks = market.book(conid, levels)
        assert len(bids) == len(asks) == levels
        assert bids[0] == (quote.bid, quote.bid_size)
        assert asks[0] == (quote.ask, quote.ask_size)
        bid_prices, ask_prices = [p for p, _ in bids], [p for p, _ in asks]
        assert all(a > b for a, b in itertools.pairwise(bid_prices))
        assert all(a < b for a, b in itertools.pairwise(ask_prices))
        assert bid_prices[0] < ask_prices[0]
        assert bid_prices[-1] > 0
        assert all(on_grid(p, tick) for p in bid_prices + ask_prices)
        assert all(size > 0 for _, size in bids + asks)


def test_book_rejects_unknown_conids_and_bad_depths() -> None:
    market = SyntheticMarket(1)
    with pytest.raises(KeyError):
        market.book(1)
    for levels in (0, MAX_BOOK_LEVELS + 1):
        with pytest.raises(ValueError, match="levels"):
            market.book(DEFAULT_INSTRUMENTS[0].conid, levels)


def test_instruments_must_have_unique_conids_and_positive_prices() -> None:
    apple = DEFAULT_INSTRUMENTS[0]
    with pytest.raises(ValueError, match="unique"):
        SyntheticMarket(1, (apple, apple))
    with pytest.raises(ValueError, match="positive"):
        SyntheticMarket(1, (Instrument(conid=1, symbol="X", tick_size=0.0, start_price=1.0),))


def test_a_penny_stock_never_walks_below_zero() -> None:
    cheap = Instrument(conid=1, symbol="PENNY", tick_size=0.01, start_price=0.02)
    market = SyntheticMarket(9, (cheap,))
    for _ in range(300):
        market.step()
        bids, _ = market.book(1, MAX_BOOK_LEVELS)
        assert bids[-1][0] > 0
