"""A SIGKILL after every write a rotation makes, in a real subprocess: afterwards there is exactly one complete
active set and it works, the status says where the rotation stopped, and resume (or abort) finishes it."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest

from brokers.core.rotation import RotationFailed, RotationStep
from brokers.ibkr import rotation
from brokers.ibkr.profile import IbkrProfile
from brokers.vault import Vault
from tests.brokers.ibkr.rotation_peer import PROFILE, active, control, sandbox_profile, set_up, works
from tests.conftest import REPO_ROOT, run_async, run_cli
from tests.sandbox_runner import SandboxRunner

pytestmark = [pytest.mark.secretservice, pytest.mark.slow]

ROTATION_WRITES = [
    "journal staged",
    "journal proving",
    "journal switching",
    "archive",
    "entry signature-key",
    "entry encryption-key",
    "entry dh-params",
    "entry access-token",
    "journal idle",
]
ROLLBACK_WRITES = ["journal staged", "journal proving", "journal rolling back", "journal idle"]
SWITCHED_FROM = ROTATION_WRITES.index("journal switching")  # a kill from here on is rolled forward


@pytest.fixture(scope="module")
def module_sandbox() -> Iterator[SandboxRunner]:
    runner = SandboxRunner()
    yield runner
    runner.close()


def run_driver(vault: Vault, sandbox: SandboxRunner, kill_at: int) -> tuple[int, list[str]]:
    child = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.brokers.ibkr.rotation_driver",
            str(vault.directory),
            sandbox.services["ibkr"],
            sandbox_profile(sandbox.endpoints).base_url,
            str(kill_at),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return child.returncode, child.stdout.splitlines()


def fresh(vault: Vault, sandbox: SandboxRunner, *, refused: bool) -> IbkrProfile:
    profile = set_up(vault, sandbox.endpoints)
    if refused:
        control(sandbox.endpoints, fail_next_token=True)
    return profile


@pytest.mark.parametrize(("refused", "writes"), [(False, ROTATION_WRITES), (True, ROLLBACK_WRITES)])
def test_a_sigkill_after_any_write_leaves_one_working_set(vault, home, module_sandbox, refused, writes):
    home.sandbox_endpoints_file.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(module_sandbox.endpoints_file, home.sandbox_endpoints_file)  # `keys rotate` sees the sandbox
    fresh(vault, module_sandbox, refused=refused)
    code, seen = run_driver(vault, module_sandbox, 0)
    assert code == 0
    assert seen == [*writes, *(["rotation failed"] if refused else []), "finished"]

    for kill_at in range(1, len(writes) + 1):
        profile = fresh(vault, module_sandbox, refused=refused)
        old = active(vault, profile)
        code, seen = run_driver(vault, module_sandbox, kill_at)
        assert code == -signal.SIGKILL
        assert seen == writes[:kill_at]
        where = writes[kill_at - 1]

        status = rotation.rotation_status(vault, profile)  # a switch cut off is finished here
        switched = not refused and kill_at > SWITCHED_FROM
        now_active = active(vault, profile)
        run_async(lambda now_active=now_active, profile=profile: works(profile, now_active))
        assert (now_active.access_token != old.access_token) == switched, where
        assert len(rotation.archived_sets(vault, profile)) == (1 if switched else 0), where

        if where == "journal staged":
            assert (status.step, status.interrupted) == (RotationStep.STAGED, False)
            assert rotation.abort(vault, profile).step == RotationStep.IDLE
        elif switched:
            assert (status.step, status.interrupted) == (RotationStep.IDLE, False), where
            assert status.last_result.startswith("Rotated at "), where
        elif where == "journal idle":
            assert status.last_result.startswith("Rolled back at ")
        else:  # proving or rolling back: the old set is active and the status offers resume or abort
            assert status.interrupted, where
            cut_at = RotationStep.ROLLING_BACK if where == "journal rolling back" else RotationStep.PROVING
            assert status.step == cut_at
            assert "confirm` to resume" in status.next_step
            assert "abort" in status.next_step
            if not refused:
                printed = run_cli("keys", "rotate", PROFILE, "status")
                assert printed.returncode == 0, printed.stderr
                assert "cut off" in printed.stdout
            try:
                resumed = run_async(lambda profile=profile: rotation.confirm(vault, profile, {}, lambda _: None))
            except RotationFailed:
                assert refused, where
                assert rotation.rotation_status(vault, profile).last_result.startswith("Rolled back at ")
            else:
                assert not refused, where
                assert resumed.last_result.startswith("Rotated at ")
                assert len(rotation.archived_sets(vault, profile)) == 1
            run_async(lambda profile=profile: works(profile, active(vault, profile)))
