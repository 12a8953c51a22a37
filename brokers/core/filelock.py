"""An advisory lock on a file, shared by every Brokerdeck process (the window, the CLI, scripts).

`flock` on POSIX, `msvcrt.locking` on Windows; the OS drops the lock when its holder dies, so a crashed
process never leaves it stuck. `held` blocks the calling thread for the short read-modify-write sections of
the data dir's small files; the OAuth refresh lock builds its non-blocking wait on the same primitives.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

#: how long a writer of a small data file waits for another process before it gives up
FILE_LOCK_TIMEOUT_S = 10.0
_POLL_S = 0.01

if sys.platform == "win32":
    import msvcrt

    def try_lock(fd: int) -> bool:
        """Take the lock on the open file `fd` if it is free; False when another holder has it."""
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def try_lock(fd: int) -> bool:
        """Take the lock on the open file `fd` if it is free; False when another holder has it."""
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class FileLockBusy(OSError):
    """Another process held a data file's lock for longer than any of its writes can take."""


def open_lock_file(path: Path) -> int:
    """The descriptor of the lock file at `path` (created owner-only beside what it guards)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    return os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)


@contextlib.contextmanager
def held(path: Path, timeout_s: float = FILE_LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold the lock at `path` for the block; FileLockBusy when it is not free within `timeout_s`."""
    fd = open_lock_file(path)
    try:
        deadline = time.monotonic() + timeout_s
        while not try_lock(fd):
            if time.monotonic() >= deadline:
                raise FileLockBusy(
                    f"another Brokerdeck process has held {path.name} for over {timeout_s:.0f} s; "
                    "try again, or close the other Brokerdeck window or command"
                )
            time.sleep(_POLL_S)
        try:
            yield
        finally:
            unlock(fd)
    finally:
        os.close(fd)
