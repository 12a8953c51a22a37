"""A new broker is one registry entry: nothing else is edited, and every part of Brokerdeck offers it.

The desk connector (tests/registry/throwaway.py) is registered in the registry only. The status report
(`brokerdeck status --json`), `brokerdeck login` and the window's connection panel and health indicator
then show its profiles, its health and its action.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from PySide6.QtCore import Qt

from app.context import AppContext
from app.operations import Operations
from app.status_controller import StatusController
from brokers.registry import REGISTRY
from tests.conftest import REPO_ROOT, run_on_qt_loop
from tests.registry.throwaway import KIND, DeskConnector
from widgets.main_window import MainWindow

pytestmark = pytest.mark.secretservice

PROFILES = """\
[profiles.north]
kind = "throwaway"
label = "North desk"
desk = "north"
"""


def brokerdeck_with_desk(*args: str) -> subprocess.CompletedProcess[str]:
    """`brokerdeck ARGS` in a process that registers the desk connector first, and does nothing else."""
    code = (
        f"from tests.registry.throwaway import run_cli_with_desk; raise SystemExit(run_cli_with_desk({list(args)!r}))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        cwd=REPO_ROOT,
        timeout=60,
        check=False,
    )


@pytest.fixture
def desk_profiles(home):
    home.config_dir.mkdir(parents=True)
    home.profiles_file.write_text(PROFILES)


def test_without_its_registration_the_kind_is_unknown(desk_profiles, vault):
    report = json.loads(brokerdeck_with_desk("status", "--json").stdout)
    assert [p["profile"] for p in report["profiles"]] == ["north"]  # with the registration
    plain = subprocess.run(
        [sys.executable, "-m", "app", "status", "--json"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=dict(os.environ),
        timeout=60,
        check=False,
    )
    (error,) = json.loads(plain.stdout)["profile_errors"]
    assert (error["profile"], error["field"]) == ("north", "kind")
    assert "unknown kind 'throwaway'" in error["message"]


def test_status_json_reports_the_new_kind_with_its_health(desk_profiles, vault):
    result = brokerdeck_with_desk("status", "--json")
    assert result.returncode == 0, result.stderr
    (north,) = json.loads(result.stdout)["profiles"]
    assert {k: north[k] for k in ("profile", "label", "kind", "state", "next_action")} == {
        "profile": "north",
        "label": "North desk",
        "kind": KIND,
        "state": "NOT_CONNECTED",
        "next_action": "connect",
    }
    assert north["reason"] == "The north desk is reached only from the window."


def test_login_lists_the_new_kind_among_those_it_refuses(desk_profiles, vault):
    refused = brokerdeck_with_desk("login", "north")
    assert refused.returncode == 2
    assert "'north' is a throwaway profile" in refused.stderr
    assert "Ping the desk from the window." in refused.stderr
    assert "Refuses the kinds that connect another way: ibkr-oauth1a, ibkr-oauth2" in refused.stderr
    assert refused.stderr.rstrip().endswith(f", {KIND}.")
    help_text = " ".join(brokerdeck_with_desk("login", "--help").stdout.split())
    refuses = help_text.split("Refuses the kinds that connect another way: ")[1]
    assert refuses.startswith(f"ibkr-oauth1a, ibkr-oauth2, {KIND}.")


@pytest.fixture
def desk_connector():
    connector = DeskConnector()
    REGISTRY.register(connector)
    yield connector
    REGISTRY.unregister(KIND)


def test_the_window_shows_the_new_kind_and_carries_out_its_action(
    desk_profiles, desk_connector, home, vault, qloop, qtbot
):
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    errors: list[BaseException] = []
    controller = StatusController(AppContext(home), vault, window, Operations(errors.append))
    controller.start()
    panel, indicator = window.connection_panel, window.health_indicator
    try:
        qtbot.waitUntil(lambda: _row(window, "north") is not None and _row(window, "north").reason.endswith("yet."))
        row = _row(window, "north")
        assert (row.label, row.kind, row.state) == ("North desk", KIND, "Not connected")
        panel.select_profile("north")
        assert panel.connect_button.isEnabled()
        assert not panel.disconnect_button.isEnabled()
        indicator.select_profile("north")
        assert indicator.action_button.text() == "Ping the desk"

        qtbot.mouseClick(panel.connect_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: _row(window, "north").state == "Active")
        (session,) = desk_connector.sessions
        assert session.pings == ["connect"]
        assert window.status_label.text() == "Pinged the north desk"
        assert _row(window, "north").reason == "The north desk answered."
    finally:
        run_on_qt_loop(qloop, qtbot, controller.stop())
    assert errors == []


def _row(window: MainWindow, name: str):
    model = window.connection_panel.model
    rows = (model.row_object(r) for r in range(model.rowCount()))
    return next((r for r in rows if r.name == name), None)
