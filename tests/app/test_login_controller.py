"""The window's sign-in paths with the real controller, sandbox and vault (the browser is played by httpx).

The Chromium-driven connect is in tests/e2e; here the faster stand-in covers what goes wrong: a denied
consent, a browser that cannot be opened and a pasted address, disconnect, and adding a profile.
"""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt

from app.context import AppContext
from app.operations import Operations
from app.status_controller import StatusController
from brokers.registry import REGISTRY
from tests.brokers.oauth2.stand_in import approve, consent
from tests.conftest import run_on_qt_loop
from widgets.main_window import MainWindow

pytestmark = pytest.mark.secretservice

PROFILE = "sandbox-oauth2"


def row(window: MainWindow, name: str):
    model = window.connection_panel.model
    return next((model.row_object(r) for r in range(model.rowCount()) if model.row_object(r).name == name), None)


@pytest.fixture
def window_with(home, sandbox, vault, qloop, qtbot):
    """Builds the window with a given system-browser opener; stops the controller afterwards.

    The fixture owns the window (not qtbot, which deletes its widgets before fixtures are torn down): the
    controller is stopped while its window still exists, as the app does, so its sessions close their sockets.
    """
    made: list[tuple[MainWindow, StatusController]] = []
    errors: list[BaseException] = []

    def build(open_url):
        window = MainWindow()
        window.show()
        controller = StatusController(AppContext(home), vault, window, Operations(errors.append), open_url=open_url)
        made.append((window, controller))
        controller.start()
        qtbot.waitUntil(lambda: row(window, PROFILE) is not None, timeout=15000)
        window.connection_panel.select_profile(PROFILE)
        return window, controller

    yield build
    try:
        for _window, controller in made:
            # a stop that failed part way would leave sessions and their connections open
            run_on_qt_loop(qloop, qtbot, controller.stop())
    finally:
        for window, _controller in made:
            window.close()
            window.deleteLater()
    assert errors == []


def in_background(work) -> bool:
    threading.Thread(target=work, daemon=True).start()
    return True


def test_a_denied_consent_stays_on_screen_with_what_to_do(window_with, qtbot, vault):
    window, controller = window_with(lambda url: in_background(lambda: approve(url, "deny")))
    panel = window.connection_panel
    qtbot.mouseClick(panel.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: controller.login.view is not None and controller.login.view.failed, timeout=15000)
    assert "access was denied" in panel.login_wait.message.text()
    assert panel.login_wait.cancel_button.text() == "Close"
    qtbot.mouseClick(panel.login_wait.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.login_wait.isVisible(), timeout=5000)
    assert row(window, PROFILE).state == "Not connected"
    assert "oauth-tokens" not in vault.kinds(PROFILE)


def test_without_a_browser_the_redirected_address_can_be_pasted(window_with, qtbot, vault):
    window, controller = window_with(lambda url: False)
    panel = window.connection_panel
    qtbot.mouseClick(panel.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(controller.login.view and controller.login.view.url), timeout=15000)
    assert "No browser could be opened" in panel.login_wait.message.text()
    location: list[str] = []
    worker = threading.Thread(target=lambda: location.append(consent(controller.login.view.url)))
    worker.start()
    qtbot.waitUntil(lambda: bool(location), timeout=15000)

    qtbot.mouseClick(panel.login_wait.paste_button, Qt.MouseButton.LeftButton)
    dialog = controller.login.paste_dialog
    assert dialog.isVisible()
    dialog.field.setText("http://127.0.0.1:1/callback/other?code=x&state=y")
    qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    assert dialog.error.isVisible()
    assert "callback" in dialog.error.text()
    dialog.field.setText(location[0])
    qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: row(window, PROFILE).state == "Active", timeout=15000)
    assert not dialog.isVisible()
    assert "oauth-tokens" in vault.kinds(PROFILE)

    panel.select_profile(PROFILE)
    qtbot.mouseClick(panel.disconnect_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: row(window, PROFILE).state == "Not connected", timeout=15000)
    assert vault.kinds(PROFILE) == []
    assert "revoked" in window.status_label.text()


def test_a_profile_added_in_the_dialog_is_saved_and_listed(window_with, qtbot, home, sandbox):
    window, controller = window_with(lambda url: False)
    qtbot.mouseClick(window.connection_panel.add_profile_button, Qt.MouseButton.LeftButton)
    dialog = controller.login.add_dialog
    dialog.edits["name"].setText("my-broker")
    dialog.edits["issuer"].setText("http://auth.example.com")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.errors["issuer"].isVisible()
    assert "https" in dialog.errors["issuer"].text()
    assert not home.profiles_file.exists()

    dialog.edits["issuer"].setText(f"{sandbox.services['oauth2']}/auth")
    dialog.edits["scopes"].setText("read offline_access")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: row(window, "my-broker") is not None, timeout=15000)
    assert not dialog.isVisible()
    saved = REGISTRY.schema.load(home.profiles_file).get("my-broker")
    assert saved.scopes == ("read", "offline_access")
    assert row(window, "my-broker").state == "Not connected"
