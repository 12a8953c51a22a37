"""The window follows a real IBKR session: the sandbox profile is provisioned, connects, and degrades."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import fields

import pytest

from app.context import AppContext
from app.operations import Operations
from app.status_controller import StatusController
from brokers.core.published import publish
from brokers.core.published import published_file as state_file
from brokers.ibkr.session import SessionPhase, SessionSnapshot
from tests.conftest import IBKR_PAPER_TOML, run_cli, run_on_qt_loop
from widgets.main_window import MainWindow
from widgets.severity import SEVERITY_COLORS

pytestmark = pytest.mark.secretservice


def row_of(window: MainWindow, name: str):
    model = window.connection_panel.model
    rows = [model.row_object(r) for r in range(model.rowCount())]
    return next((r for r in rows if r.name == name), None)


def test_sandbox_profile_connects_by_itself_then_shows_the_fix_when_the_gateway_goes(
    home, vault, sandbox, qloop, qtbot
):
    window = MainWindow()
    qtbot.addWidget(window)
    errors: list[BaseException] = []
    operations = Operations(errors.append)
    controller = StatusController(AppContext(home), vault, window, operations)
    controller.start()
    try:
        qtbot.waitUntil(lambda: getattr(row_of(window, "sandbox-ibkr"), "state", "") == "Active", timeout=30_000)
        window.health_indicator.select_profile("sandbox-ibkr")
        indicator = window.health_indicator
        names = [indicator.credentials.row_object(r).name for r in range(indicator.credentials.rowCount())]
        assert names[:3] == ["live session token", "brokerage session", "keep-alive tickle"]
        lst = indicator.credentials.row_object(0)
        assert "(in 23h 5" in lst.expires or "(in 24h 00m)" in lst.expires
        assert window.status_strip.chips["sandbox-ibkr"].severity == "ok"
        assert not indicator.action_button.isVisible()
        published = json.loads(state_file(home.data_dir, "sandbox-ibkr").read_text())
        assert published["snapshot"]["phase"] == "ready"
        assert set(published["snapshot"]) == {f.name for f in fields(SessionSnapshot)}  # times and flags only

        report = json.loads(run_cli("status", "--json").stdout)
        (cli_view,) = [p for p in report["profiles"] if p["profile"] == "sandbox-ibkr"]
        assert cli_view["state"] == "ACTIVE"
        assert cli_view["expires_at"]

        minted = published["snapshot"]["lst_minted_at"]
        controller.sessions.act("sandbox-ibkr", "reconnect")
        qtbot.waitUntil(
            lambda: (
                json.loads(state_file(home.data_dir, "sandbox-ibkr").read_text())["snapshot"]["lst_minted_at"] != minted
            ),
            timeout=15_000,
        )
        qtbot.waitUntil(lambda: row_of(window, "sandbox-ibkr").state == "Active", timeout=15_000)
    finally:
        run_on_qt_loop(qloop, qtbot, controller.stop())
    assert errors == []


def test_a_gateway_that_goes_away_turns_amber_with_a_retry_button(home, vault, sandbox, qloop, qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    controller = StatusController(AppContext(home), vault, window, Operations(lambda e: None))
    controller.start()
    try:
        qtbot.waitUntil(lambda: getattr(row_of(window, "sandbox-ibkr"), "state", "") == "Active", timeout=30_000)
        sandbox.process.terminate()
        sandbox.process.wait(timeout=10)
        controller.sessions.act("sandbox-ibkr", "reconnect")
        qtbot.waitUntil(lambda: row_of(window, "sandbox-ibkr").state == "Retrying", timeout=15_000)
        window.health_indicator.select_profile("sandbox-ibkr")
        row = row_of(window, "sandbox-ibkr")
        assert "Cannot reach IBKR" in row.reason
        assert window.health_indicator.action_button.text() == "Retry now"
        assert window.status_strip.chips["sandbox-ibkr"].severity == "warn"
        assert SEVERITY_COLORS["warn"] != SEVERITY_COLORS["ok"]
    finally:
        run_on_qt_loop(qloop, qtbot, controller.stop())


def test_credentials_loaded_after_the_window_stopped_start_no_session(home, vault, sandbox, qloop, qtbot, monkeypatch):
    """A session started after shutdown would never be closed: its HTTP client and connections would leak."""
    from brokers.ibkr import credentials, oauth2_credentials, session

    entered, release = threading.Event(), threading.Event()
    finished: list[str] = []
    started: list[object] = []

    def slowed(load):
        def slow_load(*args, **kwargs):
            entered.set()
            release.wait(30)
            try:
                return load(*args, **kwargs)
            finally:
                finished.append(load.__name__)

        return slow_load

    class RecordedSession(session.IbkrSession):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            started.append(self)

    # both sandbox IBKR profiles (OAuth 1.0a and 2.0) load slowly, until after the window stopped
    monkeypatch.setattr(credentials, "load_credentials", slowed(credentials.load_credentials))
    monkeypatch.setattr(
        oauth2_credentials, "load_oauth2_credentials", slowed(oauth2_credentials.load_oauth2_credentials)
    )
    monkeypatch.setattr(session, "IbkrSession", RecordedSession)
    window = MainWindow()
    qtbot.addWidget(window)
    errors: list[BaseException] = []
    controller = StatusController(AppContext(home), vault, window, Operations(errors.append))
    controller.start()
    try:
        qtbot.waitUntil(entered.is_set, timeout=30_000)
    finally:
        run_on_qt_loop(qloop, qtbot, controller.stop())
        release.set()
    qtbot.waitUntil(lambda: len(finished) == 2, timeout=30_000)  # both loads ended after the stop
    assert started == []  # the stop ended the session's task: nothing is left to start one
    assert controller.sessions.market_sources() == []
    assert errors == []


def test_status_reports_the_session_a_running_window_publishes(home, vault):
    home.config_dir.mkdir(parents=True)
    home.profiles_file.write_text(IBKR_PAPER_TOML)
    now = time.time()
    publish(
        state_file(home.data_dir, "ibkr-paper"),
        SessionSnapshot(
            phase=SessionPhase.READY,
            lst_minted_at=now - 60,
            lst_expires_at=now + 3600,
            renew_at=now + 2800,
            authenticated=True,
            connected=True,
            last_tickle_at=now - 5,
            next_tickle_at=now + 55,
        ).to_json(),
    )
    report = json.loads(run_cli("status", "--json").stdout)
    (ibkr,) = report["profiles"]
    assert (ibkr["state"], ibkr["next_action"]) == ("ACTIVE", "none")
    assert ibkr["expires_at"].startswith(time.strftime("%Y-%m-%d", time.gmtime(now + 3600)))
    assert [i["name"] for i in ibkr["items"]] == ["live session token", "brokerage session", "keep-alive tickle"]


def test_keys_set_up_while_the_window_is_open_connect_at_the_next_check(home, vault, sandbox, qloop, qtbot):
    """A profile without keys waits; once `keys init` (here: its sandbox twin) stored them, a check connects it."""
    from brokers.ibkr.sandbox_setup import provision_sandbox_ibkr
    from brokers.registry import REGISTRY

    home.config_dir.mkdir(parents=True)
    home.profiles_file.write_text(
        f'[profiles.late]\nkind = "ibkr-oauth1a"\nbase_url = "{sandbox.services["ibkr"]}/v1/api"\n'
        'consumer_key = "BDLATEKEY"\n'
    )
    window = MainWindow()
    qtbot.addWidget(window)
    errors: list[BaseException] = []
    controller = StatusController(AppContext(home), vault, window, Operations(errors.append))
    controller.start()
    try:
        qtbot.waitUntil(lambda: getattr(row_of(window, "late"), "state", "") == "Not connected", timeout=30_000)
        assert row_of(window, "late").reason.startswith("keys not set up yet")
        profile = REGISTRY.schema.load(home.profiles_file).get("late")
        provision_sandbox_ibkr(vault, profile, sandbox.services["ibkr"])  # what `keys init` + the portal do
        with qtbot.waitSignal(controller.applied, timeout=10_000):
            window.health_indicator.refresh_button.click()  # Check now, as the 30 s timer would
        qtbot.waitUntil(lambda: row_of(window, "late").state == "Active", timeout=30_000)
    finally:
        run_on_qt_loop(qloop, qtbot, controller.stop())
    assert errors == []
