"""`brokerdeck login | logout` run as a trader runs them: real subprocesses, the sandbox, the real vault."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.brokers.oauth2.stand_in import approve, consent
from tests.conftest import REPO_ROOT, run_cli

pytestmark = pytest.mark.secretservice

PROFILE = "sandbox-oauth2"


def start_login(*flags: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "app", "login", PROFILE, *flags],
        stdin=subprocess.PIPE,
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
    assert profile_status()["state"] == "PENDING"
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
    assert profile_status()["state"] == "PENDING"


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
