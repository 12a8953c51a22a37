"""200 SIGKILLs in the middle of vault writes: every blob stays readable as the old or the new value."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from brokers.vault import KeyringKeySource, Vault
from tests.brokers.vault_writer import index_of, value_for
from tests.conftest import REPO_ROOT

pytestmark = [pytest.mark.secretservice, pytest.mark.slow]

KILLS = 200


def test_sigkill_during_writes_never_corrupts_a_blob(vault, home):
    vault.put("crash", "token-set", value_for(0))
    rng = random.Random(2026)
    interrupted_mid_write = 0
    last_index = 0
    for _ in range(KILLS):
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.brokers.vault_writer", str(home.vault_dir)],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0, 0.02))
        os.kill(child.pid, signal.SIGKILL)
        completed = [int(line) for line in child.stdout.read().split()]
        child.wait()
        child.stdout.close()
        assert child.returncode == -signal.SIGKILL

        last_completed = completed[-1] if completed else last_index
        reader = Vault(home.vault_dir, KeyringKeySource(Vault.install_id(home.vault_dir)))
        found = index_of(reader.get("crash", "token-set"))
        # Old value: the last write the child reported; new value: the one it finished but had no time to report.
        assert found in (last_completed, last_completed + 1)
        assert found >= last_index
        last_index = found
        interrupted_mid_write += reader.sweep()

    assert last_index > KILLS  # the children really were writing when they were killed
    assert interrupted_mid_write > 0  # and some kills landed inside a write, leaving a temp file behind
    assert not [p for p in home.vault_dir.iterdir() if ".tmp-" in p.name]
