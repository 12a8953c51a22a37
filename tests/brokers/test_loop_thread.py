"""The worker thread's loop: work runs there, results and errors come back, cancellation waits for cleanup."""

from __future__ import annotations

import asyncio
import threading

import pytest

from brokers.core.loop_thread import LoopThread, LoopThreadError
from tests.conftest import run_async

NAME = "test-loop-thread"


def _threads_named(name: str) -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == name]


def test_work_runs_on_the_thread_and_its_result_and_errors_come_back():
    async def on_worker() -> str:
        await asyncio.sleep(0)
        return threading.current_thread().name

    async def failing() -> None:
        raise ValueError("refused there")

    async def scenario() -> None:
        worker = LoopThread(NAME)
        worker.start()
        try:
            assert await worker.run(on_worker()) == NAME
            with pytest.raises(ValueError, match="refused there"):
                await worker.run(failing())
            assert worker.call(lambda: threading.current_thread().name) == NAME
            with pytest.raises(KeyError):
                worker.call({}.__getitem__, "missing")
        finally:
            await worker.stop()
        assert _threads_named(NAME) == []
        assert not worker.running
        assert worker.call(lambda: threading.current_thread().name) == threading.current_thread().name

    run_async(scenario)


def test_cancelling_the_caller_cancels_the_work_there_and_waits_for_its_cleanup():
    cleaned = threading.Event()
    started = threading.Event()

    async def streaming() -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        finally:
            await asyncio.sleep(0.05)  # cleanup that itself awaits, as closing a socket does
            cleaned.set()

    async def scenario() -> None:
        worker = LoopThread(NAME)
        worker.start()
        task = asyncio.create_task(worker.run(streaming()))
        await asyncio.get_running_loop().run_in_executor(None, started.wait, 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert cleaned.is_set()  # the caller's cancel returned only after the work had cleaned up
        await worker.stop()
        assert _threads_named(NAME) == []

    run_async(scenario)


def test_stopping_cancels_what_still_runs_there():
    cancelled = threading.Event()

    async def forgotten() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def scenario() -> None:
        worker = LoopThread(NAME)
        worker.start()
        worker.call(lambda: asyncio.get_running_loop().create_task(forgotten()))
        await worker.stop()
        assert cancelled.is_set()
        assert _threads_named(NAME) == []

    run_async(scenario)


def test_a_call_to_a_wedged_loop_fails_with_a_clear_error():
    release = threading.Event()

    async def scenario() -> None:
        worker = LoopThread(NAME, call_timeout_s=0.2)
        worker.start()
        worker.call(lambda: asyncio.get_running_loop().call_soon(release.wait, 10))  # blocks its loop
        with pytest.raises(LoopThreadError, match=f"{NAME} did not answer within 0.2 s"):
            worker.call(int, "1")
        release.set()
        assert worker.call(int, "2") == 2
        await worker.stop()

    run_async(scenario)


def test_it_starts_only_once():
    async def scenario() -> None:
        worker = LoopThread(NAME)
        worker.start()
        with pytest.raises(RuntimeError, match="already running"):
            worker.start()
        await worker.stop()
        await worker.stop()  # a second stop has nothing left to stop

    run_async(scenario)
