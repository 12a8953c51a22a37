"""Background work for the GUI: one small helper whose callbacks always run on the UI thread.

The qasync loop runs on the UI thread, so a task's continuation is already there; blocking calls
(keyring over D-Bus, disk) go to a worker thread and come back to the loop before any callback.
Every task is kept referenced until done, and every failure reaches the error reporter.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)

type Failure = Callable[[BaseException], None]


async def cancel_and_wait(task: asyncio.Task[None] | None) -> None:
    """Cancel `task` (a task of `Operations.run`) and wait until it has ended; nothing when None."""
    if task is not None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


class Operations:
    def __init__(self, on_unhandled: Failure) -> None:
        self._on_unhandled = on_unhandled
        self._tasks: set[asyncio.Task[None]] = set()
        self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="brokerdeck-io")
        self._closed = False

    def run[T](
        self, work: Awaitable[T], on_success: Callable[[T], None], on_failure: Failure | None = None
    ) -> asyncio.Task[None]:
        """Await `work` on the loop; then call `on_success(result)` or `on_failure(error)`."""
        if self._closed:
            raise RuntimeError("background work was requested after shutdown")
        task = asyncio.get_running_loop().create_task(self._complete(work, on_success, on_failure))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def run_blocking[T](
        self, work: Callable[[], T], on_success: Callable[[T], None], on_failure: Failure | None = None
    ) -> asyncio.Task[None]:
        """Run `work()` on a worker thread; the callbacks run on the UI thread."""
        if self._closed:
            raise RuntimeError("background work was requested after shutdown")
        future = asyncio.get_running_loop().run_in_executor(self._executor, work)
        return self.run(future, on_success, on_failure)

    def report(self, error: BaseException) -> None:
        """Hand an error a callback could not deal with to the error reporter."""
        self._on_unhandled(error)

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def shutdown(self) -> None:
        """Cancel what is still running and wait for it, so nothing outlives the window."""
        self._closed = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def _complete[T](
        self, work: Awaitable[T], on_success: Callable[[T], None], on_failure: Failure | None
    ) -> None:
        try:
            result = await work
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            (on_failure or self._on_unhandled)(exc)
            return
        try:
            on_success(result)
        except Exception as exc:
            self._on_unhandled(exc)
