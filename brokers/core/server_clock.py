"""A broker's clock read from its answers' `Date` header, for the readiness checklist's clock item."""

from __future__ import annotations


def least_offset(second: float, sent: float, received: float) -> float:
    """The clock offset closest to zero that fits an answer stamped in `second` (its `Date`, whole seconds) to
    a request we sent at `sent` and got back at `received` (our clock)."""
    lowest, highest = second - received, second + 1.0 - sent
    if lowest <= 0.0 <= highest:
        return 0.0
    return lowest if lowest > 0.0 else highest
