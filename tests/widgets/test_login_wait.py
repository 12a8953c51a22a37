"""The sign-in wait: the countdown is computed from the deadline, the failed state offers only Close."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QPushButton

from widgets.login_wait import LoginWaitPanel, countdown_text
from widgets.view_models import LoginView

START = 1_700_000_000.0


class Clock:
    """A clock the test moves by hand, so the countdown is checked without waiting."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


VIEW = LoginView(
    profile="sandbox-oauth2",
    label="Sandbox OAuth",
    url="https://127.0.0.1:4001/authorize?client_id=brokerdeck&state=s1&code_challenge=c1",
    deadline=START + 272,
    redirect_hint="http://127.0.0.1:53121/callback/sandbox-oauth2",
)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def panel(qtbot, clock):
    widget = LoginWaitPanel(clock=clock)
    qtbot.addWidget(widget)
    widget.resize(640, 200)
    widget.show_login(VIEW)
    qtbot.waitExposed(widget)
    return widget


def expected_countdown(deadline: float, now: float) -> str:
    left = int(deadline - now)
    return f"Time left: {left // 60}:{left % 60:02d}" if left > 0 else "Time is up"


def visible_buttons(panel: LoginWaitPanel) -> list[str]:
    return [b.objectName() for b in panel.findChildren(QPushButton) if not b.isHidden()]


def test_waiting_state_shows_headline_countdown_and_where_the_browser_returns(panel, clock):
    assert panel.objectName() == "loginWait"
    assert panel.findChild(QLabel, "loginHeadline").text() == (
        "Waiting for you to approve Sandbox OAuth in your browser…"
    )
    assert panel.findChild(QLabel, "loginCountdown").text() == expected_countdown(VIEW.deadline, clock.now)
    assert panel.countdown.text() == "Time left: 4:32"
    assert panel.redirect.text() == "Your browser will return to http://127.0.0.1:53121/callback/sandbox-oauth2"
    assert panel.message.isHidden()
    assert sorted(visible_buttons(panel)) == ["cancelLoginButton", "copyLinkButton", "pasteUrlButton", "reopenButton"]
    assert panel.cancel_button.text() == "Cancel"
    assert panel.timer.isActive()


def test_each_tick_recomputes_from_the_deadline_and_stops_when_time_is_up(panel, clock):
    clock.now = VIEW.deadline - 61.5
    panel.timer.timeout.emit()
    assert panel.countdown.text() == "Time left: 1:02"  # rounded up: 61.5 s is still "1:02" left
    clock.now = VIEW.deadline - 1
    panel.timer.timeout.emit()
    assert panel.countdown.text() == expected_countdown(VIEW.deadline, clock.now)
    clock.now = VIEW.deadline + 3
    panel.timer.timeout.emit()
    assert panel.countdown.text() == "Time is up"
    assert not panel.timer.isActive()


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (3600, "Time left: 60:00"),
        (59.01, "Time left: 1:00"),
        (0.2, "Time left: 0:01"),
        (0, "Time is up"),
        (-5, "Time is up"),
    ],
)
def test_countdown_text(seconds, text):
    assert countdown_text(seconds) == text


def test_the_timer_stops_while_hidden_and_resumes_when_shown(panel, clock):
    panel.hide()
    assert not panel.timer.isActive()
    clock.now += 100
    panel.show()
    assert panel.timer.isActive()
    assert panel.countdown.text() == expected_countdown(VIEW.deadline, clock.now)


def test_failed_state_keeps_only_close(qtbot, panel):
    failed = dataclasses.replace(VIEW, failed=True, message="The broker said: access_denied (you declined).")
    panel.show_login(failed)
    assert panel.headline.text() == "Sign-in for Sandbox OAuth did not complete"
    assert panel.findChild(QLabel, "loginMessage").text() == "The broker said: access_denied (you declined)."
    assert panel.message.property("role") == "error"
    assert not panel.message.isHidden()
    assert visible_buttons(panel) == ["cancelLoginButton"]
    assert panel.cancel_button.text() == "Close"
    assert panel.countdown.isHidden()
    assert not panel.timer.isActive()
    with qtbot.waitSignal(panel.cancelRequested, timeout=1000) as signal:
        qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    assert signal.args == ["sandbox-oauth2"]


def test_before_the_url_is_known_only_cancel_is_enabled(panel):
    panel.show_login(dataclasses.replace(VIEW, url="", message="Contacting https://127.0.0.1:4001…"))
    enabled = {b.objectName(): b.isEnabled() for b in panel.findChildren(QPushButton)}
    assert enabled == {
        "reopenButton": False,
        "copyLinkButton": False,
        "pasteUrlButton": False,
        "cancelLoginButton": True,
    }
    assert panel.message.text() == "Contacting https://127.0.0.1:4001…"
    panel.show_login(VIEW)
    assert all(b.isEnabled() for b in panel.findChildren(QPushButton))


def test_a_progress_message_is_not_styled_as_an_error(panel):
    panel.show_login(dataclasses.replace(VIEW, message="Exchanging the code for tokens…"))
    assert not panel.message.isHidden()
    assert panel.message.property("role") != "error"


def test_copy_link_puts_the_authorization_url_on_the_clipboard(qtbot, panel):
    QGuiApplication.clipboard().setText("something else")
    qtbot.mouseClick(panel.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == VIEW.url
    assert panel.copy_button.text() == "Link copied"


@pytest.mark.parametrize(
    ("button", "signal_name"),
    [
        ("reopenButton", "reopenRequested"),
        ("pasteUrlButton", "pasteRequested"),
        ("cancelLoginButton", "cancelRequested"),
    ],
)
def test_buttons_emit_the_profile_name(qtbot, panel, button, signal_name):
    with qtbot.waitSignal(getattr(panel, signal_name), timeout=1000) as signal:
        qtbot.mouseClick(panel.findChild(QPushButton, button), Qt.MouseButton.LeftButton)
    assert signal.args == ["sandbox-oauth2"]


def test_no_login_hides_the_panel_and_stops_counting(panel):
    panel.show_login(None)
    assert panel.isHidden()
    assert not panel.timer.isActive()
    assert panel.view is None
