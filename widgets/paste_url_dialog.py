"""Finishing a sign-in by hand when the browser cannot reach Brokerdeck's loopback port.

The pasted address carries a one-time authorization code, so the dialog only hands it to the app
through `submitted`, never logs it, and forgets it when it closes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QHideEvent
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget


class PasteUrlDialog(QDialog):
    """Non-modal: the app keeps running its event loop; it calls `accept()` or `show_error()` after `submitted`."""

    submitted = Signal(str, str)  # profile name, the pasted address stripped of surrounding whitespace

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pasteUrlDialog")
        self.setModal(False)
        self.setWindowTitle("Paste the redirected address")
        self.profile = ""

        self.intro = QLabel(self)
        self.intro.setObjectName("pasteIntro")
        self.intro.setTextFormat(Qt.TextFormat.PlainText)
        self.intro.setWordWrap(True)
        self.intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.field = QLineEdit(self)
        self.field.setObjectName("pastedUrl")
        self.field.setPlaceholderText("http://127.0.0.1:…/callback/…?code=…&state=…")
        self.field.setMinimumWidth(480)
        self.error = QLabel(self)
        self.error.setObjectName("pasteError")
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setWordWrap(True)
        self.error.setProperty("role", "error")
        self.error.hide()

        self.submit_button = QPushButton("Use this address", self)
        self.submit_button.setObjectName("submitPastedUrl")
        self.submit_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("cancelPastedUrl")
        self.submit_button.clicked.connect(self._submit)
        self.cancel_button.clicked.connect(self.reject)
        self.field.textChanged.connect(self._sync_submit)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.submit_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.field)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self._sync_submit()

    def open_for(self, profile: str, label: str, redirect_hint: str) -> None:
        """Start fresh for `profile` and show the dialog without blocking."""
        self.profile = profile
        self.setWindowTitle(f"Finish signing in to {label}")
        self.intro.setText(
            f"After you approve, your browser is sent to an address that starts with {redirect_hint}. "
            "If that page did not load, copy the whole address from the browser's address bar and paste it here."
        )
        self.field.clear()
        self.error.clear()
        self.error.hide()
        self.show()
        self.raise_()
        self.field.setFocus()

    def show_error(self, text: str) -> None:
        """Say what was wrong; the dialog and what the trader pasted stay, so they can correct it."""
        self.error.setText(text)
        self.error.show()
        self.show()

    def _sync_submit(self) -> None:
        self.submit_button.setEnabled(bool(self.field.text().strip()))

    def _submit(self) -> None:
        text = self.field.text().strip()
        if not text or not self.profile:
            return
        self.error.hide()
        self.submitted.emit(self.profile, text)

    def hideEvent(self, event: QHideEvent) -> None:
        """Forget the pasted code once the dialog is closed (not when the window is merely minimised)."""
        super().hideEvent(event)
        if not event.spontaneous():
            self.field.clear()
