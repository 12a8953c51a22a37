"""sandbox-schwab in the real window: listed ready to connect, Connect explains the certificate warning before
the browser opens, the https sign-in turns the row Active, and Check now finds a revoked grant."""

from __future__ import annotations

import threading

import httpx
import pytest
from PySide6.QtCore import Qt

from app.context import AppContext
from app.operations import Operations
from app.status_controller import StatusController
from tests.brokers.schwab.stand_in import approve
from tests.conftest import run_cli, run_on_qt_loop
from widgets.main_window import MainWindow

pytestmark = pytest.mark.secretservice

PROFILE = "sandbox-schwab"


def row(window: MainWindow, name: str):
    model = window.connection_panel.model
    return next((model.row_object(r) for r in range(model.rowCount()) if model.row_object(r).name == name), None)


def test_connect_warns_about_the_certificate_then_signs_in_and_check_now_finds_a_revoked_grant(
    home, vault, sandbox, qloop, qtbot
):
    seen: dict[str, str] = {}
    window = MainWindow()
    window.show()
    errors: list[BaseException] = []

    def open_url(url: str) -> bool:
        """The system browser, as the trader sees it: the wait view already explains the warning."""
        view = controller.login.view
        seen["notice"] = view.message if view is not None else ""
        seen["label"] = window.connection_panel.login_wait.message.text()
        profile = AppContext(home).profiles(AppContext(home).sandbox()).get(PROFILE)
        threading.Thread(target=approve, args=(vault, profile, url), daemon=True).start()
        return True

    controller = StatusController(AppContext(home), vault, window, Operations(errors.append), open_url=open_url)
    controller.start()
    try:
        qtbot.waitUntil(lambda: row(window, PROFILE) is not None, timeout=15_000)
        assert row(window, PROFILE).state == "Not connected"
        window.connection_panel.select_profile(PROFILE)
        qtbot.mouseClick(window.connection_panel.connect_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: row(window, PROFILE).state == "Active", timeout=15_000)
        assert "not private" in seen["notice"]
        assert seen["label"] == seen["notice"]
        qtbot.waitUntil(lambda: "accepted it" in row(window, PROFILE).reason, timeout=15_000)
        qtbot.waitUntil(lambda: bool(row(window, PROFILE).accounts and row(window, PROFILE).accounts.accounts))
        window.show_profile_detail(PROFILE)
        panel = window.health_indicator.accounts_panel
        assert not panel.isHidden()
        shown = [panel.accounts.row_object(r) for r in range(panel.accounts.rowCount())]
        assert {a.kind for a in shown} == {"MARGIN", "CASH"}
        assert all(a.account.startswith("••••") and a.buying_power.endswith("USD") for a in shown)
        assert panel.positions.rowCount() > 0
        status = run_cli("status")
        assert f"{PROFILE}:" in status.stdout
        assert "buying power" in status.stdout

        httpx.post(f"{sandbox.services['schwab']}/sandbox/schwab/revoke-all", timeout=10).raise_for_status()
        controller.check_now()
        qtbot.waitUntil(lambda: row(window, PROFILE).state == "Sign-in needed", timeout=15_000)
        assert row(window, PROFILE).action == "reconnect"
    finally:
        try:
            run_on_qt_loop(qloop, qtbot, controller.stop())
        finally:
            window.close()
            window.deleteLater()
    assert errors == []
