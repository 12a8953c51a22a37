"""Crash-safe file replacement: a reader sees the old content or the new, never a mix.

Write to a temp file in the same folder, fsync it, `os.replace` it over the target, fsync the folder.
Temp files left by a killed writer carry its pid and are swept once that process is gone.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from brokers.core.processes import process_alive

_TMP_MARK = ".tmp-"


def write_atomic(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Replace `path` with `data` atomically; the file gets `mode` from its first byte on."""
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = directory / f".{path.name}{_TMP_MARK}{os.getpid()}-{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), mode)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(directory)


def sweep_stale_temp_files(directory: Path) -> list[Path]:
    """Remove temp files whose writer process no longer exists; return what was removed."""
    removed: list[Path] = []
    if not directory.is_dir():
        return removed
    for candidate in directory.iterdir():
        name = candidate.name
        if not name.startswith(".") or _TMP_MARK not in name:
            continue
        pid_text = name.rsplit(_TMP_MARK, 1)[1].split("-", 1)[0]
        if pid_text.isdigit() and not process_alive(int(pid_text)):
            candidate.unlink(missing_ok=True)
            removed.append(candidate)
    return removed


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
