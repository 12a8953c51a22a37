"""The typed confirmation that arms LIVE: the trader types the phrase the trading core issued, by hand.

Typing it is the point: a phrase that was pasted proves nothing about attention, so every way of pasting
into the field is closed (the paste keys, the context menu, drag and drop, the middle button) and, behind
those, any edit that adds more than one character at once is undone. OK is enabled only while the text
equals the phrase exactly; the core checks the phrase again, and its answer may be an error shown here.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QHideEvent, QKeyEvent, QKeySequence, QMouseEvent
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

_PASTE_KEYS = (
    (Qt.Key.Key_Insert, Qt.KeyboardModifier.ShiftModifier),
    (Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier),
)


def _is_paste(event: QKeyEvent) -> bool:
    modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
    return event.matches(QKeySequence.StandardKey.Paste) or (Qt.Key(event.key()), modifiers) in _PASTE_KEYS


class TypedOnlyLineEdit(QLineEdit):
    """A line edit that takes characters from the keyboard only, one at a time."""

    pasteBlocked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(False)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self.setDragEnabled(False)
        self._accepted = ""
        self.textChanged.connect(self._keep_typed_only)

    def event(self, event: QEvent) -> bool:
        """Refuse the paste keys before a window shortcut or the line edit's own handling sees them."""
        keys = (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress)
        if event.type() in keys and isinstance(event, QKeyEvent) and _is_paste(event):
            event.accept()
            if event.type() == QEvent.Type.KeyPress:
                self.pasteBlocked.emit()
            return True
        return super().event(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.MiddleButton:  # X11's selection paste
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.MiddleButton:
            event.accept()
            self.pasteBlocked.emit()
            return
        super().mouseReleaseEvent(event)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        event.ignore()
        self.pasteBlocked.emit()

    def _keep_typed_only(self, text: str) -> None:
        """Undo any change that adds more than one character at once, whatever path it came by."""
        if len(text) > len(self._accepted) + 1:
            self.blockSignals(True)
            self.setText(self._accepted)
            self.blockSignals(False)
            self.pasteBlocked.emit()
            return
        self._accepted = text

    def reset(self) -> None:
        self._accepted = ""
        self.clear()


class ConfirmLiveDialog(QDialog):
    """Non-modal; opened with `open_for`. `confirmed` carries what was typed; the app answers with
    `accept()` (armed) or `show_error()` (the dialog stays open). Escape or Cancel emit `cancelled`."""

    confirmed = Signal(str, str)  # profile, the typed phrase
    cancelled = Signal(str)  # profile

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("confirmLiveDialog")
        self.setModal(False)
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.setWindowTitle("Arm LIVE trading")
        self.profile = ""
        self.phrase = ""

        self.warning = QLabel(self)
        self.warning.setObjectName("confirmWarning")
        self.warning.setTextFormat(Qt.TextFormat.PlainText)
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("background: #c0241c; color: #ffffff; font-weight: bold; padding: 8px;")
        self.account = QLabel(self)
        self.account.setObjectName("confirmAccount")
        self.account.setTextFormat(Qt.TextFormat.PlainText)
        self.instruction = QLabel("Type this phrase exactly (it cannot be pasted):", self)
        self.phrase_label = QLabel(self)
        self.phrase_label.setObjectName("confirmPhrase")
        self.phrase_label.setTextFormat(Qt.TextFormat.PlainText)
        self.phrase_label.setStyleSheet("font-family: monospace; font-size: 13pt; font-weight: bold;")
        self.phrase_label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.field = TypedOnlyLineEdit(self)
        self.field.setObjectName("confirmField")
        self.field.setAccessibleName("Type the confirmation phrase")
        self.field.setMinimumWidth(320)
        self.hint = QLabel(self)
        self.hint.setObjectName("confirmHint")
        self.hint.setProperty("role", "muted")
        self.hint.setTextFormat(Qt.TextFormat.PlainText)
        self.error = QLabel(self)
        self.error.setObjectName("confirmError")
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setWordWrap(True)
        self.error.setProperty("role", "error")
        self.error.hide()

        self.ok_button = QPushButton("Arm LIVE", self)
        self.ok_button.setObjectName("confirmLive")
        self.ok_button.setAutoDefault(False)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("cancelLive")
        self.cancel_button.setAutoDefault(False)
        self.ok_button.clicked.connect(self._confirm)
        self.cancel_button.clicked.connect(self.reject)
        self.rejected.connect(self._cancelled)
        self.field.textChanged.connect(self._sync_ok)
        self.field.returnPressed.connect(self._confirm)
        self.field.pasteBlocked.connect(self._say_paste_blocked)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.ok_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        for widget in (self.warning, self.account, self.instruction, self.phrase_label, self.field, self.hint):
            layout.addWidget(widget)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self._sync_ok()

    def open_for(self, profile: str, account_masked: str, phrase: str) -> None:
        """Start fresh for `profile` with the phrase the core issued for this arming; does not block."""
        self.profile, self.phrase = profile, phrase
        self.setWindowTitle(f"Arm LIVE trading for {profile}")
        self.warning.setText(f"LIVE sends real orders for {profile} to the broker.")
        self.account.setText(f"Account: {account_masked}" if account_masked else "Account: not resolved")
        self.phrase_label.setText(phrase)
        self.field.reset()
        self.hint.clear()
        self.error.clear()
        self.error.hide()
        self._sync_ok()
        self.show()  # not open(): Qt's open() makes a dialog window-modal
        self.raise_()
        self.activateWindow()
        self.field.setFocus()

    def show_error(self, text: str) -> None:
        """The core refused; say why and keep the dialog (and what was typed) open."""
        self.error.setText(text)
        self.error.show()
        self.show()

    def typed_matches(self) -> bool:
        return bool(self.phrase) and self.field.text() == self.phrase

    def _sync_ok(self) -> None:
        self.ok_button.setEnabled(self.typed_matches())
        if self.field.text() and not self.typed_matches():
            self.hint.setText("Not yet the phrase: it must match exactly, letter case and spaces included.")
        elif self.typed_matches():
            self.hint.setText("The phrase matches.")

    def _say_paste_blocked(self) -> None:
        self.hint.setText("Pasting is turned off here: type the phrase.")

    def _confirm(self) -> None:
        if self.typed_matches():
            self.error.hide()
            self.confirmed.emit(self.profile, self.field.text())

    def _cancelled(self) -> None:
        self.cancelled.emit(self.profile)

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        if not event.spontaneous():
            self.field.reset()
