"""What SHADOW orders fill through: the simulator against the market viewer's latest book."""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from brokers.core.market import InstrumentQuotes
from brokers.core.orders import Fill, OrderRequest


class FillSimulator(Protocol):
    def fill_on_entry(self, request: OrderRequest, quotes: InstrumentQuotes | None, now: float) -> tuple[Fill, ...]:
        """The marketable part's fills at once, walking the ladder; () when the order rests."""
        ...

    def fill_resting(
        self, request: OrderRequest, remaining: Decimal, quotes: InstrumentQuotes, since: float, now: float
    ) -> tuple[Fill, ...]:
        """A resting limit or stop order's fills from the trades after `since`."""
        ...
