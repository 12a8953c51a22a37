"""Pasting the redirected address: non-modal, submit only with text, errors keep what was pasted."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton

from widgets.paste_url_dialog import PasteUrlDialog

HINT = "http://127.0.0.1:53121/callback/sandbox-oauth2"
PASTED = f"{HINT}?code=one-time-code&state=s1"


@pytest.fixture
def dialog(qtbot):
    widget = PasteUrlDialog()
    qtbot.addWidget(widget)
    widget.open_for("sandbox-oauth2", "Sandbox OAuth", HINT)
    qtbot.waitExposed(widget)
    return widget


def test_opens_non_modal_and_explains_what_to_paste(dialog):
    assert dialog.objectName() == "pasteUrlDialog"
    assert dialog.isVisible()
    assert not dialog.isModal()
    assert dialog.intro.text() == (
        f"After you approve, your browser is sent to an address that starts with {HINT}. If that page did not "
        "load, copy the whole address from the browser's address bar and paste it here."
    )
    assert dialog.findChild(QLineEdit, "pastedUrl").text() == ""
    assert dialog.findChild(QLabel, "pasteError").isHidden()


def test_submit_is_disabled_while_the_field_is_empty(qtbot, dialog):
    submit = dialog.findChild(QPushButton, "submitPastedUrl")
    assert submit.text() == "Use this address"
    assert not submit.isEnabled()
    qtbot.keyClicks(dialog.field, "   ")
    assert not submit.isEnabled()
    qtbot.keyClicks(dialog.field, "x")
    assert submit.isEnabled()


def test_submitted_carries_the_profile_and_the_stripped_text(qtbot, dialog):
    dialog.field.setText(f"  {PASTED}\n ")
    with qtbot.waitSignal(dialog.submitted, timeout=1000) as signal:
        qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    assert signal.args == ["sandbox-oauth2", PASTED]
    assert dialog.isVisible()  # the app decides when it is done


def test_enter_submits_too(qtbot, dialog):
    qtbot.keyClicks(dialog.field, PASTED)
    with qtbot.waitSignal(dialog.submitted, timeout=1000) as signal:
        qtbot.keyClick(dialog.field, Qt.Key.Key_Return)
    assert signal.args == ["sandbox-oauth2", PASTED]


def test_show_error_keeps_the_dialog_and_the_pasted_text(qtbot, dialog):
    dialog.field.setText(PASTED)
    dialog.show_error("The state does not match this sign-in; paste the address from the latest attempt.")
    error = dialog.findChild(QLabel, "pasteError")
    assert not error.isHidden()
    assert error.text().startswith("The state does not match")
    assert dialog.isVisible()
    assert dialog.field.text() == PASTED
    with qtbot.waitSignal(dialog.submitted, timeout=1000):
        qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    assert error.isHidden()  # a new attempt clears the old message


def test_reopening_starts_fresh_and_closing_forgets_the_code(dialog):
    dialog.field.setText(PASTED)
    dialog.show_error("wrong")
    dialog.accept()
    assert not dialog.isVisible()
    assert dialog.field.text() == ""
    dialog.open_for("other", "Other", "http://127.0.0.1:1/callback/other")
    assert dialog.profile == "other"
    assert dialog.error.isHidden()
    assert "http://127.0.0.1:1/callback/other" in dialog.intro.text()


def test_cancel_closes_without_submitting(qtbot, dialog):
    dialog.field.setText(PASTED)
    with qtbot.assertNotEmitted(dialog.submitted), qtbot.waitSignal(dialog.rejected, timeout=1000):
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
