"""The health indicator tells the truth: what the broker ended turns the window's state within one probe
interval, and at once on Check now. The real window controller, the real sandbox and the real vault."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading

import httpx
import pytest

from app import status_controller
from app.context import AppContext
from app.operations import Operations
from app.status_controller import StatusController
from brokers.core.published import published_file
from tests.brokers.oauth2.stand_in import approve
from tests.conftest import REPO_ROOT, run_on_qt_loop
from widgets.main_window import MainWindow

pytestmark = pytest.mark.secretservice

IBKR = "sandbox-ibkr"
OAUTH = "sandbox-oauth2"


def row(window: MainWindow, name: str):
    model = window.connection_panel.model
    return next((model.row_object(r) for r in range(model.rowCount()) if model.row_object(r).name == name), None)


def state_of(window: MainWindow, name: str) -> str:
    found = row(window, name)
    return found.state if found is not None else ""


def lst_minted_at(home, name: str = IBKR) -> float:
    return json.loads(published_file(home.data_dir, name).read_text())["snapshot"]["lst_minted_at"]


@pytest.fixture
def desk(home, vault, sandbox, qloop, qtbot):
    """The window and its controller, started; the controller is stopped (its sessions closed) while the
    window still exists, as the app does, so the fixture owns the window rather than qtbot."""
    window = MainWindow()
    errors: list[BaseException] = []
    controller = StatusController(AppContext(home), vault, window, Operations(errors.append))
    controller.start()
    yield window, controller
    try:
        run_on_qt_loop(qloop, qtbot, controller.stop())
    finally:
        window.close()
        window.deleteLater()
    assert errors == []


def expire_lsts(sandbox, home) -> None:
    profile = AppContext(home).profiles(AppContext(home).sandbox()).get(IBKR)
    answer = httpx.post(f"{sandbox.services['ibkr']}/sandbox/ibkr/expire", json={"consumer_key": profile.consumer_key})
    assert answer.status_code == 200, answer.text


def sign_in_from_the_cli() -> None:
    """`brokerdeck login` in a terminal beside the window, approved by a stand-in browser."""
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "login", OAUTH, "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    threading.Thread(target=approve, args=(url,), daemon=True).start()
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert f"Connected {OAUTH}" in out


def test_check_now_re_mints_an_lst_the_broker_expired(desk, home, sandbox, qtbot):
    window, controller = desk
    qtbot.waitUntil(lambda: state_of(window, IBKR) == "Active", timeout=30_000)
    minted = lst_minted_at(home)
    expire_lsts(sandbox, home)
    controller.check_now()
    qtbot.waitUntil(lambda: lst_minted_at(home) != minted, timeout=15_000)
    qtbot.waitUntil(lambda: state_of(window, IBKR) == "Active", timeout=15_000)
    lst = next(c for c in row(window, IBKR).credentials if c.name == "live session token")
    assert lst.detail.startswith("age 0m 0"), lst.detail  # the new token's age, not the old one's


def test_the_probe_schedule_heals_an_expired_lst_within_one_interval(desk, home, sandbox, qtbot, monkeypatch):
    monkeypatch.setattr(status_controller, "PROBE_INTERVAL_S", 2.0)
    window, _controller = desk
    qtbot.waitUntil(lambda: state_of(window, IBKR) == "Active", timeout=30_000)
    minted = lst_minted_at(home)
    expire_lsts(sandbox, home)
    qtbot.waitUntil(lambda: lst_minted_at(home) != minted, timeout=15_000)  # no tickle is due for a minute
    # The new token is stored before the session finishes renewing: Renewing, then Active.
    qtbot.waitUntil(lambda: state_of(window, IBKR) == "Active", timeout=15_000)


def test_a_cli_sign_in_is_picked_up_and_a_revoked_grant_turns_red_on_check_now(desk, sandbox, qtbot, caplog):
    caplog.set_level(logging.INFO, logger="brokers.oauth2.connector")
    window, controller = desk
    qtbot.waitUntil(lambda: state_of(window, OAUTH) == "Not connected", timeout=30_000)
    sign_in_from_the_cli()
    controller.check_now()  # the vault record changed under the running window: it reads it again
    qtbot.waitUntil(lambda: state_of(window, OAUTH) == "Active", timeout=15_000)
    qtbot.waitUntil(lambda: "accepted it" in row(window, OAUTH).reason, timeout=15_000)  # a probe proved it

    def reloads() -> int:
        return sum("holds a newer sign-in" in r.getMessage() for r in caplog.records)

    assert reloads() == 1
    controller.check_now()  # the window's own record: nothing to reload
    qtbot.waitUntil(controller.sessions.settled, timeout=15_000)
    qtbot.wait(300)
    assert reloads() == 1

    revoked = httpx.post(f"{sandbox.services['oauth2']}/sandbox/oauth2/revoke-all")
    assert revoked.json() == {"revoked_grants": 1}
    controller.check_now()
    qtbot.waitUntil(lambda: state_of(window, OAUTH) == "Sign-in needed", timeout=15_000)
    current = row(window, OAUTH)
    assert current.severity == "error"
    assert "Press Reconnect" in current.hint
    assert current.action == "reconnect"
    assert "reconnect" in current.connect_actions
    vault_rows = [c for c in current.credentials if c.name.startswith("vault:")]
    assert vault_rows
    assert all(c.severity == "error" and "no longer accepts" in c.detail for c in vault_rows)


def test_the_probe_schedule_finds_a_revoked_grant_within_one_interval(desk, sandbox, qtbot, monkeypatch):
    window, controller = desk
    qtbot.waitUntil(lambda: state_of(window, OAUTH) == "Not connected", timeout=30_000)
    sign_in_from_the_cli()
    controller.check_now()
    qtbot.waitUntil(lambda: state_of(window, OAUTH) == "Active", timeout=15_000)
    monkeypatch.setattr(status_controller, "PROBE_INTERVAL_S", 2.0)
    httpx.post(f"{sandbox.services['oauth2']}/sandbox/oauth2/revoke-all").raise_for_status()
    qtbot.waitUntil(lambda: state_of(window, OAUTH) == "Sign-in needed", timeout=15_000)
