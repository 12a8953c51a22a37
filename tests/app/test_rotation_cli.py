"""`brokerdeck keys rotate|archive|restore` as a trader runs them, in subprocesses, against a sandbox process."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from brokers.core.rotation import RotationStep
from brokers.ibkr import rotation
from brokers.ibkr.sandbox_setup import register_rotation
from tests.brokers.ibkr.rotation_peer import CONSUMER_KEY, PROFILE, active, control, set_up
from tests.conftest import REPO_ROOT, run_cli

pytestmark = pytest.mark.secretservice

FINGERPRINTED = re.compile(r"^Public signature key \(SHA-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}\):$", re.M)


@pytest.fixture
def profile(vault, home, sandbox):
    return set_up(vault, sandbox.endpoints)


def confirm(*answers: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", "keys", "rotate", PROFILE, "confirm"],
        input="".join(f"{a}\n" for a in answers),
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=os.environ.copy(),
        timeout=60,
        check=False,
    )


def test_start_register_confirm_then_archive_and_restore(vault, sandbox, profile):
    old = active(vault, profile)
    started = run_cli("keys", "rotate", PROFILE, "start")
    assert started.returncode == 0, started.stderr
    assert f"Profile {PROFILE}: rotation staged (started " in started.stdout
    assert FINGERPRINTED.search(started.stdout)
    assert "-----BEGIN PUBLIC KEY-----" in started.stdout
    assert "-----BEGIN DH PARAMETERS-----" in started.stdout
    assert "PRIVATE" not in started.stdout + started.stderr
    assert "Generating a new signature key" in started.stderr
    assert f"`brokerdeck keys rotate {PROFILE} confirm`" in started.stdout

    status = rotation.rotation_status(vault, profile)
    answers = register_rotation(sandbox.services["ibkr"], CONSUMER_KEY, status)  # the trader, in the portal
    done = confirm("", answers["access_token"], answers["access_token_secret"])

    assert done.returncode == 0, done.stderr
    assert "Consumer key [BDSANDBOX]:" in done.stdout
    assert "Last result: Rotated at " in done.stdout
    assert "Minting a live session token with the new set" in done.stderr
    assert answers["access_token_secret"] not in done.stdout + done.stderr
    assert active(vault, profile).access_token == answers["access_token"]

    listed = run_cli("keys", "archive", PROFILE)
    assert listed.returncode == 0, listed.stderr
    (archive_id,) = re.findall(r"^(archive-\S+)  archived ", listed.stdout, re.M)
    assert f"consumer key {CONSUMER_KEY}; signature key SHA-256 " in listed.stdout
    assert old.access_token not in listed.stdout

    restored = run_cli("keys", "restore", PROFILE, archive_id)
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.startswith(f"Restored {archive_id} at ")
    assert active(vault, profile).access_token == old.access_token


def test_a_refused_token_rolls_back_with_exit_1(vault, sandbox, profile):
    old = active(vault, profile)
    control(sandbox.endpoints, fail_next_token=True)
    assert run_cli("keys", "rotate", PROFILE, "start").returncode == 0
    answers = register_rotation(sandbox.services["ibkr"], CONSUMER_KEY, rotation.rotation_status(vault, profile))

    failed = confirm("", answers["access_token"], answers["access_token_secret"])

    assert failed.returncode == 1
    assert "error: The new credentials did not prove" in failed.stderr
    assert "the old set is active and still mints a live session token" in failed.stderr
    assert answers["access_token"] not in failed.stdout + failed.stderr
    assert active(vault, profile).access_token == old.access_token
    shown = run_cli("keys", "rotate", PROFILE, "status")
    assert "rotation idle" in shown.stdout
    assert "Last result: Rolled back at " in shown.stdout


def test_neither_set_working_has_its_own_headline_and_what_to_do(vault, sandbox, profile):
    old = active(vault, profile)
    assert run_cli("keys", "rotate", PROFILE, "start").returncode == 0
    control(sandbox.endpoints, fail_next_token=True)  # the token the portal issues next will not prove
    answers = register_rotation(sandbox.services["ibkr"], CONSUMER_KEY, rotation.rotation_status(vault, profile))
    control(sandbox.endpoints, end_grace=True)  # and IBKR ends the old token's grace period

    failed = confirm("", answers["access_token"], answers["access_token_secret"])

    assert failed.returncode == 1
    headline, why, todo = failed.stderr.splitlines()[-3:]
    assert headline == "Neither the new nor the old credentials work."  # not a terminal: no colour codes
    assert why.startswith("error: The new set did not prove: ")
    assert "The old set did not prove either" in why
    assert "still mints" not in failed.stderr
    assert todo.startswith("What to do: The new keys are kept")
    assert "generate a new access token for them" in todo
    assert answers["access_token"] not in failed.stdout + failed.stderr
    assert active(vault, profile).access_token == old.access_token


def test_abort_status_and_the_errors(vault, sandbox, profile):
    assert run_cli("keys", "rotate", PROFILE, "start").returncode == 0
    again = run_cli("keys", "rotate", PROFILE, "start")
    assert again.returncode == 1
    assert "already under way" in again.stderr
    init = run_cli("keys", "init", PROFILE)
    assert init.returncode == 1
    assert "A key rotation of profile 'sandbox-ibkr' is under way (staged)" in init.stderr
    cut_short = confirm("")  # standard input ends before the token
    assert cut_short.returncode == 1
    assert "standard input ended" in cut_short.stderr
    mismatch = confirm("OTHERKEY1", "x", "y")
    assert mismatch.returncode == 2
    assert "existing consumer" in mismatch.stderr

    aborted = run_cli("keys", "rotate", PROFILE, "abort")
    assert aborted.returncode == 0, aborted.stderr
    assert "Last result: Aborted at " in aborted.stdout
    assert rotation.rotation_status(vault, profile).step == RotationStep.IDLE
    nothing = confirm()
    assert nothing.returncode == 1
    assert "Nothing is staged" in nothing.stderr
    assert "No archived credential sets" in run_cli("keys", "archive", PROFILE).stdout
    unknown = run_cli("keys", "restore", PROFILE, "archive-19990101T000000Z")
    assert unknown.returncode == 1
    assert "no archived set" in unknown.stderr


def test_profiles_whose_keys_do_not_rotate_are_refused(home, sandbox):
    refused = run_cli("keys", "rotate", "sandbox-ibkr-oauth2", "status")
    assert refused.returncode == 2
    assert "is not a profile whose keys rotate (ibkr-oauth1a or robinhood-mcp or schwab or oauth2)" in refused.stderr
    missing = run_cli("keys", "archive", "nosuchprofile")
    assert missing.returncode == 2
    assert "is not in profiles.toml" in missing.stderr
