"""`brokerdeck mcp tools` and `brokerdeck mcp call` in a subprocess, on a sign-in stored in the real vault."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import pytest

from app.sandbox import sandbox_profiles
from brokers.registry import REGISTRY
from tests.brokers.robinhood.flows import sign_in
from tests.brokers.robinhood.peer import RobinhoodSandbox, approve
from tests.conftest import REPO_ROOT, run_async, run_cli

pytestmark = pytest.mark.secretservice

PROFILE = "sandbox-robinhood"


@pytest.fixture
def signed_in(sandbox, vault):
    profile = sandbox_profiles(sandbox.endpoints, REGISTRY.schema).get(PROFILE)
    run_async(lambda: sign_in(profile, vault))
    with httpx.Client(timeout=20, follow_redirects=False) as http:
        yield RobinhoodSandbox(http, sandbox.services["robinhood"])


def test_tools_lists_each_tool_as_read_only_or_write(signed_in):
    result = run_cli("mcp", "tools", PROFILE)
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split()[1] for line in result.stdout.splitlines()}
    assert rows == {
        "get_accounts": "read-only",
        "get_equity_positions": "read-only",
        "get_portfolio": "read-only",
        "get_equity_quotes": "read-only",
        "review_equity_order": "read-only",
        "get_equity_orders": "read-only",
        "review_advanced_order": "read-only",
        "get_advanced_orders": "read-only",
        "place_equity_order": "write",
        "cancel_equity_order": "write",
        "place_advanced_order": "write",
        "cancel_advanced_order": "write",
    }
    assert "Exactly one account is tradable" in result.stdout


def test_call_prints_a_read_tools_json(signed_in):
    result = run_cli("mcp", "call", PROFILE, "get_portfolio", '{"account_number": "5QR81234"}')
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["data"]["buying_power"]["buying_power"] == "287.50"
    assert body["guide"]
    assert signed_in.requests()[-1]["timezone"]  # x-timezone-id went along


def test_call_refuses_a_write_tool_and_says_where_orders_go(signed_in):
    before = len(signed_in.requests())
    args = '{"account_number": "5QR81234", "symbol": "AAPL", "side": "buy", "type": "market", "quantity": "1"}'
    result = run_cli("mcp", "call", PROFILE, "place_equity_order", args)
    assert result.returncode == 1
    assert "write tool" in result.stderr
    assert "trading mode" in result.stderr
    called = [r["rpc"] for r in signed_in.requests()[before:] if r["method"] == "POST"]
    assert called == ["initialize", "notifications/initialized", "tools/list"]  # the order never left


def test_call_says_what_a_tool_refused(signed_in):
    result = run_cli("mcp", "call", PROFILE, "get_portfolio", '{"account_number": "NOPE"}')
    assert result.returncode == 1
    assert "Account NOPE not found" in result.stderr


def test_bad_arguments_and_unknown_tools_are_explained(signed_in):
    not_json = run_cli("mcp", "call", PROFILE, "get_accounts", "{oops")
    assert not_json.returncode == 1
    assert "not JSON" in not_json.stderr
    unknown = run_cli("mcp", "call", PROFILE, "get_everything")
    assert unknown.returncode == 1
    assert f"brokerdeck mcp tools {PROFILE}" in unknown.stderr


def test_waitlisted_and_revoked_sign_ins_say_what_to_do(signed_in):
    signed_in.settings(waitlisted=True)
    waitlisted = run_cli("mcp", "tools", PROFILE)
    assert waitlisted.returncode == 1
    assert "waitlist" in waitlisted.stderr
    signed_in.settings(waitlisted=False)
    signed_in.revoke_all()
    revoked = run_cli("mcp", "tools", PROFILE)
    assert revoked.returncode == 1
    assert f"brokerdeck login {PROFILE}" in revoked.stderr


def test_not_signed_in_and_other_kinds_are_refused(sandbox, vault):
    missing = run_cli("mcp", "tools", PROFILE)
    assert missing.returncode == 1
    assert "not connected" in missing.stderr
    assert f"brokerdeck login {PROFILE}" in missing.stderr
    other = run_cli("mcp", "tools", "sandbox-oauth2")
    assert other.returncode == 2
    assert "has no MCP tools" in other.stderr


def test_login_status_mcp_and_logout_from_a_terminal(sandbox, vault):
    """The whole terminal path: `login --no-browser`, `status`, `mcp call`, `logout` (no revocation offered)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "login", PROFILE, "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
        env=dict(os.environ),
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    assert approve(url).status_code == 200
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert f"Connected {PROFILE}" in out
    status = next(p for p in json.loads(run_cli("status", "--json").stdout)["profiles"] if p["profile"] == PROFILE)
    assert status["kind"] == "robinhood-mcp"
    assert status["state"] == "ACTIVE"
    accounts = run_cli("mcp", "call", PROFILE, "get_accounts")
    assert accounts.returncode == 0, accounts.stderr
    assert [a["agentic_allowed"] for a in json.loads(accounts.stdout)["data"]["accounts"]].count(True) == 1
    logout = run_cli("logout", PROFILE)
    assert logout.returncode == 0, logout.stderr
    assert "offers no token revocation" in logout.stdout
    assert run_cli("mcp", "tools", PROFILE).returncode == 1
