"""`brokerdeck login | logout` run as a trader runs them: real subprocesses, the sandbox, the real vault.

Beside a running window (the real controller in this process, publishing its sessions), a login of a
profile the window has connected asks first on a terminal and refuses elsewhere unless --force.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from collections.abc import Iterator

import pytest

from app.context import AppContext
from app.operations import Operations
from app.status_controller import StatusController
from brokers.core.published import publish, published_file, read_published
from brokers.oauth2.session import SessionFacts
from tests.brokers.oauth2.stand_in import approve, consent
from tests.conftest import REPO_ROOT, run_cli, run_on_qt_loop
from widgets.main_window import MainWindow

pytestmark = pytest.mark.secretservice

PROFILE = "sandbox-oauth2"


def start_login(*flags: str, stdin: int = subprocess.PIPE) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "app", "login", PROFILE, *flags],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
        env=dict(os.environ),
    )


def authorization_url(process: subprocess.Popen[str]) -> str:
    """The first stdout line: the address, alone on its line."""
    assert process.stdout is not None
    line = process.stdout.readline().rstrip("\n")
    assert line.startswith("http://127.0.0.1:"), line
    assert " " not in line
    return line


def profile_status() -> dict:
    result = run_cli("status", "--json")
    return next(p for p in json.loads(result.stdout)["profiles"] if p["profile"] == PROFILE)


def test_login_without_a_browser_prints_the_address_and_waits_for_the_callback(sandbox, vault):
    assert profile_status()["state"] == "NOT_CONNECTED"
    process = start_login("--no-browser")
    url = authorization_url(process)
    assert approve(url).status_code == 200
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert f"Connected {PROFILE}: access token valid until" in out
    assert "Waiting for the browser to return to http://127.0.0.1:" in err

    status = profile_status()
    assert status["state"] == "ACTIVE"
    assert status["expires_at"] is not None
    assert [i["name"] for i in status["items"]][:2] == ["access token", "refresh token"]

    logout = run_cli("logout", PROFILE)
    assert logout.returncode == 0, logout.stderr
    assert "revoked" in logout.stdout
    assert profile_status()["state"] == "NOT_CONNECTED"


def test_manual_login_takes_the_pasted_address_and_explains_a_wrong_one(sandbox, vault):
    process = start_login("--manual", "--no-browser")
    location = consent(authorization_url(process))
    assert process.stdin is not None
    process.stdin.write("https://example.com/not-it?x=1\n")
    process.stdin.write(location + "\n")
    process.stdin.flush()
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "That address cannot be used" in err
    assert f"Connected {PROFILE}" in out
    assert profile_status()["state"] == "ACTIVE"


def test_a_denied_login_exits_1_with_what_to_do(sandbox, vault):
    process = start_login("--no-browser")
    approve(authorization_url(process), decision="deny")
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "brokerdeck login: access was denied on the broker's page; sign in again to connect" in err
    assert "Connect" not in err  # a terminal has no Connect button


def test_login_refuses_profiles_it_cannot_sign_in(sandbox, vault):
    wrong_kind = run_cli("login", "sandbox-ibkr")
    assert wrong_kind.returncode == 2
    assert "keys init" in wrong_kind.stderr
    unknown = run_cli("login", "nope")
    assert unknown.returncode == 2
    assert "sandbox-oauth2" in unknown.stderr


def test_a_sandbox_profile_without_a_running_sandbox_says_how_to_start_one(home):
    for command in (("login", PROFILE), ("logout", PROFILE), ("keys", "init", "sandbox-ibkr")):
        result = run_cli(*command)
        assert result.returncode == 2
        assert "sandbox profiles exist only while the sandbox runs" in result.stderr
        assert "`make run`" in result.stderr
        assert "`brokerdeck sandbox` in another terminal" in result.stderr
    unknown = run_cli("login", "sandbox-nothing")
    assert unknown.returncode == 2
    assert "no profile named 'sandbox-nothing'" in unknown.stderr
    assert "sandbox runs" not in unknown.stderr


def test_an_unreadable_profiles_toml_is_named_instead_of_no_such_profile(home):
    home.config_dir.mkdir(parents=True)
    home.profiles_file.write_text('[profiles.custom]\nkind = "oauth2"\nissuer = https://auth.example.com\n')
    for command in (("login", "custom"), ("keys", "init", "custom")):
        result = run_cli(*command)
        assert result.returncode == 2
        assert "cannot look up 'custom': profiles.toml is unreadable at line 3, column 10" in result.stderr
        assert "no profile named" not in result.stderr
        assert "not in profiles.toml" not in result.stderr


def signed_in_from_the_terminal() -> None:
    process = start_login("--no-browser")
    approve(authorization_url(process))
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err


@pytest.fixture
def window_connected(home, sandbox, vault, qloop, qtbot) -> Iterator[StatusController]:
    """The profile signed in, and a window running that has it connected and publishes that."""
    signed_in_from_the_terminal()
    window = MainWindow()
    errors: list[BaseException] = []
    controller = StatusController(AppContext(home), vault, window, Operations(errors.append))
    controller.start()
    published = published_file(home.data_dir, PROFILE)
    try:
        qtbot.waitUntil(lambda: (read_published(published) or {}).get("connected") is True, timeout=15000)
        yield controller
    finally:
        run_on_qt_loop(qloop, qtbot, controller.stop())
        window.close()
        window.deleteLater()
    assert errors == []


def on_a_terminal(*flags: str, answer: str) -> tuple[subprocess.Popen[str], str]:
    """`brokerdeck login` with a terminal for standard input, answering its question with `answer`."""
    controller, terminal = pty.openpty()
    try:
        process = start_login(*flags, stdin=terminal)
        os.write(controller, f"{answer}\n".encode())
        if answer == "y":
            url = authorization_url(process)
            approve(url)
        out, err = process.communicate(timeout=60)
    finally:
        os.close(terminal)
        os.close(controller)
    return process, err + out


def test_login_beside_a_window_that_has_the_profile_connected_is_refused_without_a_terminal(window_connected):
    process = start_login("--no-browser", stdin=subprocess.DEVNULL)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert out == ""  # no sign-in was started: no address printed
    assert f"The Brokerdeck window that is running has {PROFILE} connected (Access token valid" in err
    assert f"run `brokerdeck login {PROFILE} --force` to do it anyway" in err


def test_login_beside_the_window_asks_on_a_terminal_and_no_is_the_default(window_connected):
    process, said = on_a_terminal("--no-browser", answer="")
    assert process.returncode == 1
    assert "Sign in again anyway? [y/N]" in said
    assert f"{PROFILE} was not signed in again; the window keeps it connected." in said
    assert "http://127.0.0.1:" not in said

    process, said = on_a_terminal("--no-browser", answer="y")
    assert process.returncode == 0, said
    assert f"Connected {PROFILE}" in said


def test_force_signs_in_beside_the_window_without_asking(window_connected):
    process = start_login("--no-browser", "--force", stdin=subprocess.DEVNULL)
    approve(authorization_url(process))
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "window" not in err
    assert f"Connected {PROFILE}" in out


def test_a_published_sign_in_that_needs_renewing_does_not_hold_the_login_back(home, sandbox, vault):
    """The window publishes a revoked sign-in (not connected): the terminal signs in without asking."""
    revoked = SessionFacts(login_required="the broker revoked the grant", issuer="https://as.example")
    publish(published_file(home.data_dir, PROFILE), revoked.to_json())
    process = start_login("--no-browser", stdin=subprocess.DEVNULL)
    approve(authorization_url(process))
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "window" not in err
    assert f"Connected {PROFILE}" in out
