"""`brokerdeck login sandbox-schwab` as a trader runs it: the certificate warning explained, the https return,
then `status` and `logout` (Schwab offers no revocation, so the tokens are deleted here only)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from app.sandbox import sandbox_profiles
from brokers.registry import REGISTRY
from tests.brokers.schwab.stand_in import approve
from tests.conftest import REPO_ROOT, run_cli

pytestmark = pytest.mark.secretservice

PROFILE = "sandbox-schwab"


def schwab_status() -> dict:
    result = run_cli("status", "--json")
    return next(p for p in json.loads(result.stdout)["profiles"] if p["profile"] == PROFILE)


def test_login_explains_the_certificate_then_connects_over_https(sandbox, vault):
    profile = next(p for p in sandbox_profiles(sandbox.endpoints, REGISTRY.schema).profiles if p.name == PROFILE)
    assert schwab_status()["state"] == "NOT_CONNECTED"
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "login", PROFILE, "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
        env=dict(os.environ),
    )
    assert process.stdout is not None
    url = process.stdout.readline().rstrip("\n")
    assert url.startswith(sandbox.services["schwab"] + "/v1/oauth/authorize?"), url

    assert approve(vault, profile, url).status_code == 200
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "not private" in err
    assert "Proceed to 127.0.0.1" in err
    assert f"Waiting for the browser to return to {profile.callback}" in err
    assert f"Connected {PROFILE}" in out

    status = schwab_status()
    assert status["state"] == "ACTIVE"
    assert [i["name"] for i in status["items"]][:2] == ["access token", "refresh token"]

    logout = run_cli("logout", PROFILE)
    assert logout.returncode == 0, logout.stderr
    assert "offers no token revocation" in logout.stdout
    assert schwab_status()["state"] == "NOT_CONNECTED"
