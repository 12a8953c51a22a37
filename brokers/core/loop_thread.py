"""An asyncio event loop on its own thread, for work that must not share the window's loop.

The market-data worker parses and merges thousands of frames a second; on the window's loop every
one of them delays a repaint or a click. Here it runs on a loop of its own. The owner hands work over
with `run` (a coroutine, awaited from the owner's loop) and `call` (a plain function, for the few
calls that change the worker's state); everything else reads what the worker publishes.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Callable, Coroutine
from typing import Any

CALL_TIMEOUT_S = 5.0
"""How long `call` waits for the thread's loop; it answers within a receive slice unless it is wedged."""


class LoopThreadError(RuntimeError):
    """The thread's loop did not answer a call in time."""


class LoopThread:
    """One daemon thread running one asyncio loop, from `start` until `stop`."""

    def __init__(self, name: str, *, call_timeout_s: float = CALL_TIMEOUT_S) -> None:
        self._name = name
        self._call_timeout_s = call_timeout_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ended: concurrent.futures.Future[None] | None = None

    @property
    def running(self) -> bool:
        return self._loop is not None

    def start(self) -> None:
        """Start the thread and return once its loop runs."""
        if self._loop is not None:
            raise RuntimeError(f"{self._name} is already running")
        loop = asyncio.new_event_loop()
        ready, ended = threading.Event(), concurrent.futures.Future[None]()
        thread = threading.Thread(target=self._serve, args=(loop, ready, ended), name=self._name, daemon=True)
        thread.start()
        ready.wait()
        self._loop, self._thread, self._ended = loop, thread, ended

    async def stop(self) -> None:
        """Cancel what still runs there, close the loop and wait for the thread to end, without blocking
        the caller's loop."""
        loop, thread, ended = self._loop, self._thread, self._ended
        if loop is None or thread is None or ended is None:
            return
        self._loop = self._thread = self._ended = None
        loop.call_soon_threadsafe(loop.stop)
        await asyncio.wrap_future(ended)
        thread.join()

    async def run[T](self, work: Coroutine[Any, Any, T]) -> T:
        """Run `work` on this thread's loop and return its result here. Cancelling the caller cancels `work`
        there and returns only once it has finished cleaning up."""
        loop = self._loop
        if loop is None:
            work.close()
            raise RuntimeError(f"{self._name} is not running")
        owner = asyncio.get_running_loop()
        done: asyncio.Future[T] = owner.create_future()
        tasks: list[asyncio.Task[T]] = []

        def begin() -> None:
            task = loop.create_task(work)
            tasks.append(task)
            task.add_done_callback(lambda ended: owner.call_soon_threadsafe(_settle, done, ended))

        loop.call_soon_threadsafe(begin)
        try:
            return await asyncio.shield(done)
        except asyncio.CancelledError:
            loop.call_soon_threadsafe(lambda: tasks[0].cancel())  # `begin` ran first: callbacks run in order
            with contextlib.suppress(BaseException):
                await done
            raise

    def call[T](self, function: Callable[..., T], *args: Any) -> T:
        """`function(*args)` on this thread's loop, waited for; its exception is raised here. Called where no
        loop runs (before `start`, after `stop`) it simply runs here."""
        loop = self._loop
        if loop is None or threading.current_thread() is self._thread:
            return function(*args)
        answer = concurrent.futures.Future[T]()

        def invoke() -> None:
            try:
                answer.set_result(function(*args))
            except BaseException as error:  # handed to the caller, who raises it
                answer.set_exception(error)

        loop.call_soon_threadsafe(invoke)
        try:
            return answer.result(timeout=self._call_timeout_s)
        except concurrent.futures.TimeoutError:
            raise LoopThreadError(f"{self._name} did not answer within {self._call_timeout_s:g} s") from None

    @staticmethod
    def _serve(loop: asyncio.AbstractEventLoop, ready: threading.Event, ended: concurrent.futures.Future[None]) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.call_soon(ready.set)
            loop.run_forever()
            leftovers = asyncio.all_tasks(loop)
            for task in leftovers:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()
            ended.set_result(None)


def _settle[T](done: asyncio.Future[T], task: asyncio.Task[T]) -> None:
    """Hand a finished task's outcome to the owner's future (on the owner's loop)."""
    if done.done():
        return
    if task.cancelled():
        done.cancel()
    elif (error := task.exception()) is not None:
        done.set_exception(error)
    else:
        done.set_result(task.result())
