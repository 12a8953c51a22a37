"""The one backoff of the keep-alive loops: it grows, caps, resets and spreads; a wake ends a wait at once."""

from __future__ import annotations

import asyncio
import random

import pytest

from brokers.core.retry import Backoff, Wakeable
from tests.conftest import run_async


def test_backoff_doubles_up_to_its_cap_and_starts_again_after_a_reset():
    backoff = Backoff(1.0, 8.0, jitter=0.0)
    assert [backoff.next() for _ in range(6)] == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    backoff.reset()
    assert backoff.next() == 1.0


def test_jitter_spreads_each_wait_below_its_base_but_never_below_the_first():
    backoff = Backoff(5.0, 300.0, jitter=0.2, rng=random.Random(7))
    waits = [backoff.next() for _ in range(8)]
    bases = [5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 300.0, 300.0]
    assert all(max(5.0, base * 0.8) <= wait <= base for wait, base in zip(waits, bases, strict=True))
    assert len(set(waits)) == len(waits)  # spread out, not all on the base


@pytest.mark.parametrize(("first", "cap", "jitter"), [(0, 1, 0.1), (2, 1, 0.1), (1, 2, 1.0), (1, 2, -0.1)])
def test_a_backoff_that_cannot_work_is_refused(first, cap, jitter):
    with pytest.raises(ValueError, match="backoff needs"):
        Backoff(first, cap, jitter=jitter)


def test_a_wake_ends_a_long_wait_and_a_wake_before_the_wait_is_kept():
    async def scenario() -> tuple[bool, bool, bool]:
        wakeable = Wakeable()
        waiting = asyncio.ensure_future(wakeable.sleep(3600))
        await asyncio.sleep(0)
        wakeable.wake()
        woken = await asyncio.wait_for(waiting, 5)
        wakeable.wake()  # nobody sleeps now: the next sleep returns at once
        kept = await asyncio.wait_for(wakeable.sleep(3600), 5)
        timed_out = not await wakeable.sleep(0)  # the wake was used up: this one times out
        return woken, kept, timed_out

    assert run_async(scenario) == (True, True, True)


def test_a_sleep_without_end_waits_for_a_wake_and_cancels_cleanly():
    async def scenario() -> bool:
        wakeable = Wakeable()
        forever = asyncio.ensure_future(wakeable.sleep(None))
        await asyncio.sleep(0)  # one loop turn: the sleep has started and waits for its wake
        forever.cancel()
        try:
            await forever
        except asyncio.CancelledError:
            return True
        return False

    assert run_async(scenario)
