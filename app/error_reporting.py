"""Route every unexpected exception (Qt slots, asyncio tasks, threads) to the log and a dialog.

Nothing here ends the process: the trader sees what went wrong and the window stays up.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from types import TracebackType
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from brokers.core.redaction import redact

if TYPE_CHECKING:
    import asyncio  # the window paints before asyncio loads (see app.gui)

log = logging.getLogger("brokerdeck.errors")


class ErrorReporter(QObject):
    """Emits `errorRaised(summary, details)` on the UI thread for any unhandled exception."""

    errorRaised = Signal(str, str)

    def install(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Catch the UI's and the threads' exceptions, and `loop`'s when given: the window installs it before
        its asyncio loop exists, and again with that loop once it does."""
        sys.excepthook = self._excepthook
        threading.excepthook = self._thread_excepthook
        if loop is not None:
            loop.set_exception_handler(self._loop_exception)

    def report_exception(self, error: BaseException) -> None:
        self._report(type(error), error, error.__traceback__, "in a background task")

    def _excepthook(self, kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        self._report(kind, value, tb, "in the user interface")

    def _thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit or args.exc_value is None:
            return
        where = f"in thread {args.thread.name}" if args.thread else "in a thread"
        self._report(args.exc_type, args.exc_value, args.exc_traceback, where)

    def _loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        import asyncio  # loaded already: only a running loop calls this

        error = context.get("exception")
        if isinstance(error, asyncio.CancelledError):
            return
        if error is None:
            log.error("asyncio: %s", context.get("message", "unknown error"))
            return
        self._report(type(error), error, error.__traceback__, "in a background task")

    def _report(self, kind: type[BaseException], value: BaseException, tb: TracebackType | None, where: str) -> None:
        log.error("Unhandled error %s", where, exc_info=(kind, value, tb))
        details = redact("".join(traceback.format_exception(kind, value, tb)))
        summary = redact(f"Unexpected {kind.__name__} {where}: {value}")
        self.errorRaised.emit(summary, details)
