"""One refresh at a time per profile across processes: an OS file lock next to the profile's secrets.

A broker whose refresh tokens are single-use (rotated on every refresh, the grant revoked when a
rotated-out one comes back) must never see two refreshes of the same chain: the window and a command
line started beside it would otherwise both send the stored token and the loser would end the grant.
The lock is advisory (brokers.core.filelock: `flock` on POSIX, `msvcrt.locking` on Windows) and the OS
drops it when its holder dies, so a crashed process never leaves it stuck. Taking it waits on a worker
thread, never on the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

from brokers.core.filelock import open_lock_file
from brokers.core.filelock import try_lock as _try_lock
from brokers.core.filelock import unlock as _unlock
from brokers.oauth2.errors import OAuthError

#: how long a refresh waits for another process's refresh of the same profile before it gives up
REFRESH_LOCK_TIMEOUT_S = 60.0
_POLL_S = 0.05


class RefreshBusy(OAuthError):
    """Another process has been renewing this profile's sign-in for longer than a refresh can take."""


def _acquire(path: Path, timeout_s: float, abandoned: threading.Event) -> int:
    """Block until the lock on `path` is held and return its descriptor; stop when `abandoned` is set."""
    fd = open_lock_file(path)
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
