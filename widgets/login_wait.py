"""The wait while the trader approves a sign-in in the browser: how long is left and what else to try.

What each stage shows and which buttons it enables come from one table (`LOGIN_STAGES`), so the words
never name a button that is not there. The widget counts down from the view's deadline with its own
timer, so the app does not re-render every second; it does no I/O and only ever holds the authorization
URL, never a token.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal, SignalInstance
from PySide6.QtGui import QGuiApplication, QHideEvent, QShowEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from widgets.view_models import LoginButton, LoginView

COPIED_FEEDBACK_MS = 2000


def countdown_text(seconds_left: float) -> str:
    """'Time left: M:SS', rounded up so the display reaches 0:00 only when the wait is really over."""
    whole = math.ceil(seconds_left)
    if whole <= 0:
        return "Time is up"
    minutes, seconds = divmod(whole, 60)
    return f"Time left: {minutes}:{seconds:02d}"


def _plain_label(parent: QWidget, object_name: str = "") -> QLabel:
    """A wrapped plain-text label: labels, URLs and messages come from outside and are never markup."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    if object_name:
        label.setObjectName(object_name)
    return label


class LoginWaitPanel(QFrame):
    """Renders a `LoginView`; every button emits an intent carrying the profile name."""

    cancelRequested = Signal(str)  # Cancel while waiting, Close once the sign-in has ended
    reopenRequested = Signal(str)
    pasteRequested = Signal(str)
    retryRequested = Signal(str)  # start a new sign-in after this one failed

    def __init__(self, parent: QWidget | None = None, clock: Callable[[], float] = time.time) -> None:
        super().__init__(parent)
        self.setObjectName("loginWait")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._clock = clock
        self._view: LoginView | None = None

        self.headline = _plain_label(self, "loginHeadline")
        font = self.headline.font()
        font.setBold(True)
        self.headline.setFont(font)
        self.countdown = _plain_label(self, "loginCountdown")
        self.redirect = _plain_label(self, "loginRedirectHint")
        self.redirect.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.redirect.setProperty("role", "muted")
        self.message = _plain_label(self, "loginMessage")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.advice = _plain_label(self, "loginAdvice")

        self.reopen_button = QPushButton(LoginButton.REOPEN, self)
        self.reopen_button.setObjectName("reopenButton")
        self.reopen_button.setToolTip("Send your browser to the broker's sign-in page once more")
        self.copy_button = QPushButton(LoginButton.COPY, self)
        self.copy_button.setObjectName("copyLinkButton")
        self.copy_button.setToolTip("Copy the sign-in page's address, to open it in another browser")
        self.paste_button = QPushButton(LoginButton.PASTE, self)
        self.paste_button.setObjectName("pasteUrlButton")
        self.paste_button.setToolTip("For a browser that cannot reach this computer's loopback address")
        self.retry_button = QPushButton(LoginButton.RETRY, self)
        self.retry_button.setObjectName("retryLoginButton")
        self.retry_button.setToolTip("Start a new sign-in and open the broker's page again")
        self.cancel_button = QPushButton(LoginButton.CANCEL, self)
        self.cancel_button.setObjectName("cancelLoginButton")
        #: the widget behind each button of the stage table; Cancel and Close are one button with two texts
        self._buttons: dict[LoginButton, QPushButton] = {
            LoginButton.REOPEN: self.reopen_button,
            LoginButton.COPY: self.copy_button,
            LoginButton.PASTE: self.paste_button,
            LoginButton.RETRY: self.retry_button,
            LoginButton.CANCEL: self.cancel_button,
            LoginButton.CLOSE: self.cancel_button,
        }

        self.reopen_button.clicked.connect(lambda: self._emit(self.reopenRequested))
        self.paste_button.clicked.connect(lambda: self._emit(self.pasteRequested))
        self.retry_button.clicked.connect(lambda: self._emit(self.retryRequested))
        self.cancel_button.clicked.connect(lambda: self._emit(self.cancelRequested))
        self.copy_button.clicked.connect(self._copy_link)

        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self._tick)
        self._copied_reset = QTimer(self)
        self._copied_reset.setSingleShot(True)
        self._copied_reset.setInterval(COPIED_FEEDBACK_MS)
        self._copied_reset.timeout.connect(lambda: self.copy_button.setText(LoginButton.COPY))

        buttons = QHBoxLayout()
        for button in (self.retry_button, self.reopen_button, self.copy_button, self.paste_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.countdown)
        layout.addWidget(self.redirect)
        layout.addWidget(self.message)
        layout.addWidget(self.advice)
        layout.addLayout(buttons)
        self.show_login(None)

    @property
    def view(self) -> LoginView | None:
        return self._view

    def show_login(self, view: LoginView | None) -> None:
        """Show `view`, or hide the panel when no sign-in is under way."""
        self._view = view
        if view is None:
            self.timer.stop()
            self.hide()
            return
        plan = view.plan
        self.headline.setText(plan.headline.format(label=view.label))
        self.redirect.setText(f"Your browser will return to {view.redirect_hint}" if view.redirect_hint else "")
        self.redirect.setVisible(plan.shows_redirect and bool(view.redirect_hint))
        self.message.setText(view.message)
        self.message.setVisible(bool(view.message))
        self.message.setProperty("role", "error" if plan.trouble else "")
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.advice.setText(plan.advice)
        self.advice.setVisible(bool(plan.advice))
        self.countdown.setVisible(plan.counts_down)
        shown = {name: name in plan.buttons for name in (*plan.buttons, *plan.greyed)}
        for button in (self.retry_button, self.reopen_button, self.copy_button, self.paste_button, self.cancel_button):
            names = [name for name in shown if self._buttons[name] is button]
            button.setVisible(bool(names))
            button.setEnabled(any(shown[name] for name in names))
        closing = LoginButton.CLOSE in shown
        self.cancel_button.setText(LoginButton.CLOSE if closing else LoginButton.CANCEL)
        self.cancel_button.setToolTip(
            "Dismiss this message" if closing else "Stop waiting; the sign-in page will no longer be accepted"
        )
        self.show()
        self._tick()

    def seconds_left(self) -> float:
        return 0.0 if self._view is None else self._view.deadline - self._clock()

    def _tick(self) -> None:
        """Redraw the countdown; the timer runs only while there is something visible to count."""
        view = self._view
        if view is None or not view.plan.counts_down:
            self.timer.stop()
            return
        left = self.seconds_left()
        self.countdown.setText(countdown_text(left))
        if left <= 0 or not self.isVisible():
            self.timer.stop()
        elif not self.timer.isActive():
            self.timer.start()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._tick()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.timer.stop()

    def _emit(self, signal: SignalInstance) -> None:
        if self._view is not None:
            signal.emit(self._view.profile)

    def _copy_link(self) -> None:
        if self._view is None:
            return
        QGuiApplication.clipboard().setText(self._view.url)
        self.copy_button.setText("Link copied")
        self._copied_reset.start()
