"""Fixtures for the trading commands: one sandbox per module, a fresh installation per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from brokers.core.paths import Paths
from brokers.vault import Vault
from tests.app.desk_cli import Desk
from tests.sandbox_runner import SandboxRunner


@pytest.fixture(scope="module")
def module_sandbox() -> Iterator[SandboxRunner]:
    """A sandbox process for the whole module: the commands connect to it dozens of times."""
    runner = SandboxRunner()
    yield runner
    runner.close()


@pytest.fixture
def desk(home: Paths, vault: Vault, module_sandbox: SandboxRunner) -> Desk:
    """This test's BROKERDECK_HOME (its vault on the real keyring) pointed at the module's sandbox, whose order
    desk starts empty."""
    home.sandbox_endpoints_file.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(module_sandbox.endpoints_file, home.sandbox_endpoints_file)
    desk = Desk(home, module_sandbox.services["ibkr"])
    desk.control("reset")
    return desk
