"""Logging to a rotating file in the data dir; every handler redacts credentials first."""

from __future__ import annotations

import io
import logging
import logging.handlers
import os
import sys
from pathlib import Path

from brokers.core.redaction import RedactingFilter

LOG_FILE_NAME = "brokerdeck.log"
_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_HANDLER_PREFIX = "brokerdeck-"  # names the handlers setup_logging installs, so a second call replaces them


def setup_logging(log_dir: Path, console_level: int = logging.WARNING) -> Path:
    """Send all records to `log_dir/brokerdeck.log` (owner-only) and warnings to stderr."""
    log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    log_file = log_dir / LOG_FILE_NAME

    redact = RedactingFilter()
    file_handler = _PrivateRotatingFileHandler(log_file, maxBytes=2_000_000, backupCount=5, encoding="utf-8")
    file_handler.setFormatter(logging.Formatter(_FORMAT))
    file_handler.addFilter(redact)
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(console_level)
    console.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    console.addFilter(redact)

    root = logging.getLogger()
    for handler in list(root.handlers):
        if (handler.get_name() or "").startswith(_HANDLER_PREFIX):
            root.removeHandler(handler)
            handler.close()
    for name, handler in (("file", file_handler), ("console", console)):
        handler.set_name(f"{_HANDLER_PREFIX}{name}")
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)
    return log_file


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Creates every log file, rotated ones included, readable by the owner only."""

    def _open(self) -> io.TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        # "a": a rotating handler always appends (it forces that mode when it rotates by size)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)
