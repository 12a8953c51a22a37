"""The `brokerdeck` command, run as a user runs it: a real subprocess."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime, timedelta

import pytest

from app.cli import build_parser, format_status, window_arguments
from app.context import AppContext
from brokers.core.actions import NextAction
from brokers.core.health import ConnectionState, CredentialHealth
from brokers.core.paths import Paths
from brokers.health.report import StatusReport, VaultStatus
from brokers.ibkr import vault_entries
from tests.conftest import run_cli

pytestmark = pytest.mark.secretservice

PROFILES = """\
[profiles.ibkr-paper]
kind = "ibkr-oauth1a"
label = "IBKR paper"
base_url = "https://api.ibkr.com/v1/api"
consumer_key = "TESTCONS1"

[profiles.custom]
kind = "oauth2"
issuer = "https://auth.example.com"
client_secret = "do-not-put-me-here"
"""


def test_help_documents_every_command():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("sandbox", "status", "--sandbox", "--screenshot", "--geometry", "BROKERDECK_HOME"):
        assert command in result.stdout
    assert "--json" in run_cli("status", "--help").stdout
    assert "--seed" in run_cli("sandbox", "--help").stdout


def test_unknown_command_is_refused_with_usage():
    result = run_cli("trade")
    assert result.returncode == 2
    assert "invalid choice: 'trade'" in result.stderr


def test_a_bad_window_size_is_refused_with_an_example():
    result = run_cli("--geometry", "big", "--screenshot", "x.png")
    assert result.returncode == 2
    assert "expected WIDTHxHEIGHT in pixels, e.g. 1280x720" in result.stderr


@pytest.mark.parametrize(
    "argv",
    [[], ["--sandbox"], ["--geometry", "1280x720", "--screenshot", "x.png"], ["--geometry=1600x1000", "--sandbox"]],
)
def test_the_window_command_line_reads_as_the_full_parser_reads_it(argv, tmp_path):
    """The window opens without the commands' modules; its arguments are the full parser's all the same."""
    context = AppContext(Paths.resolve({"BROKERDECK_HOME": str(tmp_path)}))
    assert window_arguments(argv) == build_parser(context).parse_args(argv)


@pytest.mark.parametrize(
    "argv", [["status"], ["--help"], ["--sand"], ["--geometry", "big"], ["--screenshot"], ["--sandbox", "login"]]
)
def test_commands_help_abbreviations_and_mistakes_go_to_the_full_parser(argv):
    assert window_arguments(argv) is None


def test_without_a_display_the_window_says_so_and_exits(home):
    result = run_cli(env={"QT_QPA_PLATFORM": "", "DISPLAY": "", "WAYLAND_DISPLAY": ""})
    assert result.returncode == 1
    assert "there is no display" in result.stderr
    assert "Traceback" not in result.stderr


def test_status_json_reports_the_model_and_profile_errors(home, vault):
    home.config_dir.mkdir(parents=True)
    home.profiles_file.write_text(PROFILES)
    vault.put("ibkr-paper", "token-set", b"secret-token-value")
    result = run_cli("status", "--json")
    assert result.returncode == 1  # profiles.toml has an error
    report = json.loads(result.stdout)
    (profile,) = report["profiles"]
    assert {k: profile[k] for k in ("profile", "kind", "state", "expires_at", "next_action")} == {
        "profile": "ibkr-paper",
        "kind": "ibkr-oauth1a",
        "state": "NOT_CONNECTED",
        "expires_at": None,
        "next_action": "setup_keys",
    }
    assert profile["reason"].startswith("keys not set up yet (missing: access-token, dh-params")
    assert [item["name"] for item in profile["items"]] == ["vault: token-set"]
    assert profile["label"] == "IBKR paper"
    (error,) = report["profile_errors"]
    assert (error["line"], error["profile"], error["field"]) == (10, "custom", "client_secret")
    assert report["vault"]["ok"] is True
    assert "do-not-put-me-here" not in result.stdout + result.stderr


def test_status_table_for_a_person(home, vault):
    home.config_dir.mkdir(parents=True)
    home.profiles_file.write_text(PROFILES.replace('client_secret = "do-not-put-me-here"\n', ""))
    result = run_cli("status")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"Profiles file: {home.profiles_file}"
    assert lines[3].split()[:5] == ["PROFILE", "KIND", "STATE", "EXPIRES", "REASON"]
    assert lines[4].split()[:5] == ["ibkr-paper", "ibkr-oauth1a", "Not", "connected", "-"]
    assert lines[5].strip() == (
        "→ Run `brokerdeck keys init ibkr-paper` and register what it prints in IBKR's self-service portal."
    )
    assert lines[6].split()[:5] == ["custom", "oauth2", "Not", "connected", "-"]
    assert lines[7].strip() == "→ Press Connect, or run `brokerdeck login custom`."
    assert lines[5].index("→") == lines[4].index("keys not set up")  # the next step sits under the reason
    for code in ("NOT_CONNECTED", "next:", "setup_keys", "connect:"):
        assert code not in result.stdout


def test_status_says_when_keys_are_due_for_rotation_and_how_to_start_it(home, vault):
    home.config_dir.mkdir(parents=True)
    home.profiles_file.write_text(PROFILES.replace('client_secret = "do-not-put-me-here"\n', ""))
    eighty_days_ago = time.time() - 80 * 86400
    for kind in vault_entries.REQUIRED:
        vault.put("ibkr-paper", kind, b"stored")
        os.utime(vault.directory / f"ibkr-paper.{kind}.blob", (eighty_days_ago, eighty_days_ago))

    result = run_cli("status")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    (paper,) = [i for i, line in enumerate(lines) if line.startswith("ibkr-paper")]
    assert lines[paper].split()[:4] == ["ibkr-paper", "ibkr-oauth1a", "Rotation", "due"]
    assert "Rotation due in 10 days: the signature key is 80 days old (policy: every 90 days)." in lines[paper]
    assert lines[paper + 1].strip() == "→ Press Rotate keys…, or run `brokerdeck keys rotate ibkr-paper start`."

    profile = next(p for p in json.loads(run_cli("status", "--json").stdout)["profiles"] if p["kind"] == "ibkr-oauth1a")
    assert (profile["state"], profile["next_action"]) == ("ROTATION_DUE", "rotate_keys")
    rows = {item["name"]: item for item in profile["items"]}
    assert rows["signature key"]["state"] == "ROTATION_DUE"
    assert rows["signature key"]["detail"].startswith("age 80 days; rotation due in 10 days (on ")
    assert rows["access token"]["state"] == "ROTATION_DUE"


def test_status_table_reads_expiry_as_the_window_does_and_shows_no_empty_next_step():
    now = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    expires = now + timedelta(days=7, seconds=-30)
    active = CredentialHealth(
        profile="broker",
        kind="oauth2",
        state=ConnectionState.ACTIVE,
        reason="signed in",
        next_action=NextAction.NONE,
        expires_at=expires,
    )
    needs = CredentialHealth(
        profile="other",
        kind="oauth2",
        state=ConnectionState.SIGN_IN_NEEDED,
        reason="the broker refused the refresh token",
        next_action=NextAction.RECONNECT,
        hint="Press Reconnect.",
    )
    report = StatusReport(health=(active, needs), profile_errors=(), vault=VaultStatus("keyring", ok=True))
    lines = format_status(report, now).splitlines()
    table = lines[lines.index("") + 1 :]
    expiry = f"{expires.astimezone():%a %H:%M:%S} (in 6d 23h)"
    assert table[1].split() == ["broker", "oauth2", "Active", *expiry.split(), "signed", "in"]
    assert f"  {expiry}  " in table[1]
    assert table[2].split()[:5] == ["other", "oauth2", "Sign-in", "needed", "-"]
    assert table[2].endswith("  the broker refused the refresh token")
    assert table[3].strip() == "→ Press Reconnect."
    assert len(table) == 4  # no line for the profile without a next step
    assert ".000" not in "\n".join(lines)
    assert "+00:00" not in "\n".join(lines)


def test_status_names_a_syntax_error_and_fails(home, vault):
    home.config_dir.mkdir(parents=True)
    broken = PROFILES.replace('client_secret = "do-not-put-me-here"\n', "").replace('kind = "oauth2"', "kind = oauth2")
    home.profiles_file.write_text(broken)
    result = run_cli("status")
    assert result.returncode == 1
    assert "No profiles yet" not in result.stdout
    assert (
        "profiles.toml is unreadable at line 8, column 8: Invalid value. Fix the file; nothing was loaded from it."
        in result.stdout.splitlines()
    )
    as_json = run_cli("status", "--json")
    assert as_json.returncode == 1
    (error,) = json.loads(as_json.stdout)["profile_errors"]
    assert (error["line"], error["profile"], error["field"]) == (8, None, None)
    assert error["message"].startswith("profiles.toml is unreadable at line 8, column 8")


def test_status_without_a_keyring_says_what_to_do(home):
    home.config_dir.mkdir(parents=True)
    home.profiles_file.write_text(PROFILES.replace('client_secret = "do-not-put-me-here"\n', ""))
    result = run_cli("status", "--json", env={"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent"})
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["vault"]["ok"] is False
    assert "BROKERDECK_VAULT=passphrase" in report["vault"]["problem"]
    assert {p["state"] for p in report["profiles"]} == {"FAILED"}
    assert {p["next_action"] for p in report["profiles"]} == {"unlock_keyring"}


def test_logs_are_private_and_free_of_secrets(home, vault):
    home.config_dir.mkdir(parents=True)
    home.profiles_file.write_text(PROFILES)
    run_cli("status")
    log_file = home.log_dir / "brokerdeck.log"
    assert log_file.exists()
    assert oct(log_file.stat().st_mode & 0o777) == "0o600"
    assert "do-not-put-me-here" not in log_file.read_text()
