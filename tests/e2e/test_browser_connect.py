"""The whole browser connect, as a trader does it: Connect in the window, consent in Chromium, ACTIVE.

The window's system-browser opener is pointed at a real headless Chromium; everything else is the real
thing: the sandbox process, the loopback listener, the Secret-Service-backed vault and the widgets.
"""

from __future__ import annotations

from concurrent.futures import Future

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QLabel, QWidget

from app.context import AppContext
from app.operations import Operations
from app.status_controller import StatusController
from brokers.oauth2.store import OAuthStore
from tests.browser import Browser
from tests.conftest import run_on_qt_loop
from widgets.main_window import MainWindow

pytestmark = [pytest.mark.e2e, pytest.mark.secretservice]

PROFILE = "sandbox-oauth2"


def row_state(window: MainWindow, name: str) -> str:
    model = window.connection_panel.model
    rows = [model.row_object(r) for r in range(model.rowCount())]
    return next((r.state for r in rows if r.name == name), "")


def visible_text(window: MainWindow) -> str:
    """Every string the window shows: labels, buttons, tables (what a screenshot could capture)."""
    parts = [w.text() for w in window.findChildren(QLabel)]
    parts += [w.text() for w in window.findChildren(QWidget) if hasattr(w, "text") and callable(w.text)]
    for view in window.findChildren(QAbstractItemView):
        model = view.model()
        for row in range(model.rowCount()):
            for column in range(model.columnCount()):
                for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                    value = model.data(model.index(row, column), role)
                    parts.append(str(value) if value is not None else "")
    return "\n".join(str(p) for p in parts)


def test_connect_in_the_window_through_a_real_browser(home, sandbox, vault, qloop, qtbot, browser: Browser, tmp_path):
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    errors: list[BaseException] = []
    operations = Operations(errors.append)
    visits: list[Future[str]] = []

    def open_in_chromium(url: str) -> bool:
        visits.append(browser.submit_approve_sandbox(url))
        return True

    controller = StatusController(AppContext(home), vault, window, operations, open_url=open_in_chromium)
    controller.start()
    qtbot.waitUntil(lambda: row_state(window, PROFILE) == "Not connected", timeout=15000)
    panel = window.connection_panel
    panel.select_profile(PROFILE)
    assert panel.connect_button.isEnabled()

    qtbot.mouseClick(panel.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(visits), timeout=15000)
    assert panel.login_wait.isVisible()
    qtbot.waitUntil(visits[0].done, timeout=60000)
    final_url = visits[0].result()
    assert "/callback/sandbox-oauth2?" in final_url
    qtbot.waitUntil(lambda: row_state(window, PROFILE) == "Active", timeout=15000)
    assert not panel.login_wait.isVisible()
    assert errors == []

    record = OAuthStore(vault, PROFILE).record()
    assert record is not None
    assert record.tokens is not None
    assert {"oauth-tokens", "oauth-client"} <= set(vault.kinds(PROFILE))
    page_shot = browser.screenshot(tmp_path / "callback.png")
    assert page_shot.stat().st_size > 0
    window.grab().save(str(tmp_path / "window.png"))

    panel.select_profile(PROFILE)
    shown = visible_text(window) + browser.call(lambda page: page.content())
    for secret in (record.tokens.access_token, record.tokens.refresh_token):
        assert secret not in shown
    log_text = "".join(p.read_text() for p in home.log_dir.glob("*.log*")) if home.log_dir.exists() else ""
    for secret in (record.tokens.access_token, record.tokens.refresh_token):
        assert secret not in log_text

    run_on_qt_loop(qloop, qtbot, controller.stop())


def test_connect_robinhood_through_a_real_browser_ends_with_the_snapshot(
    home, sandbox, vault, qloop, qtbot, browser: Browser
):
    """Connect `sandbox-robinhood` in the window, consent in Chromium; the detail shows the agentic account."""
    name = "sandbox-robinhood"
    window = MainWindow()
    window.show()
    errors: list[BaseException] = []
    visits: list[Future[str]] = []

    def open_in_chromium(url: str) -> bool:
        visits.append(browser.submit_approve_sandbox(url))
        return True

    controller = StatusController(AppContext(home), vault, window, Operations(errors.append), open_url=open_in_chromium)
    controller.start()
    try:
        qtbot.waitUntil(lambda: row_state(window, name) == "Not connected", timeout=15000)
        window.show_profile_detail(name)
        qtbot.mouseClick(window.connection_panel.connect_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: bool(visits), timeout=15000)
        qtbot.waitUntil(visits[0].done, timeout=60000)
        assert f"/callback/{name}?" in visits[0].result()
        qtbot.waitUntil(lambda: row_state(window, name) == "Active", timeout=30000)
        panel = window.health_indicator.accounts_panel
        qtbot.waitUntil(lambda: panel.accounts.rowCount() == 1, timeout=30000)
        window.show_profile_detail(name)
        (account,) = [panel.accounts.row_object(r) for r in range(panel.accounts.rowCount())]
        assert account.account.startswith("••••")
        assert account.buying_power.endswith("USD")
        assert panel.positions.rowCount() > 0
        assert f"agentic account: {account.account}" in panel.status.text()

        record = OAuthStore(vault, name).record()
        assert record is not None
        assert record.tokens is not None
        shown = visible_text(window)
        log_text = "".join(p.read_text() for p in home.log_dir.glob("*.log*")) if home.log_dir.exists() else ""
        for secret in (record.tokens.access_token, record.tokens.refresh_token):
            assert secret not in shown
            assert secret not in log_text
        assert errors == []
    finally:
        try:
            run_on_qt_loop(qloop, qtbot, controller.stop())
        finally:
            window.close()
            window.deleteLater()
