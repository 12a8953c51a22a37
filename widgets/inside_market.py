"""One inside market for the quote line and the ladder, though two streams feed them at their own rates.

The top-of-book quote (IBKR's `smd`) and the depth ladder (`sbd`) arrive separately, so in a moving
market one is always a little older than the other: a quote of 410.27 / 410.29 beside a ladder whose
best bid is 410.29 and best ask 410.30 reads as a crossed market. The trader gets one inside instead,
from the newer information, and the ladder is cut to agree with it:

- The quote sets each side of the inside: it is the top-of-book feed, and the faster one.
- A ladder that arrived after the quote replaces a side the quote has proven out of date: a better
  price than the quote's on that side, or a price at or through the quote's other side. A ladder
  that is merely worse than the quote does not: depth may leave out venues the quote includes.
- Ladder levels through the inside are dropped (the market has moved through them), and the inside
  rows carry the inside's price and size, so the quote line and the ladder's best rows always agree.

A flicker of markers on every ladder frame would tell the trader nothing, so nothing is marked; a
market that is still crossed afterwards is crossed in the newer data itself, and the viewer says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from widgets.market_view_models import LadderLevel


@dataclass(frozen=True, slots=True)
class InsideMarket:
    """The inside both the quote line and the ladder show, and the ladder cut to agree with it."""

    bid: float | None
    bid_size: int | None
    ask: float | None
    ask_size: int | None
    bids: tuple[LadderLevel, ...]  # best (highest) first
    asks: tuple[LadderLevel, ...]  # best (lowest) first


def reconcile_inside(
    bid: float | None,
    bid_size: int | None,
    ask: float | None,
    ask_size: int | None,
    bids: Sequence[LadderLevel],
    asks: Sequence[LadderLevel],
    *,
    ladder_is_newer: bool,
) -> InsideMarket:
    """The inside from the newer of the quote and the ladder, with the ladder brought in step (module doc).

    Without any depth there is nothing to bring in step: the ladder stays empty.
    """
    if not bids and not asks:
        return InsideMarket(bid, bid_size, ask, ask_size, (), ())
    best_bid = bids[0] if bids else None
    best_ask = asks[0] if asks else None
    bid_stale = ask_stale = False
    if ladder_is_newer:
        bid_stale = bid is not None and (
            (best_bid is not None and best_bid.price > bid) or (best_ask is not None and best_ask.price <= bid)
        )
        ask_stale = ask is not None and (
            (best_ask is not None and best_ask.price < ask) or (best_bid is not None and best_bid.price >= ask)
        )
    if bid is None or bid_stale:  # the ladder's side, as it is
        bid, bid_size = (best_bid.price, best_bid.size) if best_bid else (None, None)
    if ask is None or ask_stale:
        ask, ask_size = (best_ask.price, best_ask.size) if best_ask else (None, None)
    if bid_size is None:  # a size the quote has not sent is the ladder's, if it has one
        bid_size = _size_at(bids, bid)
    if ask_size is None:
        ask_size = _size_at(asks, ask)
    return InsideMarket(
        bid=bid,
        bid_size=bid_size,
        ask=ask,
        ask_size=ask_size,
        bids=_in_step(bids, bid, bid_size, better=1),
        asks=_in_step(asks, ask, ask_size, better=-1),
    )


def _size_at(levels: Sequence[LadderLevel], price: float | None) -> int | None:
    return next((level.size for level in levels if level.price == price), None)


def _in_step(
    levels: Sequence[LadderLevel], price: float | None, size: int | None, better: int
) -> tuple[LadderLevel, ...]:
    """`levels` without those through the inside `price`, led by the inside itself (its size wins).

    `better` is the sign of a better price on this side: +1 for bids (higher), -1 for asks (lower).
    """
    if price is None:
        return tuple(levels)
    start = 0
    while start < len(levels) and (levels[start].price - price) * better > 0:
        start += 1
    if start < len(levels) and levels[start].price == price:
        if size is None or levels[start].size == size:
            return tuple(levels[start:])
        start += 1
    return (LadderLevel(price, size or 0), *levels[start:])
