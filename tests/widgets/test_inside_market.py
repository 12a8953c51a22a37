"""One inside market from a quote and a ladder that arrive at different rates (pure, no Qt)."""

from __future__ import annotations

import pytest

from widgets.inside_market import InsideMarket, reconcile_inside
from widgets.market_view_models import LadderLevel


def levels(*pairs: tuple[float, int]) -> tuple[LadderLevel, ...]:
    return tuple(LadderLevel(price, size) for price, size in pairs)


# The report's frame: the quote line said 410.27 / 410.29 while the ladder's best were 410.29 / 410.30.
QUOTE = {"bid": 410.27, "bid_size": 300, "ask": 410.29, "ask_size": 200}
LADDER_BIDS = levels((410.29, 120), (410.28, 80), (410.27, 45), (410.26, 500))
LADDER_ASKS = levels((410.30, 60), (410.31, 90), (410.32, 700))


def assert_agrees(inside: InsideMarket) -> None:
    """What the trader must never see: a quote line and ladder that disagree, or a crossed ladder."""
    assert (inside.bids[0].price, inside.bids[0].size) == (inside.bid, inside.bid_size)
    assert (inside.asks[0].price, inside.asks[0].size) == (inside.ask, inside.ask_size)
    assert inside.bids[0].price < inside.asks[0].price
    assert [b.price for b in inside.bids] == sorted((b.price for b in inside.bids), reverse=True)
    assert [a.price for a in inside.asks] == sorted(a.price for a in inside.asks)


def test_the_reported_frame_with_the_quote_newer_cuts_the_ladder_to_the_quote():
    inside = reconcile_inside(**QUOTE, bids=LADDER_BIDS, asks=LADDER_ASKS, ladder_is_newer=False)
    assert (inside.bid, inside.bid_size, inside.ask, inside.ask_size) == (410.27, 300, 410.29, 200)
    # 410.29 and 410.28 were bids the market has moved through; 410.27 keeps the quote's newer size
    assert inside.bids == levels((410.27, 300), (410.26, 500))
    # the quote's ask is better than the old ladder's best: it leads the asks
    assert inside.asks == levels((410.29, 200), (410.30, 60), (410.31, 90), (410.32, 700))
    assert_agrees(inside)


def test_the_reported_frame_with_the_ladder_newer_takes_the_inside_from_the_ladder():
    inside = reconcile_inside(**QUOTE, bids=LADDER_BIDS, asks=LADDER_ASKS, ladder_is_newer=True)
    # a newer bid at 410.29 proves both sides of the 410.27 / 410.29 quote out of date
    assert (inside.bid, inside.bid_size, inside.ask, inside.ask_size) == (410.29, 120, 410.30, 60)
    assert inside.bids == LADDER_BIDS
    assert inside.asks == LADDER_ASKS
    assert_agrees(inside)


def test_a_newer_ladder_that_is_only_worse_than_the_quote_does_not_replace_it():
    """Depth may leave out venues the top of book includes: a worse ladder proves nothing."""
    bids, asks = levels((99.98, 10), (99.97, 20)), levels((100.03, 30), (100.04, 40))
    inside = reconcile_inside(99.99, 5, 100.02, 6, bids, asks, ladder_is_newer=True)
    assert (inside.bid, inside.ask) == (99.99, 100.02)
    assert inside.bids == levels((99.99, 5), (99.98, 10), (99.97, 20))
    assert inside.asks == levels((100.02, 6), (100.03, 30), (100.04, 40))
    assert_agrees(inside)


def test_a_newer_ladder_proves_one_side_stale_and_the_other_stands():
    bids, asks = levels((100.00, 10), (99.99, 20)), levels((100.01, 30), (100.02, 40))
    inside = reconcile_inside(99.98, 5, 100.01, 6, bids, asks, ladder_is_newer=True)
    assert (inside.bid, inside.bid_size) == (100.00, 10)  # the newer ladder bids higher
    assert (inside.ask, inside.ask_size) == (100.01, 6)  # same price: the quote's size, the top-of-book one
    assert inside.asks == levels((100.01, 6), (100.02, 40))
    assert_agrees(inside)


def test_a_fall_through_the_old_ladder_drops_every_level_it_passed():
    bids = levels((50.10, 1), (50.09, 2), (50.08, 3), (50.07, 4))
    asks = levels((50.11, 5), (50.12, 6))
    inside = reconcile_inside(50.05, 9, 50.06, 8, bids, asks, ladder_is_newer=False)
    assert inside.bids == levels((50.05, 9))
    assert inside.asks == levels((50.06, 8), (50.11, 5), (50.12, 6))
    assert_agrees(inside)


@pytest.mark.parametrize("ladder_is_newer", [False, True])
def test_a_side_the_quote_has_not_sent_comes_from_the_ladder(ladder_is_newer):
    bids, asks = levels((10.00, 7), (9.99, 8)), levels((10.01, 9))
    inside = reconcile_inside(None, None, None, None, bids, asks, ladder_is_newer=ladder_is_newer)
    assert (inside.bid, inside.bid_size, inside.ask, inside.ask_size) == (10.00, 7, 10.01, 9)
    assert (inside.bids, inside.asks) == (bids, asks)


def test_without_depth_the_quote_stands_alone_and_the_ladder_stays_empty():
    inside = reconcile_inside(10.00, None, 10.01, 4, (), (), ladder_is_newer=False)
    assert inside == InsideMarket(10.00, None, 10.01, 4, (), ())


def test_a_size_the_quote_has_not_sent_is_the_ladders():
    bids, asks = (
        levels(
            (10.00, 7),
        ),
        levels((10.01, 9), (10.02, 3)),
    )
    inside = reconcile_inside(10.00, None, 10.01, None, bids, asks, ladder_is_newer=False)
    assert (inside.bid_size, inside.ask_size) == (7, 9)
    assert (inside.bids, inside.asks) == (bids, asks)
    assert_agrees(inside)


def test_a_one_sided_ladder_gets_the_quote_on_its_empty_side():
    inside = reconcile_inside(10.00, 3, 10.01, 4, levels((9.99, 5)), (), ladder_is_newer=False)
    assert inside.bids == levels((10.00, 3), (9.99, 5))
    assert inside.asks == levels((10.01, 4))


def test_no_quote_and_no_ladder_is_an_empty_market():
    inside = reconcile_inside(None, None, None, None, (), (), ladder_is_newer=False)
    assert inside == InsideMarket(None, None, None, None, (), ())
