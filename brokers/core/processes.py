"""Whether a process still exists: used to ignore files left behind by killed processes."""

from __future__ import annotations

import os


def process_alive(pid: int) -> bool:
    """True when `pid` exists (or cannot be checked). Windows has no signal-0 probe: os.kill would end it."""
    if pid <= 0:
        return False
    if pid == os.getpid() or os.name != "posix":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
