"""The window's sign-in paths with the real controller, sandbox and vault (the browser is played by httpx).

The Chromium-driven connect is in tests/e2e; here the faster stand-in covers what goes wrong: a denied
consent and Try again, a browser that cannot be opened (the opener says no, or raises) with the copied link
and a pasted address, disconnect, and adding a profile. Whatever the stage, the words name only buttons the
trader can press.
"""

from __future__ import annotations

import threading
import webbrowser

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QPushButton

from app.context import AppContext
from app.operations import Operations
from app.status_controller import StatusController
from brokers.registry import REGISTRY
from tests.brokers.oauth2.stand_in import approve, consent
from tests.conftest import run_on_qt_loop
from widgets.main_window import MainWindow
from widgets.view_models import LoginStage

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


def named_but_not_pressable(window: MainWindow) -> set[str]:
    """Button texts of the window that the login view's words name while no such button can be pressed there."""
    login = window.connection_panel.login_wait
    words = "\n".join(label.text() for label in login.findChildren(QLabel) if label.isVisible())
    pressable = {b.text() for b in login.findChildren(QPushButton) if b.isVisible() and b.isEnabled()}
    texts = {b.text() for b in window.findChildren(QPushButton) if b.text()}
    return {text for text in texts if text in words} - pressable


def stage(controller) -> LoginStage | None:
    view = controller.login.view
    return view.stage if view is not None else None


def test_a_denied_consent_stays_on_screen_with_try_again_enabled(window_with, qtbot, vault):
    decisions = iter(["deny", "allow"])
    window, controller = window_with(lambda url: in_background(lambda: approve(url, next(decisions))))
    panel = window.connection_panel
    login = panel.login_wait
    qtbot.mouseClick(panel.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: stage(controller) == LoginStage.FAILED, timeout=15000)
    assert login.message.text() == "Access was denied on the broker's page; sign in again to connect."
    assert login.advice.text() == "Press Try again to start a new sign-in, or Close to dismiss this."
    assert login.retry_button.isVisible()
    assert login.retry_button.isEnabled()
    assert login.cancel_button.text() == "Close"
    assert login.cancel_button.isEnabled()
    assert not panel.connect_button.isEnabled()  # while the outcome is on screen, Try again is the way
    assert named_but_not_pressable(window) == set()
    assert "oauth-tokens" not in vault.kinds(PROFILE)

    qtbot.mouseClick(login.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: row(window, PROFILE).state == "Active", timeout=15000)
    assert not login.isVisible()
    assert "oauth-tokens" in vault.kinds(PROFILE)


def test_close_dismisses_a_denied_sign_in_and_connect_is_back(window_with, qtbot, vault):
    window, controller = window_with(lambda url: in_background(lambda: approve(url, "deny")))
    panel = window.connection_panel
    qtbot.mouseClick(panel.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: stage(controller) == LoginStage.FAILED, timeout=15000)
    qtbot.mouseClick(panel.login_wait.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.login_wait.isVisible(), timeout=5000)
    assert row(window, PROFILE).state == "Not connected"
    assert panel.connect_button.isEnabled()
    assert "oauth-tokens" not in vault.kinds(PROFILE)


def test_without_a_browser_the_redirected_address_can_be_pasted(window_with, qtbot, vault):
    window, controller = window_with(lambda url: False)
    panel = window.connection_panel
    login = panel.login_wait
    qtbot.mouseClick(panel.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: stage(controller) == LoginStage.NO_BROWSER, timeout=15000)
    assert login.headline.text() == "No browser opened for OAuth 2.1 (sandbox)"
    assert login.message.text() == "The system did not open a browser for the sign-in page."
    assert login.copy_button.isVisible()
    assert login.copy_button.isEnabled()
    assert login.paste_button.isVisible()
    assert login.paste_button.isEnabled()
    assert named_but_not_pressable(window) == set()
    location: list[str] = []
    worker = threading.Thread(target=lambda: location.append(consent(controller.login.view.url)))
    worker.start()
    qtbot.waitUntil(lambda: bool(location), timeout=15000)

    qtbot.mouseClick(login.paste_button, Qt.MouseButton.LeftButton)
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


def test_a_browser_opener_that_raises_is_said_plainly_and_the_copied_link_still_signs_in(window_with, qtbot, vault):
    def broken_browser(url: str) -> bool:
        raise webbrowser.Error("could not locate runnable browser")

    window, controller = window_with(broken_browser)
    panel = window.connection_panel
    login = panel.login_wait
    qtbot.mouseClick(panel.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: stage(controller) == LoginStage.NO_BROWSER, timeout=15000)
    assert login.message.text() == "Opening a browser failed: could not locate runnable browser."
    assert "Waiting for you to approve" not in login.headline.text()
    assert login.copy_button.isEnabled()
    assert login.paste_button.isEnabled()
    assert named_but_not_pressable(window) == set()

    qtbot.mouseClick(login.copy_button, Qt.MouseButton.LeftButton)
    copied = QGuiApplication.clipboard().text()
    assert copied == controller.login.view.url
    in_background(lambda: approve(copied))  # the trader opens the copied link in a browser that works
    qtbot.waitUntil(lambda: row(window, PROFILE).state == "Active", timeout=15000)
    assert "oauth-tokens" in vault.kinds(PROFILE)


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
