"""Background work: results and failures come back on the UI thread, nothing is dropped."""

from __future__ import annotations

import asyncio
import threading

import pytest
from PySide6.QtCore import QObject, Signal

from app.error_reporting import ErrorReporter
from app.operations import Operations


def test_blocking_work_runs_off_the_ui_thread_and_calls_back_on_it(qloop, qtbot):
    ui_thread = threading.get_ident()
    reported: list[BaseException] = []
    operations = Operations(reported.append)
    seen = {}

    def work() -> int:
        seen["worker"] = threading.get_ident()
        return 42

    def done(value: int) -> None:
        seen["callback"] = threading.get_ident()
        seen["value"] = value

    qloop.call_soon(lambda: operations.run_blocking(work, done))
    qtbot.waitUntil(lambda: "value" in seen, timeout=3000)
    assert seen["value"] == 42
    assert seen["worker"] != ui_thread
    assert seen["callback"] == ui_thread
    assert reported == []


def test_failures_go_to_the_failure_callback_or_the_reporter(qloop, qtbot):
    reported: list[BaseException] = []
    failures: list[BaseException] = []
    operations = Operations(reported.append)

    def boom() -> None:
        raise ValueError("no route")

    qloop.call_soon(lambda: operations.run_blocking(boom, lambda _: None, failures.append))
    qloop.call_soon(lambda: operations.run_blocking(boom, lambda _: None))
    qloop.call_soon(lambda: operations.run_blocking(lambda: 1, lambda _: 1 / 0))
    qtbot.waitUntil(lambda: len(failures) == 1 and len(reported) == 2, timeout=3000)
    assert isinstance(failures[0], ValueError)
    assert {type(e) for e in reported} == {ValueError, ZeroDivisionError}


def test_shutdown_cancels_what_is_still_running(qloop, qtbot):
    operations = Operations(lambda e: None)
    finished = []

    async def forever() -> None:
        await asyncio.sleep(3600)

    qloop.call_soon(lambda: operations.run(forever(), finished.append))
    qtbot.waitUntil(lambda: operations.pending == 1, timeout=2000)
    shutdown = qloop.create_task(operations.shutdown())
    qtbot.waitUntil(shutdown.done, timeout=2000)
    assert operations.pending == 0
    assert finished == []


class _Emitter(QObject):
    fire = Signal()


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_slot_reaches_the_dialog_and_the_window_survives(qloop, qtbot, monkeypatch):
    import sys

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    reporter = ErrorReporter()
    reporter.install()
    emitter = _Emitter()

    def broken_slot() -> None:
        raise KeyError("refresh_token=tGzv3JOkF0XG5Qx2TlKWIA")

    emitter.fire.connect(broken_slot)
    with qtbot.waitSignal(reporter.errorRaised, timeout=2000) as raised:
        emitter.fire.emit()
    summary, details = raised.args
    assert summary.startswith("Unexpected KeyError in the user interface")
    assert "tGzv3JOkF0XG5Qx2TlKWIA" not in summary + details
    assert "broken_slot" in details


def test_a_failed_task_nobody_awaited_is_reported(qloop, qtbot):
    reporter = ErrorReporter()
    reporter.install(qloop)
    try:
        with qtbot.waitSignal(reporter.errorRaised, timeout=2000) as raised:
            qloop.call_exception_handler({"message": "Task exception was never retrieved", "exception": OSError(5)})
    finally:
        qloop.set_exception_handler(None)
    assert raised.args[0].startswith("Unexpected OSError in a background task")


def test_exceptions_in_threads_are_reported(qloop, qtbot, monkeypatch):
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    reporter = ErrorReporter()
    reporter.install()
    thread = threading.Thread(target=lambda: 1 / 0, name="feed")
    with qtbot.waitSignal(reporter.errorRaised, timeout=2000) as raised:
        thread.start()
        thread.join()
    assert "in thread feed" in raised.args[0]


def test_no_work_is_accepted_after_shutdown(qloop, qtbot):
    operations = Operations(lambda e: None)
    shutdown = qloop.create_task(operations.shutdown())
    qtbot.waitUntil(shutdown.done, timeout=2000)
    with pytest.raises(RuntimeError, match="after shutdown"):
        operations.run_blocking(lambda: 1, lambda _: None)
