"""The typed confirmation that arms LIVE: only the exact phrase, typed by hand, enables OK."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QEvent, QMimeData, QPointF, Qt
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication, QLineEdit

from widgets.confirm_live_dialog import ConfirmLiveDialog

PHRASE = "LIVE DU1234567"


@pytest.fixture
def dialog(qtbot):
    widget = ConfirmLiveDialog()
    qtbot.addWidget(widget)
    widget.open_for("ibkr-paper", "••••4567", PHRASE)
    qtbot.waitExposed(widget)
    return widget


def near_misses() -> st.SearchStrategy[str]:
    """What a hurried trader might type instead: another case, stray spaces, another account, a slip."""
    return st.one_of(
        st.just(PHRASE.lower()),
        st.just(PHRASE.title()),
        st.just(f" {PHRASE}"),
        st.just(f"{PHRASE} "),
        st.just(PHRASE.replace(" ", "  ")),
        st.just(PHRASE.replace(" ", "")),
        st.just("LIVE DU7654321"),
        st.just("LIVE U1234567"),
        st.integers(0, len(PHRASE) - 1).map(lambda n: PHRASE[:n]),
        st.tuples(st.integers(0, len(PHRASE) - 1), st.sampled_from("ABCXYZ0189 lv")).map(
            lambda cut: PHRASE[: cut[0]] + cut[1] + PHRASE[cut[0] + 1 :]
        ),
        st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=20),
    )


def test_opens_non_modal_and_shows_the_account_and_the_phrase(qtbot, dialog):
    assert dialog.isVisible()
    assert not dialog.isModal()
    assert dialog.windowModality() == Qt.WindowModality.NonModal
    assert QApplication.activeModalWidget() is None
    assert dialog.account.text() == "Account: ••••4567"
    assert dialog.phrase_label.text() == PHRASE
    assert "ibkr-paper" in dialog.warning.text()
    assert not dialog.ok_button.isEnabled()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=near_misses())
def test_only_the_exact_phrase_enables_ok(qtbot, dialog, typed):
    dialog.field.reset()
    qtbot.keyClicks(dialog.field, typed)
    assert dialog.field.text() == typed  # typed by hand, one character at a time, it is taken
    assert dialog.ok_button.isEnabled() == (typed == PHRASE)


def test_the_exact_phrase_enables_ok_and_ok_sends_what_was_typed(qtbot, dialog):
    qtbot.keyClicks(dialog.field, PHRASE)
    assert dialog.ok_button.isEnabled()
    with qtbot.waitSignal(dialog.confirmed, timeout=1000) as signal:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert signal.args == ["ibkr-paper", PHRASE]
    assert dialog.isVisible()  # the core answers: accept() or show_error()


def test_a_refusal_from_the_core_keeps_the_dialog_open(qtbot, dialog):
    qtbot.keyClicks(dialog.field, PHRASE)
    dialog.show_error("The phrase is from an earlier arming; a new one was issued.")
    assert dialog.isVisible()
    assert dialog.error.isVisible()
    assert dialog.error.text() == "The phrase is from an earlier arming; a new one was issued."
    assert dialog.field.text() == PHRASE


@pytest.mark.parametrize(
    ("key", "modifiers"),
    [
        (Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier),
        (Qt.Key.Key_Insert, Qt.KeyboardModifier.ShiftModifier),
        (Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier),
    ],
)
def test_the_paste_keys_paste_nothing(qtbot, dialog, key, modifiers):
    QApplication.clipboard().setText(PHRASE)
    plain = QLineEdit()  # the control: the same keys do paste into an ordinary field
    qtbot.addWidget(plain)
    qtbot.keyClick(plain, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert plain.text() == PHRASE
    qtbot.keyClick(dialog.field, key, modifiers)
    assert dialog.field.text() == ""
    assert not dialog.ok_button.isEnabled()
    assert "type the phrase" in dialog.hint.text()


def test_there_is_no_context_menu_to_paste_from_and_no_drop(qtbot, dialog):
    assert dialog.field.contextMenuPolicy() == Qt.ContextMenuPolicy.NoContextMenu
    assert not dialog.field.acceptDrops()
    mime = QMimeData()
    mime.setText(PHRASE)
    drop = QDropEvent(
        QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(dialog.field, drop)
    assert dialog.field.text() == ""


def test_a_middle_click_pastes_nothing(qtbot, dialog):
    QApplication.clipboard().setText(PHRASE)
    qtbot.mouseClick(dialog.field, Qt.MouseButton.MiddleButton)
    assert dialog.field.text() == ""


def test_text_arriving_all_at_once_by_any_other_path_is_undone(qtbot, dialog):
    dialog.field.insert(PHRASE)
    assert dialog.field.text() == ""
    assert not dialog.ok_button.isEnabled()
    qtbot.keyClicks(dialog.field, "LIVE")
    dialog.field.insert(" DU1234567")
    assert dialog.field.text() == "LIVE"


def test_escape_cancels(qtbot, dialog):
    qtbot.keyClicks(dialog.field, PHRASE[:4])
    with qtbot.waitSignal(dialog.cancelled, timeout=1000) as signal:
        qtbot.keyClick(dialog.field, Qt.Key.Key_Escape)
    assert signal.args == ["ibkr-paper"]
    assert not dialog.isVisible()
    assert dialog.field.text() == ""  # what was typed is forgotten


def test_enter_with_a_near_miss_confirms_nothing(qtbot, dialog):
    qtbot.keyClicks(dialog.field, PHRASE.lower())
    with qtbot.assertNotEmitted(dialog.confirmed):
        qtbot.keyClick(dialog.field, Qt.Key.Key_Return)
    assert dialog.isVisible()


def test_the_paste_keys_are_refused_before_any_shortcut_sees_them(dialog):
    from PySide6.QtGui import QKeyEvent

    override = QKeyEvent(QEvent.Type.ShortcutOverride, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier, "v")
    QApplication.sendEvent(dialog.field, override)
    assert override.isAccepted()
