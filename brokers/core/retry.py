"""Backoff for the loops that keep a connection alive (the IBKR session, its market stream, OAuth renewal).

One small helper rather than a retry library: these loops are supervisors that run until cancelled,
publish their next attempt time for the health view, honour a server's Retry-After, reset only after a
healthy spell (not when a call returns), and let the trader cut a wait short with "Retry now". A
retry-one-call-until-it-succeeds library would need custom wait, sleep, stop and callback hooks in every
loop for that; `Backoff` and `Wakeable` are the two pieces all three share. Cancellation needs no care:
both only ever await `asyncio` primitives, so a cancelled loop stops at its current await.
"""

from __future__ import annotations

import asyncio
import contextlib
import random


class Backoff:
    """Exponential backoff with jitter: `next()` is the wait before the next attempt; `reset()` after success."""

    def __init__(self, first_s: float, max_s: float, *, jitter: float = 0.2, rng: random.Random | None = None) -> None:
        if not 0 < first_s <= max_s or not 0 <= jitter < 1:
            raise ValueError(f"backoff needs 0 < first ({first_s}) <= max ({max_s}) and 0 <= jitter ({jitter}) < 1")
        self.first_s = first_s
        self.max_s = max_s
        self._jitter = jitter
        self._rng = rng or random.Random()  # noqa: S311 - spreads retries out; not a secret
        self._base = first_s

    def next(self) -> float:
        """The next wait: the current base less up to `jitter` of it, never below `first_s`; the base doubles."""
        base, self._base = self._base, min(self._base * 2, self.max_s)
        return max(self.first_s, base * self._rng.uniform(1 - self._jitter, 1.0))

    def reset(self) -> None:
        self._base = self.first_s


class Wakeable:
    """A sleep that `wake()` ends early. A wake while nobody sleeps is kept for the next sleep."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def wake(self) -> None:
        self._event.set()

    def clear(self) -> None:
        """Forget a wake nobody slept through."""
        self._event.clear()

    async def sleep(self, seconds: float | None) -> bool:
        """Sleep `seconds` (forever when None); True when woken rather than timed out."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(None if seconds is None else max(0.0, seconds)):
                await self._event.wait()
        woken = self._event.is_set()
        self._event.clear()
        return woken
