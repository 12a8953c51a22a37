"""The `brokerdeck` command, run as a user runs it: a real subprocess."""

from __future__ import annotations

import json

import pytest

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
        "state": "PENDING",
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
    assert any(line.split()[:3] == ["ibkr-paper", "ibkr-oauth1a", "PENDING"] for line in lines)
    assert any(line.split()[:3] == ["custom", "oauth2", "PENDING"] for line in lines)
    assert "next: connect:" in result.stdout


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
