"""Map a feed's quotes onto the viewer's plain data. Pure; runs on every display refresh."""

from __future__ import annotations

import numpy as np

from brokers.core.market import QUOTE_HISTORY_POINTS, DataAge, InstrumentQuotes, StreamState
from widgets.inside_market import reconcile_inside
from widgets.market_view_models import LadderLevel, MarketView, Print

TAPE_PRINTS = 50
_AGE_DETAIL = {
    "live": "Real-time data, ticking.",
    "delayed": "The broker marks this data as delayed (no real-time subscription for it).",
    "frozen": "The broker marks this data as frozen: the market is closed.",
    "stale": "No update for over 5 seconds: the stream may be stalled; it reconnects by itself.",
    "none": "No data has arrived yet.",
}


def market_view(book: InstrumentQuotes, age: DataAge, version: int, stream: tuple[str, str]) -> MarketView:
    """The viewer's picture of `book`; `version` changes whenever anything shown changes.

    `stream` is the feed's status, short and in full (`stream_text`).
    """
    inside = reconcile_inside(
        book.bid,
        book.bid_size,
        book.ask,
        book.ask_size,
        tuple(LadderLevel(p, s) for p, s in book.bids),
        tuple(LadderLevel(p, s) for p, s in book.asks),
        ladder_is_newer=book.ladder_version > book.quote_version,
    )
    t, last, bid, ask, volume = book.history_view(QUOTE_HISTORY_POINTS)
    traded = np.diff(volume, prepend=volume[:1]) if len(volume) else volume  # day volume -> size per sample
    np.nan_to_num(traded, copy=False, nan=0.0)
    np.clip(traded, 0.0, None, out=traded)
    prints = tuple(Print(ts, price, size) for ts, price, size in list(book.trades)[-TAPE_PRINTS:][::-1])
    return MarketView(
        conid=book.conid,
        symbol=book.symbol or str(book.conid),
        version=version,
        last=book.last,
        last_size=book.last_size,
        last_prefix=book.last_prefix,
        bid=inside.bid,
        ask=inside.ask,
        bid_size=inside.bid_size,
        ask_size=inside.ask_size,
        volume=book.volume,
        high=book.high,
        low=book.low,
        bids=inside.bids,
        asks=inside.asks,
        ladder_last=book.ladder_last[0] if book.ladder_last else None,
        prints=prints,
        history_t=t,
        history_last=last,
        history_bid=bid,
        history_ask=ask,
        history_volume=traded,
        age=age,
        age_detail=_AGE_DETAIL[age],
        tick_size=book.tick_size(),
        stream_text=stream[0],
        stream_detail=stream[1],
    )


def stream_text(name: str, state: StreamState) -> tuple[str, str]:
    """The feed's status in a few words (it must stay readable in a narrow window) and in full."""
    if not state.connected:  # the reason is what the trader needs; it may be cut at the end, never the start
        text = f"{name}: reconnecting… {state.last_error}".strip()
        return text, text
    malformed = f", {state.malformed:,} malformed" if state.malformed else ""
    short = f"{name}: connected, {state.frames:,} frames{malformed}"
    lines = "line" if len(state.subscriptions) == 1 else "lines"
    detail = (
        f"{name}: connected; {len(state.subscriptions)} market data {lines}, {state.frames:,} frames received, "
        f"{state.malformed:,} malformed and dropped, {state.reconnects} reconnects"
    )
    if state.last_error:
        detail += f". Last problem: {state.last_error}"
    return short, detail
