"""The book model: merge semantics, the print rule, the history ring, the ladder and data age."""

from __future__ import annotations

import math

import numpy as np
import pytest

from brokers.ibkr.book import TRADES_CAPACITY, BookModel, InstrumentBook
from brokers.ibkr.frames import Depth, MarketData

AAPL = 265598
FULL = {
    "55": "AAPL",
    "6509": "RpB",
    "31": "C189.60",
    "84": "189.56",
    "86": "189.61",
    "88": "200",
    "85": "1,500",
    "7059": "100",
    "87": "1,234,500",
    "7295": "189.00",
    "70": "190.10",
    "71": "188.90",
    "7296": "189.60",
    "7635": "189.58",
}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def merge(model: BookModel, fields: dict[str, str], updated_ms: int | None = None, conid: int = AAPL) -> None:
    model.merge_market_data(MarketData(conid, dict(fields), updated_ms), 0)


@pytest.fixture
def model() -> BookModel:
    return BookModel(clock=Clock())


def test_first_full_then_deltas_keep_unsent_fields(model):
    merge(model, FULL, 1_712_596_911_593)
    book = model.book(AAPL)
    assert (book.symbol, book.availability) == ("AAPL", "live")
    assert (book.last, book.last_prefix, book.last_size) == (189.6, "C", 100)
    assert (book.bid, book.ask, book.bid_size, book.ask_size) == (189.56, 189.61, 200, 1500)
    assert (book.volume, book.open, book.high, book.low, book.close, book.mark) == (
        1_234_500,
        189.0,
        190.1,
        188.9,
        189.6,
        189.58,
    )
    merge(model, {"84": "189.57", "88": "1,300"})
    assert (book.bid, book.bid_size, book.ask, book.ask_size, book.symbol) == (189.57, 1300, 189.61, 1500, "AAPL")
    merge(model, {"84": "", "7635": "garbage"})  # present but unusable: unknown, not stale
    assert (book.bid, book.mark, book.ask) == (None, None, 189.61)
    merge(model, {"99999": "ignored", "31": "H189.70"})
    assert (book.last, book.last_prefix) == (189.7, "H")
    assert book.version == 4
    assert model.conids() == [AAPL]
    assert model.book(1) is None


def test_availability_letters(model):
    for code, expected in [("RpB", "live"), ("DpB", "delayed"), ("Z", "frozen"), ("Y", "frozen"), ("N", None)]:
        merge(model, {"6509": code})
        assert model.book(AAPL).availability == expected


def test_prints_follow_the_documented_rule(model):
    merge(model, FULL, 1_000_000)  # the snapshot's last trade predates us: no print
    book = model.book(AAPL)
    assert list(book.trades) == []
    merge(model, {"31": "189.70", "7059": "200", "87": "1,234,700"}, 2_000_000)  # first print of the day
    assert list(book.trades) == [(2000.0, 189.7, 200)]
    merge(model, {"87": "1,234,900"}, 3_000_000)  # same price and size again: only the volume moves
    merge(model, {"7059": "50"}, 4_000_000)  # a new size alone
    merge(model, {"31": "189.75"}, 5_000_000)  # a new price alone
    assert [t[1:] for t in book.trades] == [(189.7, 200), (189.7, 200), (189.7, 50), (189.75, 50)]
    merge(model, {"84": "189.50", "86": "189.80"})  # quotes are not prints
    merge(model, {"87": "1,000"})  # volume going down (a new session) is not a print
    merge(model, FULL | {"31": "189.75", "7059": "50", "87": "1,000"})  # a re-sent snapshot changes nothing
    assert len(book.trades) == 4
    merge(model, {"31": "H189.80", "87": "2,000"})  # halted: no print
    assert len(book.trades) == 4


def test_trades_ring_keeps_the_newest(model):
    merge(model, FULL)
    for i in range(TRADES_CAPACITY + 20):
        merge(model, {"31": f"{190 + i / 100:.2f}"}, i * 1000)
    trades = model.book(AAPL).trades
    assert len(trades) == TRADES_CAPACITY
    assert trades[0][0] == 20.0
    assert trades[-1][0] == TRADES_CAPACITY + 19


def test_history_records_changes_and_wraps_around():
    model = BookModel(clock=Clock(), history_capacity=8)
    merge(model, {"31": "100", "84": "99", "86": "101", "87": "10"}, 0)
    merge(model, {"88": "5"}, 500)  # no change to last/bid/ask/volume: no history row
    book = model.book(AAPL)
    assert book.history_len == 1
    for i in range(1, 12):
        merge(model, {"31": str(100 + i), "87": str(10 + i)}, i * 1000)
    assert book.history_len == 8
    t, last, bid, ask, volume = book.history_view(100)
    assert t.tolist() == [float(i) for i in range(4, 12)]
    assert last.tolist() == [100.0 + i for i in range(4, 12)]
    assert volume.tolist() == [10.0 + i for i in range(4, 12)]
    assert set(bid.tolist()) == {99.0}
    assert set(ask.tolist()) == {101.0}
    t3, last3, *_ = book.history_view(3)
    assert t3.tolist() == [9.0, 10.0, 11.0]
    assert last3.tolist() == [109.0, 110.0, 111.0]
    t3[0] = -1  # a copy: the ring is untouched
    assert book.history_view(3)[0][0] == 9.0
    assert all(len(a) == 0 for a in book.history_view(0))


def test_history_uses_nan_for_unknown_values(model):
    merge(model, {"84": "99"}, 1000)
    t, last, bid, ask, volume = model.book(AAPL).history_view(10)
    assert t.tolist() == [1.0]
    assert bid.tolist() == [99.0]
    assert math.isnan(last[0])
    assert math.isnan(ask[0])
    assert math.isnan(volume[0])
    assert last.dtype == np.float64


def test_history_without_server_time_uses_the_wall_clock(model):
    merge(model, {"84": "99"})
    assert model.book(AAPL).history_view(1)[0][0] > 1.7e9


def ladder(*rows: dict[str, object]) -> Depth:
    return Depth("DU1234567", AAPL, [{"row": i, "focus": 0, **row} for i, row in enumerate(rows)])


def test_ladder_is_replaced_and_ordered_best_first(model):
    model.merge_depth(
        ladder(
            {"price": "190.08", "ask": "300"},
            {"price": "190.07", "ask": "1,200"},
            {"price": "190.06", "focus": 1, "ask": "0"},
            {"price": "100 @ 190.05", "focus": 1, "bid": "500"},
            {"price": "190.04", "bid": "700"},
            {"price": "190.03"},
            {"price": "garbage", "bid": "1"},
            {"price": "190.02", "bid": "x"},
        ),
        42,
    )
    book = model.book(AAPL)
    assert book.asks == [(190.07, 1200), (190.08, 300)]
    assert book.bids == [(190.05, 500), (190.04, 700)]
    assert book.ladder_last == (190.05, 100)
    assert (book.version, book.last_arrival_ns, book.last_frame_monotonic) == (1, 42, 1000.0)
    model.merge_depth(ladder({"price": "191", "ask": "1"}, {"price": "189", "bid": "2"}), 43)
    assert (book.asks, book.bids, book.ladder_last) == ([(191.0, 1)], [(189.0, 2)], None)
    model.clear_depth(AAPL)
    assert (book.asks, book.bids) == ([], [])
    model.clear_depth(12345)  # no book: nothing to clear


def test_ladder_focus_without_size(model):
    model.merge_depth(ladder({"price": "190.05", "focus": 1, "bid": "5"}), 0)
    assert model.book(AAPL).ladder_last == (190.05, 0)


def test_data_age_states():
    clock = Clock()
    model = BookModel(clock=clock)
    assert model.data_age(AAPL, clock.now) == "none"
    merge(model, {"84": "1"})
    assert model.data_age(AAPL, clock.now) == "live"  # availability not sent: fresh data counts as live
    merge(model, {"6509": "RpB"})
    assert model.data_age(AAPL, clock.now + 5.0) == "live"
    assert model.data_age(AAPL, clock.now + 5.1) == "stale"
    assert model.data_age(AAPL, clock.now + 2, stale_after_s=1) == "stale"
    merge(model, {"6509": "DpB"})
    assert model.data_age(AAPL, clock.now) == "delayed"
    assert model.data_age(AAPL, clock.now + 60) == "stale"
    merge(model, {"6509": "Z"})
    assert model.data_age(AAPL, clock.now + 3600) == "frozen"  # frozen data does not tick


def test_merge_records_arrival_times(model):
    model.merge_market_data(MarketData(AAPL, {"84": "1"}, None), 123_456)
    book = model.book(AAPL)
    assert (book.last_arrival_ns, book.last_frame_monotonic) == (123_456, 1000.0)


def test_counters_are_plain_ints_and_books_iterate(model):
    assert (model.frames, model.malformed, model.unknown, model.dropped) == (0, 0, 0, 0)
    merge(model, {"84": "1"}, conid=1)
    merge(model, {"84": "2"}, conid=2)
    assert sorted(b.conid for b in model) == [1, 2]
    assert isinstance(model.book(1), InstrumentBook)


def test_the_book_says_whether_the_quote_or_the_ladder_is_newer(model):
    """The two streams tick at their own rates; the viewer reconciles them by which came last."""
    merge(model, {"84": "410.27", "86": "410.29"})
    book = model.book(AAPL)
    assert book.quote_version > book.ladder_version == 0
    model.merge_depth(ladder({"price": "410.30", "ask": "60"}, {"price": "410.29", "bid": "120"}), 1)
    assert book.ladder_version > book.quote_version
    merge(model, {"7059": "5"})  # any top-of-book frame: IBKR sends only what changed, the rest still holds
    assert book.quote_version > book.ladder_version
    model.clear_depth(AAPL)
    assert book.ladder_version == book.version > book.quote_version


def test_a_snapshot_stays_as_it_was_and_is_reused_until_the_book_changes():
    model = BookModel(clock=Clock(), history_capacity=8)
    assert model.snapshot(AAPL) is None
    merge(model, FULL, 1_000)
    model.merge_depth(ladder({"price": "190.07", "ask": "1,200"}, {"price": "190.05", "bid": "500"}), 7)
    for i in range(1, 10):  # wraps the history ring: the snapshot's history is still in time order
        merge(model, {"31": str(190 + i), "7059": "100"}, 1_000 + i * 1000)
    taken = model.snapshot(AAPL)
    assert model.snapshot(AAPL) is taken  # nothing changed: no copy
    assert (taken.symbol, taken.last, taken.bid, taken.ask, taken.bid_size) == ("AAPL", 199.0, 189.56, 189.61, 200)
    assert taken.bids == ((190.05, 500),)
    assert taken.asks == ((190.07, 1200),)
    assert taken.tick_size() == pytest.approx(0.02)
    assert taken.availability == "live"
    assert taken.last_arrival_ns == 0
    assert len(taken.trades) == 9
    t, last, *_ = taken.history_view(100)
    assert t.tolist() == [float(i) for i in range(3, 11)]
    assert last.tolist() == [190.0 + i for i in range(2, 10)]
    assert taken.history_view(2)[1].tolist() == [198.0, 199.0]

    merge(model, {"31": "200", "84": "199.5", "86": "200.5"}, 20_000)
    model.merge_depth(ladder({"price": "201", "ask": "1"}), 8)
    model.clear_depth(AAPL)
    later = model.snapshot(AAPL)
    assert later is not taken
    assert (later.last, later.bid, later.bids, later.asks) == (200.0, 199.5, (), ())
    # the first snapshot did not move with the book
    assert (taken.last, taken.bid, taken.ask, taken.bids) == (199.0, 189.56, 189.61, ((190.05, 500),))
    assert len(taken.trades) == 9
    assert taken.history_view(100)[1].tolist() == [190.0 + i for i in range(2, 10)]
    with pytest.raises(AttributeError):
        taken.bid = 1.0  # frozen: nobody can change what another reader sees
