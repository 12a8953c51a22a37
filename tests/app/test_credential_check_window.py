"""The credential check in the real window: "rotation due in N days" amber in the health indicator with the one
button that starts a rotation, a red session kept red, the check on its schedule, and the rotation route (the
wizard when one is connected, the terminal command until then). The real vault, the real controller and, for
a connected profile, the real sandbox."""

from __future__ import annotations

import os
import time
from datetime import datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from app import status_controller
from app.context import AppContext
from app.operations import Operations
from app.status_controller import StatusController, status_view
from brokers.health.credential_check import check_credentials
from brokers.health.report import build_report, inspect_vault
from brokers.ibkr import vault_entries
from brokers.registry import REGISTRY
from brokers.vault import Vault
from tests.conftest import IBKR_PAPER_TOML, run_on_qt_loop
from widgets.main_window import MainWindow
from widgets.view_models import ProfileRow

pytestmark = pytest.mark.secretservice

DAY = 86400.0
SANDBOX_IBKR = "sandbox-ibkr"


def age(vault: Vault, profile: str, days: float) -> None:
    """Date the profile's IBKR entries `days` back, as if they had been written then."""
    moment = time.time() - days * DAY
    for kind in vault_entries.REQUIRED:
        os.utime(vault.directory / f"{profile}.{kind}.blob", (moment, moment))


def row(window: MainWindow, name: str) -> ProfileRow | None:
    model = window.connection_panel.model
    return next((model.row_object(r) for r in range(model.rowCount()) if model.row_object(r).name == name), None)


def credential(found: ProfileRow, name: str):
    return next(c for c in found.credentials if c.name == name)


@pytest.fixture
def desk(home, vault, qloop, qtbot):
    """The window and its controller (not started); stopped while the window still exists, as the app does."""
    window = MainWindow()
    errors: list[BaseException] = []
    controller = StatusController(AppContext(home), vault, window, Operations(errors.append))
    yield window, controller
    try:
        run_on_qt_loop(qloop, qtbot, controller.stop())
    finally:
        window.close()
        window.deleteLater()
    assert errors == []


def test_the_indicator_shows_rotation_due_in_n_days_and_the_button_that_starts_it(home, vault, qtbot):
    home.config_dir.mkdir(parents=True)
    home.profiles_file.write_text(IBKR_PAPER_TOML)
    for kind in vault_entries.REQUIRED:
        vault.put("ibkr-paper", kind, b"stored")
    age(vault, "ibkr-paper", 80)
    profiles = AppContext(home).profiles(None)
    findings = inspect_vault(profiles, vault, REGISTRY)
    check = check_credentials(profiles, findings.checks, frozenset(findings.stored), vault, REGISTRY)
    report = build_report(profiles, findings, {}, time.time(), registry=REGISTRY, check=check)
    window = MainWindow()
    qtbot.addWidget(window)
    window.show_status(status_view(report, None, datetime.now()))
    indicator = window.health_indicator
    indicator.select_profile("ibkr-paper")

    assert "Rotation due" in indicator.title.text()
    assert indicator.reason.text().startswith("Rotation due in 10 days: the signature key is 80 days old")
    assert indicator.action.text() == "Next: Press Rotate keys…, or run `brokerdeck keys rotate ibkr-paper start`."
    assert indicator.action_button.text() == "Rotate keys…"
    assert not indicator.action_button.isHidden()
    assert "`brokerdeck keys rotate ibkr-paper start`" in indicator.action_button.toolTip()
    table = indicator.credentials
    rows = {table.row_object(r).name: table.row_object(r) for r in range(table.rowCount())}
    assert (rows["signature key"].state, rows["signature key"].severity) == ("Rotation due", "warn")
    assert "rotation due in 10 days" in rows["signature key"].detail
    panel_row = window.connection_panel.model.row_object(0)
    assert (panel_row.state, panel_row.severity) == ("Rotation due", "warn")

    with qtbot.waitSignal(indicator.actionRequested) as pressed:
        qtbot.mouseClick(indicator.action_button, Qt.MouseButton.LeftButton)
    assert pressed.args == ["ibkr-paper", "rotate_keys"]


def test_a_red_session_stays_red_with_the_due_rotation_as_an_amber_row(desk, home, vault, qtbot):
    window, controller = desk
    home.config_dir.mkdir(parents=True)
    home.profiles_file.write_text(IBKR_PAPER_TOML)
    for kind in vault_entries.REQUIRED:
        vault.put("ibkr-paper", kind, b"not a key")  # the session cannot load them: red
    age(vault, "ibkr-paper", 100)
    controller.start()
    qtbot.waitUntil(
        lambda: (found := row(window, "ibkr-paper")) is not None and found.state == "Failed", timeout=15_000
    )
    qtbot.waitUntil(lambda: any(c.name == "signature key" for c in row(window, "ibkr-paper").credentials))
    failed = row(window, "ibkr-paper")
    assert failed.severity == "error"
    assert failed.reason.startswith("Could not load or set up the credentials")
    key = credential(failed, "signature key")
    assert (key.state, key.severity) == ("Rotation due", "warn")
    assert "rotation overdue by 10 days" in key.detail


def test_the_check_runs_at_start_and_again_on_its_schedule(desk, home, vault, qtbot, monkeypatch):
    monkeypatch.setattr(status_controller, "CREDENTIAL_CHECK_INTERVAL_MS", 300)
    window, controller = desk
    home.config_dir.mkdir(parents=True)
    home.profiles_file.write_text(IBKR_PAPER_TOML)
    with qtbot.waitSignal(controller.credentialsChecked, timeout=15_000):
        controller.start()  # nothing stored: the first check still runs
    with qtbot.waitSignal(controller.credentialsChecked, timeout=15_000):
        pass  # the vault did not change: only the schedule runs this one
    assert row(window, "ibkr-paper") is not None


def test_a_connected_profile_turns_amber_once_its_keys_age_and_the_button_routes_to_the_wizard(
    desk, home, vault, sandbox, qtbot
):
    window, controller = desk
    controller.start()
    qtbot.waitUntil(
        lambda: (found := row(window, SANDBOX_IBKR)) is not None and found.state == "Active", timeout=30_000
    )
    key = credential(row(window, SANDBOX_IBKR), "signature key")
    assert (key.state, key.severity) == ("Active", "ok")
    assert key.detail.startswith("age 0m")

    age(vault, SANDBOX_IBKR, 80)
    controller.check_now()  # the inspection finds the entries rewritten (older): the check runs again
    qtbot.waitUntil(lambda: row(window, SANDBOX_IBKR).state == "Rotation due", timeout=15_000)
    due = row(window, SANDBOX_IBKR)
    assert due.severity == "warn"
    assert due.reason.startswith("Rotation due in 10 days: the signature key is 80 days old")
    assert "Live session token valid" in due.reason  # what the session says is kept
    assert any(c.name == "live session token" and c.severity == "ok" for c in due.credentials)

    indicator = window.health_indicator
    indicator.select_profile(SANDBOX_IBKR)
    assert indicator.action_button.text() == "Rotate keys…"
    asked: list[str] = []
    controller.rotationRequested.connect(asked.append)  # the window opens the rotation wizard on it
    QGuiApplication.clipboard().clear()
    qtbot.mouseClick(indicator.action_button, Qt.MouseButton.LeftButton)
    assert asked == [SANDBOX_IBKR]
    assert QGuiApplication.clipboard().text() == ""
