"""The wait while the trader approves a sign-in in the browser: how long is left and what else to try.

The widget counts down from the view's deadline with its own timer, so the app does not re-render
every second; it does no I/O and only ever holds the authorization URL, never a token.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal, SignalInstance
from PySide6.QtGui import QGuiApplication, QHideEvent, QShowEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from widgets.view_models import LoginView

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

    cancelRequested = Signal(str)
    reopenRequested = Signal(str)
    pasteRequested = Signal(str)

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

        self.reopen_button = QPushButton("Open the page again", self)
        self.reopen_button.setObjectName("reopenButton")
        self.reopen_button.setToolTip("Send your browser to the broker's sign-in page once more")
        self.copy_button = QPushButton("Copy link", self)
        self.copy_button.setObjectName("copyLinkButton")
        self.copy_button.setToolTip("Copy the sign-in page's address, to open it in another browser")
        self.paste_button = QPushButton("Paste the redirected URL instead", self)
        self.paste_button.setObjectName("pasteUrlButton")
        self.paste_button.setToolTip("For a browser that cannot reach this computer's loopback address")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("cancelLoginButton")

        self.reopen_button.clicked.connect(lambda: self._emit(self.reopenRequested))
        self.paste_button.clicked.connect(lambda: self._emit(self.pasteRequested))
        self.cancel_button.clicked.connect(lambda: self._emit(self.cancelRequested))
        self.copy_button.clicked.connect(self._copy_link)

        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self._tick)
        self._copied_reset = QTimer(self)
        self._copied_reset.setSingleShot(True)
        self._copied_reset.setInterval(COPIED_FEEDBACK_MS)
        self._copied_reset.timeout.connect(lambda: self.copy_button.setText("Copy link"))

        buttons = QHBoxLayout()
        for button in (self.reopen_button, self.copy_button, self.paste_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.countdown)
        layout.addWidget(self.redirect)
        layout.addWidget(self.message)
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
        failed = view.failed
        if failed:
            self.headline.setText(f"Sign-in for {view.label} did not complete")
        else:
            self.headline.setText(f"Waiting for you to approve {view.label} in your browser…")
        self.redirect.setText(f"Your browser will return to {view.redirect_hint}" if view.redirect_hint else "")
        self.redirect.setVisible(not failed and bool(view.redirect_hint))
        self.message.setText(view.message)
        self.message.setVisible(bool(view.message))
        self.message.setProperty("role", "error" if failed else "")
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.countdown.setVisible(not failed)
        for button in (self.reopen_button, self.copy_button, self.paste_button):
            button.setVisible(not failed)
            button.setEnabled(bool(view.url))  # no page to reopen, copy or return from until the URL is known
        self.cancel_button.setText("Close" if failed else "Cancel")
        self.cancel_button.setToolTip(
            "Dismiss this message" if failed else "Stop waiting; the sign-in page will no longer be accepted"
        )
        self.show()
        self._tick()

    def seconds_left(self) -> float:
        return 0.0 if self._view is None else self._view.deadline - self._clock()

    def _tick(self) -> None:
        """Redraw the countdown; the timer runs only while there is something visible to count."""
        view = self._view
        if view is None or view.failed:
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
