"""The log file the app writes: whole sentences, owner-only, and no credential in it."""

from __future__ import annotations

import logging
import stat

import pytest

from app.logging_setup import setup_logging

DENIED = "access was denied on the broker's page; sign in again to connect"


@pytest.fixture
def log_file(tmp_path):
    """The app's logging set up under tmp_path; the root logger is given back as it was."""
    root = logging.getLogger()
    level = root.level
    path = setup_logging(tmp_path / "logs")
    yield path
    for handler in list(root.handlers):
        if (handler.get_name() or "").startswith("brokerdeck-"):
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    logging.captureWarnings(False)


def test_a_sign_in_line_reaches_the_file_whole_with_only_its_secrets_masked(log_file):
    logging.getLogger("app.login_controller").info("OAuth sign-in for %s ended: %s", "sandbox-oauth2", DENIED)
    logging.getLogger("brokers.oauth2.tokens").info(
        "token response %s for code=%s", {"refresh_token": "tGzv3JOkF0XG5Qx2TlKWIA"}, "SplxlOBeZQQYbYS6WxSbIA"
    )
    lines = log_file.read_text("utf-8").splitlines()
    assert lines[0].endswith(f" INFO    app.login_controller: OAuth sign-in for sandbox-oauth2 ended: {DENIED}")
    assert lines[1].endswith(
        " INFO    brokers.oauth2.tokens: token response {'refresh_token': [REDACTED]} for code=[REDACTED]"
    )
    text = "\n".join(lines)
    assert "tGzv3JOkF0XG5Qx2TlKWIA" not in text
    assert "SplxlOBeZQQYbYS6WxSbIA" not in text
    assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
