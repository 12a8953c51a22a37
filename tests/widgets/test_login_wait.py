"""The sign-in wait: the countdown comes from the deadline; each stage's words name only the buttons it enables."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QPushButton

from widgets.login_wait import LoginWaitPanel, countdown_text
from widgets.view_models import LOGIN_STAGES, LoginButton, LoginStage, LoginView

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


def usable_buttons(panel: LoginWaitPanel) -> set[str]:
    """The texts of the buttons the trader can press now: shown and enabled."""
    return {b.text() for b in panel.findChildren(QPushButton) if not b.isHidden() and b.isEnabled()}


def named_buttons(text: str) -> set[str]:
    return {button.value for button in LoginButton if button.value in text}


def shown_words(panel: LoginWaitPanel) -> str:
    return "\n".join(label.text() for label in panel.findChildren(QLabel) if not label.isHidden())


def test_waiting_state_shows_headline_countdown_and_where_the_browser_returns(panel, clock):
    assert panel.objectName() == "loginWait"
    assert panel.findChild(QLabel, "loginHeadline").text() == (
        "Waiting for you to approve Sandbox OAuth in your browser…"
    )
    assert panel.findChild(QLabel, "loginCountdown").text() == expected_countdown(VIEW.deadline, clock.now)
    assert panel.countdown.text() == "Time left: 4:32"
    assert panel.redirect.text() == "Your browser will return to http://127.0.0.1:53121/callback/sandbox-oauth2"
    assert panel.message.isHidden()
    assert panel.advice.text() == "No page in your browser? Press Copy link and open the address in a browser yourself."
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


@pytest.mark.parametrize("stage", list(LoginStage))
def test_the_table_words_name_only_the_buttons_the_stage_enables(stage):
    plan = LOGIN_STAGES[stage]
    assert named_buttons(plan.headline + plan.advice) <= set(plan.buttons)
    assert not set(plan.buttons) & set(plan.greyed)


@pytest.mark.parametrize("stage", list(LoginStage))
def test_each_stage_shows_its_buttons_enabled_and_names_no_other(panel, stage):
    message = "Opening a browser failed: no runnable browser." if stage == LoginStage.NO_BROWSER else ""
    panel.show_login(dataclasses.replace(VIEW, stage=stage, message=message))
    plan = LOGIN_STAGES[stage]
    assert usable_buttons(panel) == {button.value for button in plan.buttons}
    assert named_buttons(shown_words(panel)) <= usable_buttons(panel)
    assert panel.headline.text() == plan.headline.format(label="Sandbox OAuth")
    assert panel.countdown.isHidden() != plan.counts_down


def test_a_failed_sign_in_offers_try_again_and_close_at_once(qtbot, panel):
    failed = dataclasses.replace(
        VIEW, stage=LoginStage.FAILED, message="access was denied on the broker's page; sign in again to connect"
    )
    panel.show_login(failed)
    assert panel.headline.text() == "Sign-in for Sandbox OAuth did not complete"
    assert panel.findChild(QLabel, "loginMessage").text() == failed.message
    assert panel.message.property("role") == "error"
    assert not panel.message.isHidden()
    assert (
        panel.findChild(QLabel, "loginAdvice").text()
        == "Press Try again to start a new sign-in, or Close to dismiss this."
    )
    assert sorted(visible_buttons(panel)) == ["cancelLoginButton", "retryLoginButton"]
    assert panel.retry_button.isEnabled()
    assert panel.cancel_button.isEnabled()
    assert panel.cancel_button.text() == "Close"
    assert panel.countdown.isHidden()
    assert not panel.timer.isActive()
    with qtbot.waitSignal(panel.retryRequested, timeout=1000) as signal:
        qtbot.mouseClick(panel.retry_button, Qt.MouseButton.LeftButton)
    assert signal.args == ["sandbox-oauth2"]
    with qtbot.waitSignal(panel.cancelRequested, timeout=1000) as signal:
        qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    assert signal.args == ["sandbox-oauth2"]


def test_without_a_browser_copy_and_paste_are_offered_at_once(panel):
    panel.show_login(
        dataclasses.replace(VIEW, stage=LoginStage.NO_BROWSER, message="The system did not open a browser.")
    )
    assert panel.headline.text() == "No browser opened for Sandbox OAuth"
    assert panel.message.text() == "The system did not open a browser."
    assert panel.message.property("role") == "error"
    assert "Press Copy link" in panel.advice.text()
    assert "press Paste redirected URL…" in panel.advice.text()
    assert usable_buttons(panel) == {"Copy link", "Paste redirected URL…", "Cancel"}
    assert not panel.redirect.isHidden()
    assert panel.timer.isActive()


def test_before_the_url_is_known_only_cancel_is_enabled(panel):
    panel.show_login(
        dataclasses.replace(VIEW, url="", stage=LoginStage.CONTACTING, message="Contacting https://127.0.0.1:4001…")
    )
    enabled = {b.objectName(): b.isEnabled() for b in panel.findChildren(QPushButton) if not b.isHidden()}
    assert enabled == {
        "reopenButton": False,
        "copyLinkButton": False,
        "pasteUrlButton": False,
        "cancelLoginButton": True,
    }
    assert panel.message.text() == "Contacting https://127.0.0.1:4001…"
    panel.show_login(VIEW)
    assert all(b.isEnabled() for b in panel.findChildren(QPushButton) if not b.isHidden())


def test_while_the_tokens_are_fetched_nothing_can_be_pressed(panel):
    panel.show_login(
        dataclasses.replace(VIEW, stage=LoginStage.FINISHING, message="Address accepted; fetching the tokens…")
    )
    assert visible_buttons(panel) == []
    assert panel.countdown.isHidden()
    assert not panel.timer.isActive()


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
