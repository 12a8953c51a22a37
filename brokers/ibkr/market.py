"""IBKR market data for the viewer: the WebSocket worker as a feed, and contract search.

A connected IBKR session offers this as its `MarketSource`; the window never calls IBKR itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from brokers.core.market import Instrument
from brokers.core.profiles import ProfileOrigin
from brokers.ibkr.book import BookModel
from brokers.ibkr.profile import AnyIbkrProfile
from brokers.ibkr.session import IbkrSession
from brokers.ibkr.stream import MarketStream
from brokers.ibkr.stream_thread import ThreadedMarketStream

SANDBOX_FIRST_INSTRUMENT = 265598  # what a first run against the sandbox opens on: its AAPL


@dataclass(frozen=True)
class IbkrMarketSource:
    profile: AnyIbkrProfile
    session: IbkrSession

    @property
    def name(self) -> str:
        return "IBKR WebSocket"

    @property
    def label(self) -> str:
        return f"{self.name} via {self.profile.display_name}"

    @property
    def first_instrument(self) -> int | None:
        return SANDBOX_FIRST_INSTRUMENT if self.profile.origin == ProfileOrigin.SANDBOX else None

    def open_feed(self) -> ThreadedMarketStream:
        """The WebSocket worker on a thread of its own (see `stream_thread`)."""
        return ThreadedMarketStream(MarketStream(self.session, BookModel(), account=self.profile.account))

    async def search(self, text: str) -> tuple[Instrument, ...]:
        """Contracts whose symbol or name matches `text` (IBKR's secdef search); empty for blank text."""
        if not text.strip():
            return ()
        rows = await self.session.request(
            "GET", "/iserver/secdef/search", params={"symbol": text.strip()}, what="the contract search"
        )
        return contracts_from_search(rows)


def contracts_from_search(rows: Any) -> tuple[Instrument, ...]:
    """The usable rows of a secdef search answer; a row without a conid or symbol is skipped."""
    found = []
    for row in rows if isinstance(rows, list) else []:
        try:
            found.append(Instrument(int(row["conid"]), str(row["symbol"]), str(row.get("companyName", ""))))
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
    return tuple(found)
