"""The tests' one polling helper: it hands back what it waited for and says what never happened."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from tests.conftest import run_async
from tests.waiting import NeverHappened, until, until_async


def test_until_returns_the_first_truthy_value():
    calls = itertools.count(1)
    assert until(lambda: next(calls) >= 3 and "ready", 10, interval=0) == "ready"
    assert next(calls) == 4  # asked three times, then no more


def test_until_asks_once_more_when_the_time_is_up():
    assert until(lambda: "at once", 0) == "at once"
    calls = itertools.count(1)
    with pytest.raises(NeverHappened):
        until(lambda: next(calls) > 5, 0)
    assert next(calls) == 2


def test_a_failure_names_what_was_awaited_and_the_last_value():
    flag = {"up": None}
    with pytest.raises(NeverHappened, match=r"waiting for lambda: flag\[\"up\"\] \(last seen: None\)"):
        until(lambda: flag["up"], 0)
    with pytest.raises(NeverHappened, match=r"gave up after 0 s waiting for the flag to go up \(last seen: None\)"):
        until(lambda: flag["up"], 0, message="the flag to go up")

    def sandbox_announced() -> bool:
        return False

    with pytest.raises(NeverHappened, match="sandbox_announced"):
        until(sandbox_announced, 0)
    assert issubclass(NeverHappened, AssertionError)  # pytest reports it as a failed check


def test_an_error_in_the_condition_ends_the_wait_at_once():
    def exited() -> bool:
        raise RuntimeError("the process exited")

    with pytest.raises(RuntimeError, match="exited"):
        until(exited, 10)


def test_until_async_lets_the_loop_run_and_awaits_coroutine_conditions():
    async def scenario() -> tuple[str, int]:
        seen: list[int] = []

        async def producer() -> None:
            for n in range(3):
                await asyncio.sleep(0)
                seen.append(n)

        task = asyncio.create_task(producer())
        done = await until_async(lambda: len(seen) == 3 and "done", 10, interval=0)

        async def probe() -> int:
            return len(seen)

        count = await until_async(probe, 10)
        await task
        return done, count

    assert run_async(scenario) == ("done", 3)


def test_until_async_fails_like_until():
    async def never() -> int:
        return 0

    with pytest.raises(NeverHappened, match=r"waiting for the stream to connect \(last seen: 0\)"):
        run_async(lambda: until_async(never, 0, message="the stream to connect"))
