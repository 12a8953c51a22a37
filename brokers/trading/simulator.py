"""SHADOW fills: what the order would have done against the book the market viewer shows.

The simulator is the honest stand-in for an exchange. A marketable order takes liquidity at the touch and
walks the ladder level by level for its size (so a large order pays the deeper prices, as it would live).
A resting limit fills when the market trades through its price, or when the book moves onto it. A stop
triggers on the last price (or a trade through the stop) and then behaves as a market order (STP) or as a
limit order (STOP_LIMIT). Nothing here is random and nothing is invented: without a book there is no fill.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from brokers.core.market import InstrumentQuotes
from brokers.core.orders import Fill, OrderRequest, Side


def _decimal(value: float) -> Decimal:
    """A float price from the feed as the Decimal it stands for ("100.25", not 100.2499999…)."""
    return Decimal(repr(value))


def _opposite_levels(side: Side, quotes: InstrumentQuotes) -> list[tuple[Decimal, Decimal]]:
    """The levels an order on `side` takes from, best first; the top of book when no ladder came."""
    levels: Sequence[tuple[float, int]] = quotes.asks if side is Side.BUY else quotes.bids
    if not levels:
        price, size = (quotes.ask, quotes.ask_size) if side is Side.BUY else (quotes.bid, quotes.bid_size)
        levels = [(price, size)] if price is not None and size else []
    return [(_decimal(price), Decimal(size)) for price, size in levels if size > 0]


def _within(side: Side, price: Decimal, limit: Decimal | None) -> bool:
    """Whether `price` is at or better than `limit` for an order on `side` (no limit: any price)."""
    if limit is None:
        return True
    return price <= limit if side is Side.BUY else price >= limit


def _walk(side: Side, quantity: Decimal, limit: Decimal | None, quotes: InstrumentQuotes, now: float) -> list[Fill]:
    fills: list[Fill] = []
    left = quantity
    for price, size in _opposite_levels(side, quotes):
        if left <= 0 or not _within(side, price, limit):
            break
        take = min(left, size)
        fills.append(Fill(quantity=take, price=price, at=now))
        left -= take
    return fills


def _stop_triggered(request: OrderRequest, quotes: InstrumentQuotes, since: float | None) -> bool:
    """A buy stop triggers at or above its price, a sell stop at or below: on the last price or a trade since."""
    stop = request.stop_price
    if stop is None:
        return False
    prices = [_decimal(price) for at, price, _size in quotes.trades if since is None or at > since]
    if quotes.last is not None:
        prices.append(_decimal(quotes.last))
    if request.side is Side.BUY:
        return any(price >= stop for price in prices)
    return any(price <= stop for price in prices)


def _limit_of(request: OrderRequest) -> Decimal | None:
    return request.limit_price if request.order_type.needs_limit else None


class ShadowSimulator:
    """Fills for SHADOW orders; stateless, so the blotter's records are the only state."""

    def fill_on_entry(self, request: OrderRequest, quotes: InstrumentQuotes | None, now: float) -> tuple[Fill, ...]:
        """The part of a new order the book fills at once; an empty tuple means it rests (or cannot fill)."""
        if quotes is None:
            return ()
        if request.order_type.needs_stop and not _stop_triggered(request, quotes, since=now):
            return ()
        return tuple(_walk(request.side, request.quantity, _limit_of(request), quotes, now))

    def fill_resting(
        self, request: OrderRequest, remaining: Decimal, quotes: InstrumentQuotes, since: float, now: float
    ) -> tuple[Fill, ...]:
        """Fills for a resting order from what the market did after `since` (the last time it was looked at)."""
        if remaining <= 0:
            return ()
        if request.order_type.needs_stop and not _stop_triggered(request, quotes, since):
            return ()
        limit = _limit_of(request)
        fills = _walk(request.side, remaining, limit, quotes, now)
        if fills or limit is None:
            return tuple(fills)
        return tuple(self._traded_through(request.side, remaining, limit, quotes, since))

    @staticmethod
    def _traded_through(
        side: Side, remaining: Decimal, limit: Decimal, quotes: InstrumentQuotes, since: float
    ) -> list[Fill]:
        """A resting limit fills at its price, for the size of each trade strictly through it."""
        fills: list[Fill] = []
        left = remaining
        for at, price, size in quotes.trades:
            if at <= since or left <= 0:
                continue
            traded = _decimal(price)
            through = traded < limit if side is Side.BUY else traded > limit
            if through and size > 0:
                take = min(left, Decimal(size))
                fills.append(Fill(quantity=take, price=limit, at=at))
                left -= take
        return fills
