"""Shared fixtures. Qt renders offscreen; every test gets its own BROKERDECK_HOME."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.sandbox_runner import REPO_ROOT

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


IBKR_PAPER_TOML = """\
[profiles.ibkr-paper]
kind = "ibkr-oauth1a"
base_url = "https://api.ibkr.com/v1/api"
consumer_key = "TESTCONS1"
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """An isolated installation: config, data and logs under a temp BROKERDECK_HOME."""
    from brokers.core.paths import Paths

    root = tmp_path / "home"
    monkeypatch.setenv("BROKERDECK_HOME", str(root))
    monkeypatch.delenv("BROKERDECK_VAULT", raising=False)
    monkeypatch.delenv("BROKERDECK_VAULT_PASSPHRASE", raising=False)
    return Paths.resolve()


@pytest.fixture
def secret_service() -> Iterator[None]:
    """The real Secret Service must be there: `make test` runs the suite inside one."""
    import keyring
    from keyring.backends import SecretService

    backend = keyring.get_keyring()
    if not isinstance(backend, SecretService.Keyring):
        pytest.fail(
            f"The keyring backend is {type(backend).__module__}, not the Secret Service. "
            "Run the suite with `make test` (it starts gnome-keyring on a private D-Bus)."
        )
    return


@pytest.fixture
def vault(home, secret_service):
    """A vault on the real OS keyring; its keyring entry is removed afterwards."""
    from brokers.vault import KeyringKeySource, Vault

    source = KeyringKeySource(Vault.install_id(home.vault_dir))
    yield Vault(home.vault_dir, source)
    source.delete_key()


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the real `brokerdeck` entry point in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=REPO_ROOT,
        timeout=timeout,
        check=False,
    )


def run_async[T](scenario: Callable[[], Coroutine[Any, Any, T]], timeout: float = 120) -> T:
    """Run `scenario()` on a fresh event loop in its own thread.

    The main thread's loop belongs to Qt (qasync) for the whole session, so a plain `asyncio.run`
    there would collide with it; a thread has its own running-loop slot.
    """
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(scenario())
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="test-asyncio")
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError(f"the async scenario did not finish within {timeout} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def run_on_qt_loop[T](
    qloop: asyncio.AbstractEventLoop, qtbot: Any, work: Coroutine[Any, Any, T], timeout: int = 10_000
) -> T:
    """Run `work` on the session's qasync loop while Qt keeps processing events; its result, or its error."""
    task = qloop.create_task(work)
    qtbot.waitUntil(task.done, timeout=timeout)
    return task.result()


@pytest.fixture
def sandbox(home):
    """A real sandbox process for this test's BROKERDECK_HOME."""
    from tests.sandbox_runner import SandboxRunner

    runner = SandboxRunner(home.sandbox_endpoints_file)
    yield runner
    runner.close()


# ---- qasync + pytest-qt: one loop for the whole session, never stopped between tests ----------


@pytest.fixture(scope="session")
def _session_qloop(qapp):
    import qasync

    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    yield loop
    loop.stop()
    asyncio.events._set_running_loop(None)
    loop.close()


@pytest.fixture
def qloop(_session_qloop, qtbot):
    """The running qasync loop; tasks a test leaves behind are cancelled afterwards."""
    yield _session_qloop
    pending = [t for t in asyncio.all_tasks(_session_qloop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        qtbot.waitUntil(lambda: all(t.done() for t in pending), timeout=2000)
