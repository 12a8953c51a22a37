"""The broker's question about an order, put to the trader: send it anyway, or not.

Brokers ask before they accept some orders (no market data, a price far from the market, a size over a
precaution). Only the trader may answer those, so the safe answer is the easy one: "Do not send" is the
default button, and Escape or closing the dialog mean the same.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from widgets.trading_views import QuestionView


class OrderQuestionDialog(QDialog):
    """Non-modal; opened with `open_for`. Emits `answered` once per question."""

    answered = Signal(str, bool)  # the order's key, whether to send it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("orderQuestionDialog")
        self.setModal(False)
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.setWindowTitle("The broker asks about an order")
        self.view: QuestionView | None = None
        self._answered = True

        self.order_label = QLabel(self)
        self.order_label.setObjectName("questionOrder")
        self.order_label.setTextFormat(Qt.TextFormat.PlainText)
        self.order_label.setStyleSheet("font-weight: bold;")
        self.order_label.setWordWrap(True)
        self.messages = QLabel(self)
        self.messages.setObjectName("questionMessages")
        self.messages.setTextFormat(Qt.TextFormat.PlainText)
        self.messages.setWordWrap(True)
        self.messages.setMinimumWidth(420)
        self.messages.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_ids = QLabel(self)
        self.message_ids.setObjectName("questionIds")
        self.message_ids.setTextFormat(Qt.TextFormat.PlainText)
        self.message_ids.setProperty("role", "muted")

        self.send_button = QPushButton("Send the order", self)
        self.send_button.setObjectName("sendOrder")
        self.send_button.setAutoDefault(False)
        self.decline_button = QPushButton("Do not send", self)
        self.decline_button.setObjectName("doNotSend")
        self.decline_button.setAutoDefault(True)
        self.decline_button.setDefault(True)
        self.send_button.clicked.connect(self._send)
        self.decline_button.clicked.connect(self.reject)
        self.rejected.connect(self._decline)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.decline_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.order_label)
        layout.addWidget(self.messages)
        layout.addWidget(self.message_ids)
        layout.addLayout(buttons)

    def open_for(self, view: QuestionView) -> None:
        """Put `view`'s question; the focus starts on "Do not send"."""
        self.view = view
        self._answered = False
        self.order_label.setText(view.order_label)
        self.messages.setText("\n\n".join(view.messages))
        ids = ", ".join(view.message_ids)
        self.message_ids.setText(f"Message id{'s' if len(view.message_ids) > 1 else ''}: {ids}" if ids else "")
        self.show()  # not open(): Qt's open() makes a dialog window-modal
        self.raise_()
        self.activateWindow()
        self.decline_button.setFocus()

    def _send(self) -> None:
        self._answer(confirm=True)
        self.accept()

    def _decline(self) -> None:
        self._answer(confirm=False)

    def _answer(self, *, confirm: bool) -> None:
        if self.view is not None and not self._answered:
            self._answered = True
            self.answered.emit(self.view.key, confirm)
