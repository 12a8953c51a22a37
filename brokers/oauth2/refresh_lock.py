"""One refresh at a time per profile across processes: an OS file lock next to the profile's secrets.

A broker whose refresh tokens are single-use (rotated on every refresh, the grant revoked when a
rotated-out one comes back) must never see two refreshes of the same chain: the window and a command
line started beside it would otherwise both send the stored token and the loser would end the grant.
The lock is advisory (`flock` on POSIX, `msvcrt.locking` on Windows) and the OS drops it when its holder
dies, so a crashed process never leaves it stuck. Taking it waits on a worker thread, never on the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

from brokers.oauth2.errors import OAuthError

#: how long a refresh waits for another process's refresh of the same profile before it gives up
REFRESH_LOCK_TIMEOUT_S = 60.0
_POLL_S = 0.05

if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class RefreshBusy(OAuthError):
    """Another process has been renewing this profile's sign-in for longer than a refresh can take."""


def _acquire(path: Path, timeout_s: float, abandoned: threading.Event) -> int:
    """Block until the lock on `path` is held and return its descriptor; stop when `abandoned` is set."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
    deadline = time.monotonic() + timeout_s
    try:
        while not _try_lock(fd):
            if abandoned.is_set():
                raise RefreshBusy("the wait for the refresh lock was given up")
            if time.monotonic() >= deadline:
                raise RefreshBusy(
                    f"another Brokerdeck process has been renewing this sign-in for over {timeout_s:.0f} s "
                    f"(lock {path.name}); try again, or close the other Brokerdeck window or command"
                )
            abandoned.wait(_POLL_S)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _release(fd: int) -> None:
    try:
        _unlock(fd)
    finally:
        os.close(fd)


@contextlib.asynccontextmanager
async def refresh_lock(path: Path, timeout_s: float = REFRESH_LOCK_TIMEOUT_S) -> AsyncIterator[None]:
    """Hold the cross-process lock at `path` for the block; RefreshBusy when it is not free in time.

    A caller cancelled while waiting stops the wait and never ends up holding the lock."""
    abandoned = threading.Event()
    waiting = asyncio.ensure_future(asyncio.to_thread(_acquire, path, timeout_s, abandoned))
    try:
        fd = await asyncio.shield(waiting)
    except asyncio.CancelledError:
        abandoned.set()
        taken = await asyncio.gather(waiting, return_exceptions=True)
        if isinstance(taken[0], int):
            _release(taken[0])
        raise
    try:
        yield
    finally:
        _release(fd)
