"""The broker's question about an order: the safe answer ("Do not send") is the default and Escape's."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from widgets.order_question_dialog import OrderQuestionDialog
from widgets.trading_views import QuestionView

QUESTION = QuestionView(
    key="k-1",
    order_label="BUY 100 AAPL LMT 190.00 (LIVE, ••••4567)",
    messages=("You are submitting an order without market data.", "The price is far from the last trade."),
    message_ids=("o354", "o403"),
)


@pytest.fixture
def dialog(qtbot):
    widget = OrderQuestionDialog()
    qtbot.addWidget(widget)
    widget.open_for(QUESTION)
    qtbot.waitExposed(widget)
    return widget


def test_shows_the_order_the_messages_and_their_ids_without_blocking(dialog):
    assert dialog.isVisible()
    assert not dialog.isModal()
    assert QApplication.activeModalWidget() is None
    assert dialog.order_label.text() == QUESTION.order_label
    assert "without market data" in dialog.messages.text()
    assert "far from the last trade" in dialog.messages.text()
    assert dialog.message_ids.text() == "Message ids: o354, o403"


def test_do_not_send_is_the_default(dialog):
    assert dialog.decline_button.isDefault()
    assert not dialog.send_button.isDefault()
    assert not dialog.send_button.autoDefault()


def test_enter_does_not_send(qtbot, dialog):
    with qtbot.waitSignal(dialog.answered, timeout=1000) as signal:
        qtbot.keyClick(dialog, Qt.Key.Key_Return)
    assert signal.args == ["k-1", False]
    assert not dialog.isVisible()


def test_escape_does_not_send(qtbot, dialog):
    with qtbot.waitSignal(dialog.answered, timeout=1000) as signal:
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert signal.args == ["k-1", False]


def test_send_answers_once(qtbot, dialog):
    answers = []
    dialog.answered.connect(lambda key, confirm: answers.append((key, confirm)))
    qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    dialog.reject()
    assert answers == [("k-1", True)]
    assert not dialog.isVisible()
