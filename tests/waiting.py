"""Waiting for something to become true, the one way tests do it (Qt tests use `qtbot.waitUntil`).

`until` and `until_async` poll a condition until it returns something truthy and hand that value
back, so a wait can also fetch what it waited for. The timeout is only a bound on a wait that should
succeed: the condition is asked once more after it has run out, and a test never asserts on how long
the wait took. When the bound is reached they fail with `NeverHappened`, naming what was awaited and
the last value seen; an exception the condition raises (a process that died, say) ends the wait at once.
"""

from __future__ import annotations

import asyncio
import inspect
import linecache
import time
from collections.abc import Awaitable, Callable

INTERVAL_S = 0.05


class NeverHappened(AssertionError):
    """A condition a test waited for did not become true within the wait's bound."""


def until[T](
    condition: Callable[[], T], timeout: float, *, interval: float = INTERVAL_S, message: str | None = None
) -> T:
    """Poll `condition` every `interval` s until it returns a truthy value, and return that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        left = deadline - time.monotonic()
        if left <= 0:
            raise NeverHappened(_failure(condition, timeout, message, value))
        time.sleep(min(interval, left))


async def until_async[T](
    condition: Callable[[], T | Awaitable[T]],
    timeout: float,
    *,
    interval: float = INTERVAL_S,
    message: str | None = None,
) -> T:
    """Like `until`, without blocking the event loop; `condition` may be a coroutine function too."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value  # type: ignore[return-value]
        left = deadline - time.monotonic()
        if left <= 0:
            raise NeverHappened(_failure(condition, timeout, message, value))
        await asyncio.sleep(min(interval, left))


def _failure(condition: Callable[[], object], timeout: float, message: str | None, last: object) -> str:
    return f"gave up after {timeout:g} s waiting for {message or describe(condition)} (last seen: {last!r})"


def describe(condition: Callable[[], object]) -> str:
    """What a condition checks, for a failure message: its name, or a lambda's own source text."""
    name = getattr(condition, "__qualname__", None) or repr(condition)
    code = getattr(condition, "__code__", None)
    if code is None or code.co_name != "<lambda>":
        return name
    spans = [(p[0], p[2], p[1], p[3]) for p in code.co_positions() if None not in p and p[2:] != (0, 0)]
    if not spans:
        return name
    (first, column), (last, end) = min(s[:2] for s in spans), max(s[2:] for s in spans)
    lines = [linecache.getline(code.co_filename, n) for n in range(first, last + 1)]
    if not all(lines):
        return name
    lines[-1] = lines[-1][:end]
    lines[0] = lines[0][column:]
    return "lambda: " + " ".join(line.strip() for line in lines)
