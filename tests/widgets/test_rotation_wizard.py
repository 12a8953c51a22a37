"""The rotation wizard against the core's rotation values (mapped by app.rotation_rows, as the window does).

Every step renders from a journal; the parts to register copy exactly; hidden values are masked and
forgotten; progress lines come in; a failed proof refuses Finish and says why; an interrupted journal
offers resume or abort; archived sets are restored after one inline question.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics, QGuiApplication
from PySide6.QtWidgets import QLineEdit

from app.rotation_rows import (
    archived_at,
    discarded_result,
    failed_result,
    restored_result,
    rotation_view,
    switched_result,
)
from brokers.core.errors import BrokerError
from brokers.core.rotation import (
    ArchivedSet,
    RegisterPart,
    RotationFailed,
    RotationField,
    RotationStatus,
    RotationStep,
)
from brokers.ibkr.profile import IbkrProfile
from widgets.rotation_pages import REFUSED_TEXT
from widgets.rotation_view_models import Outcome, WizardPage
from widgets.rotation_wizard import RotationWizard

ROLLED_BACK = "Rolled back: the new credentials did not prove, so nothing was switched."
PROFILE = IbkrProfile(name="desk", label="Paper desk", base_url="https://api.ibkr.com/v1/api", consumer_key="TESTCONS1")
SIGNATURE_PEM = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo\n"
    "4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u\n"
    "+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyeh\n"
    "-----END PUBLIC KEY-----\n"
)
ENCRYPTION_PEM = SIGNATURE_PEM.replace("u1SU1", "x9QZ7")
SIGNATURE_FP = "3f:a1:07:c2:" * 7 + "3f:a1:07:c2"
ENCRYPTION_FP = "9b:00:e4:51:" * 7 + "9b:00:e4:51"
FIELDS = (
    RotationField("consumer_key", "Consumer key"),
    RotationField("access_token", "Access token"),
    RotationField("access_token_secret", "Access token secret", hidden=True),
)
ARCHIVES = (
    ArchivedSet("20260301T101500Z", 1772360100.0, "consumer key TESTCONS1, signature key SHA-256 ab:12:…"),
    ArchivedSet("20251201T090000Z", 1764579600.0, "consumer key TESTCONS0, signature key SHA-256 7c:e0:…"),
)
IDLE = RotationStatus(
    "desk", RotationStep.IDLE, last_result="rotated at 2026-03-01 10:15", next_step="Start a rotation when one is due."
)
STAGED = RotationStatus(
    "desk",
    RotationStep.STAGED,
    started_at=1772360100.0,
    register=(
        RegisterPart("Public signature key", SIGNATURE_FP, SIGNATURE_PEM),
        RegisterPart("Public encryption key", ENCRYPTION_FP, ENCRYPTION_PEM),
    ),
    fields=FIELDS,
    next_step="Register both public keys in the self-service portal, then enter what it issues.",
)
SECRET_ONLY = RotationStatus(
    "desk", RotationStep.STAGED, fields=(RotationField("app_secret", "New app secret", hidden=True),)
)
CUT_OFF_PROVING = RotationStatus("desk", RotationStep.PROVING, fields=FIELDS, interrupted=True)
CUT_OFF_ROLLBACK = RotationStatus("desk", RotationStep.ROLLING_BACK, interrupted=True)


@pytest.fixture
def wizard(qtbot):
    widget = RotationWizard()
    qtbot.addWidget(widget)
    return widget


def open_on(qtbot, wizard: RotationWizard, status: RotationStatus, archives=()) -> RotationWizard:
    wizard.open_for(rotation_view(PROFILE, status, archives))
    qtbot.waitExposed(wizard)
    return wizard


def page_of(wizard: RotationWizard) -> str:
    shown = [page.objectName() for page in wizard.pages.values() if page.isVisible()]
    assert len(shown) == 1
    return shown[0]


def monospaced(font: QFont) -> bool:
    """Every character as wide as the next: what makes a key or a fingerprint comparable by eye."""
    metrics = QFontMetrics(font)
    return metrics.horizontalAdvance("i" * 10) == metrics.horizontalAdvance("W" * 10)


def fill(wizard: RotationWizard, values: dict[str, str]) -> None:
    for name, value in values.items():
        wizard.paste_page.fields[name].setText(value)


def test_an_idle_journal_opens_at_start_with_the_last_result_and_the_archives(qtbot, wizard):
    open_on(qtbot, wizard, IDLE, ARCHIVES)
    assert not wizard.isModal()
    assert wizard.windowTitle() == "Rotate the credentials of Paper desk"
    assert page_of(wizard) == "page-start"
    assert wizard.steps.current == WizardPage.START
    assert wizard.stands.text() == "No rotation is under way: the active set is the only one."
    assert not wizard.guidance.isVisible()  # the wizard's own words say what Start does
    assert wizard.start_page.last_result.text() == "Last rotation: rotated at 2026-03-01 10:15"
    assert wizard.primary_button.text() == "Start"
    assert wizard.primary_button.isEnabled()
    assert not wizard.abort_button.isVisible()
    assert not wizard.banner.isVisible()
    assert wizard.archives.isVisible()
    assert wizard.archives.list.count() == 2
    assert wizard.archives.list.item(0).text() == f"{archived_at(ARCHIVES[0].archived_at)}   20260301T101500Z"
    assert not wizard.archives.summary.isVisible()
    wizard.archives.list.setCurrentRow(0)
    assert wizard.archives.summary.isVisible()
    assert wizard.archives.summary.text() == ARCHIVES[0].summary
    assert "brokerdeck keys restore desk ARCHIVE" in wizard.archives.explain.text()


def test_start_asks_for_new_credentials_and_says_what_it_does_while_it_runs(qtbot, wizard):
    open_on(qtbot, wizard, IDLE)
    wizard.start_page.new_dh.setChecked(True)
    with qtbot.waitSignal(wizard.startRequested, timeout=1000) as started:
        qtbot.mouseClick(wizard.primary_button, Qt.MouseButton.LeftButton)
    assert started.args == ["desk", True]
    wizard.show_busy(WizardPage.START, "Making new credentials…")
    wizard.add_progress("Generating the signature key…")
    assert wizard.start_page.progress.isVisible()
    assert wizard.start_page.progress.text() == "Generating the signature key…"
    assert not wizard.primary_button.isEnabled()
    assert not wizard.start_page.new_dh.isEnabled()


def test_a_staged_journal_shows_each_part_to_register_in_monospace_and_selectable(qtbot, wizard):
    open_on(qtbot, wizard, STAGED)
    assert page_of(wizard) == "page-register"
    assert wizard.steps.current == WizardPage.REGISTER
    assert wizard.primary_button.text() == "Next"
    assert wizard.abort_button.isVisible()
    assert not wizard.archives.isVisible()
    assert [box.title.text() for box in wizard.register_page.boxes] == ["Public signature key", "Public encryption key"]
    signature = wizard.register_page.boxes[0]
    assert signature.text.toPlainText() == SIGNATURE_PEM.rstrip("\n")
    assert signature.copy_text.payload == SIGNATURE_PEM
    assert signature.text.isReadOnly()
    assert monospaced(signature.text.font())
    assert monospaced(signature.fingerprint.font())
    assert signature.fingerprint_caption.text() == "SHA-256 fingerprint"
    assert signature.fingerprint.text().replace("\n", ":") == SIGNATURE_FP  # two lines of 16 pairs on screen
    assert [len(line.split(":")) for line in signature.fingerprint.text().splitlines()] == [16, 16]
    assert signature.fingerprint.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    assert signature.text.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse


def test_copy_buttons_put_the_exact_text_and_fingerprint_on_the_clipboard(qtbot, wizard):
    open_on(qtbot, wizard, STAGED)
    clipboard = QGuiApplication.clipboard()
    encryption = wizard.register_page.boxes[1]
    clipboard.setText("something else")
    qtbot.mouseClick(encryption.copy_text, Qt.MouseButton.LeftButton)
    assert clipboard.text() == ENCRYPTION_PEM
    assert encryption.copy_text.text() == "Copied"
    qtbot.mouseClick(encryption.copy_fingerprint, Qt.MouseButton.LeftButton)
    assert clipboard.text() == ENCRYPTION_FP
    qtbot.mouseClick(wizard.register_page.boxes[0].copy_fingerprint, Qt.MouseButton.LeftButton)
    assert clipboard.text() == SIGNATURE_FP
    qtbot.waitUntil(lambda: encryption.copy_text.text() == "Copy text", timeout=5000)


def test_next_leads_to_the_fields_and_hidden_ones_are_masked(qtbot, wizard):
    open_on(qtbot, wizard, STAGED)
    qtbot.mouseClick(wizard.primary_button, Qt.MouseButton.LeftButton)
    assert page_of(wizard) == "page-paste"
    assert wizard.steps.current == WizardPage.PASTE
    assert wizard.back_button.isVisible()
    echo = {name: edit.echoMode() for name, edit in wizard.paste_page.fields.items()}
    assert echo == {
        "consumer_key": QLineEdit.EchoMode.Normal,
        "access_token": QLineEdit.EchoMode.Normal,
        "access_token_secret": QLineEdit.EchoMode.Password,
    }
    labels = [wizard.paste_page.form.labelForField(edit).text() for edit in wizard.paste_page.fields.values()]
    assert labels == ["Consumer key:", "Access token:", "Access token secret:"]
    qtbot.mouseClick(wizard.back_button, Qt.MouseButton.LeftButton)
    assert page_of(wizard) == "page-register"


def test_confirm_waits_for_every_field_then_hands_them_over_once(qtbot, wizard):
    open_on(qtbot, wizard, STAGED)
    qtbot.mouseClick(wizard.primary_button, Qt.MouseButton.LeftButton)
    assert wizard.primary_button.text() == "Confirm and prove"
    fill(wizard, {"consumer_key": "NEWCONS01", "access_token": "tok-123"})
    assert not wizard.primary_button.isEnabled()
    qtbot.keyClicks(wizard.paste_page.fields["access_token_secret"], "s3cr3t")
    assert wizard.primary_button.isEnabled()
    with qtbot.waitSignal(wizard.confirmRequested, timeout=1000) as confirmed:
        qtbot.mouseClick(wizard.primary_button, Qt.MouseButton.LeftButton)
    assert confirmed.args == [
        "desk",
        {"consumer_key": "NEWCONS01", "access_token": "tok-123", "access_token_secret": "s3cr3t"},
    ]
    assert wizard.paste_page.fields["access_token_secret"].text() == ""  # the secret is not kept once handed over
    assert wizard.paste_page.fields["consumer_key"].text() == "NEWCONS01"


def test_closing_forgets_every_field(qtbot, wizard):
    open_on(qtbot, wizard, STAGED)
    fill(wizard, {"consumer_key": "NEWCONS01", "access_token": "tok-123", "access_token_secret": "s3cr3t"})
    qtbot.mouseClick(wizard.close_button, Qt.MouseButton.LeftButton)
    assert not wizard.isVisible()
    assert wizard.paste_page.answers() == {"consumer_key": "", "access_token": "", "access_token_secret": ""}


def test_with_nothing_to_register_a_staged_journal_opens_at_the_fields(qtbot, wizard):
    open_on(qtbot, wizard, SECRET_ONLY)
    assert page_of(wizard) == "page-paste"
    assert not wizard.back_button.isVisible()
    assert wizard.paste_page.fields["app_secret"].echoMode() == QLineEdit.EchoMode.Password


def test_a_staged_journal_that_asks_nothing_here_shows_the_cores_next_step(qtbot, wizard):
    signing_in = RotationStatus(
        "desk", RotationStep.STAGED, next_step="Sign in with the new client: press Reconnect, then confirm."
    )
    open_on(qtbot, wizard, signing_in)
    assert page_of(wizard) == "page-paste"
    assert wizard.guidance.isVisible()
    assert wizard.guidance.text() == "Sign in with the new client: press Reconnect, then confirm."
    assert not wizard.paste_page.intro.isVisible()
    assert wizard.primary_button.isEnabled()
    with qtbot.waitSignal(wizard.confirmRequested, timeout=1000) as confirmed:
        qtbot.mouseClick(wizard.primary_button, Qt.MouseButton.LeftButton)
    assert confirmed.args == ["desk", {}]


def test_proving_shows_the_progress_lines_as_they_come(qtbot, wizard):
    open_on(qtbot, wizard, STAGED)
    wizard.show_busy(WizardPage.PROVING, "Proving the new credentials with the broker…")
    for line in ("Minting a live session token with the new set…", "Asking /iserver/auth/status…"):
        wizard.add_progress(line)
    assert page_of(wizard) == "page-proving"
    assert wizard.steps.current == WizardPage.PROVING
    assert wizard.progress.isVisible()
    assert [wizard.progress.item(i).text() for i in range(wizard.progress.count())] == [
        "Proving the new credentials with the broker…",
        "Minting a live session token with the new set…",
        "Asking /iserver/auth/status…",
    ]
    assert not wizard.primary_button.isVisible()
    assert not wizard.abort_button.isEnabled()


def test_a_switch_shows_the_result_and_finish_closes(qtbot, wizard):
    open_on(qtbot, wizard, STAGED)
    wizard.show_busy(WizardPage.PROVING, "Proving…")
    done = RotationStatus("desk", RotationStep.IDLE, last_result="rotated at 2026-11-26 10:00")
    wizard.show_result(switched_result(done), rotation_view(PROFILE, done, ARCHIVES))
    assert page_of(wizard) == "page-result"
    assert wizard.steps.current == WizardPage.RESULT
    assert wizard.result_page.headline.text() == "Switched: the new credentials proved and are active now."
    assert wizard.result_page.detail.text() == "rotated at 2026-11-26 10:00"
    assert wizard.archives.isVisible()
    assert wizard.primary_button.text() == "Finish"
    assert wizard.primary_button.isEnabled()
    assert not wizard.result_page.refusal.isVisible()
    assert wizard.progress.isVisible()  # how it got there stays readable
    qtbot.mouseClick(wizard.primary_button, Qt.MouseButton.LeftButton)
    assert not wizard.isVisible()


def test_finish_is_refused_after_a_failed_proof_and_the_wizard_says_why(qtbot, wizard):
    open_on(qtbot, wizard, STAGED)
    error = RotationFailed("the new access token was refused by /iserver/auth/status (401)")
    wizard.show_result(failed_result(error, STAGED), rotation_view(PROFILE, STAGED, ()))
    assert wizard.outcome is not None
    assert wizard.outcome.outcome == Outcome.ROLLED_BACK
    assert (
        wizard.result_page.headline.text() == "Rolled back: the new credentials did not prove, so nothing was switched."
    )
    assert wizard.result_page.detail.text() == "The new access token was refused by /iserver/auth/status (401)."
    assert (
        wizard.result_page.advice.text()
        == "Read why above, then Try again with what is still staged, or abort the rotation."
    )
    assert wizard.abort_button.isVisible()
    assert wizard.primary_button.text() == "Finish"
    assert not wizard.primary_button.isEnabled()
    assert wizard.result_page.refusal.isVisible()
    assert wizard.result_page.refusal.text() == REFUSED_TEXT
    assert wizard.finish() is False
    assert wizard.isVisible()
    qtbot.keyClick(wizard, Qt.Key.Key_Return)  # no default button finishes it either
    assert wizard.isVisible()

    assert wizard.again_button.isVisible()
    qtbot.mouseClick(wizard.again_button, Qt.MouseButton.LeftButton)
    assert page_of(wizard) == "page-register"  # the new set is still staged: correct what was entered


def test_neither_set_proving_says_what_to_do_and_refuses_finish(qtbot, wizard):
    open_on(qtbot, wizard, STAGED)
    error = BrokerError("the old set's live session token was refused (401)")
    result = failed_result(error, CUT_OFF_ROLLBACK)
    assert result is not None
    wizard.show_result(result, rotation_view(PROFILE, CUT_OFF_ROLLBACK, ARCHIVES))
    assert wizard.result_page.headline.text().startswith("Neither set proved")
    assert "restore an archived set" in wizard.result_page.advice.text()
    assert wizard.archives.isVisible()
    assert not wizard.primary_button.isEnabled()
    assert wizard.result_page.refusal.isVisible()
    qtbot.mouseClick(wizard.again_button, Qt.MouseButton.LeftButton)
    assert page_of(wizard) == "page-proving"
    assert wizard.resume_button.isVisible()


def test_a_refused_step_is_no_result(qtbot, wizard):
    assert failed_result(BrokerError("nothing is staged"), IDLE) is None
    open_on(qtbot, wizard, STAGED)
    wizard.show_busy(WizardPage.PROVING, "Proving…")
    wizard.show_error("the access token is not one IBKR issues")
    assert wizard.error.isVisible()
    assert page_of(wizard) == "page-register"
    assert wizard.primary_button.isEnabled()
    wizard.show_error("the access token is not one IBKR issues", WizardPage.PASTE)
    assert page_of(wizard) == "page-paste"


def test_an_interrupted_journal_offers_resume_or_abort(qtbot, wizard):
    open_on(qtbot, wizard, CUT_OFF_PROVING)
    assert page_of(wizard) == "page-proving"
    assert wizard.banner.isVisible()
    assert "cut off" in wizard.banner_text.text()
    assert wizard.resume_button.isVisible()
    assert wizard.abort_button.isVisible()
    with qtbot.waitSignal(wizard.resumeRequested, timeout=1000) as resumed:
        qtbot.mouseClick(wizard.resume_button, Qt.MouseButton.LeftButton)
    assert resumed.args == ["desk"]
    with qtbot.waitSignal(wizard.abortRequested, timeout=1000) as aborted:
        qtbot.mouseClick(wizard.abort_button, Qt.MouseButton.LeftButton)
    assert aborted.args == ["desk"]


def test_an_interrupted_start_can_only_be_carried_on_or_aborted(qtbot, wizard):
    open_on(qtbot, wizard, RotationStatus("desk", RotationStep.STAGED, register=STAGED.register, interrupted=True))
    assert page_of(wizard) == "page-register"
    assert wizard.banner.isVisible()
    assert not wizard.resume_button.isVisible()
    assert "carry on below" in wizard.banner_text.text()


def test_an_abort_ends_in_a_result_that_finishes(qtbot, wizard):
    open_on(qtbot, wizard, STAGED)
    wizard.show_result(discarded_result(), rotation_view(PROFILE, IDLE, ()))
    assert wizard.result_page.headline.text().startswith("Discarded")
    assert wizard.primary_button.isEnabled()
    assert not wizard.abort_button.isVisible()


def test_restore_asks_inline_then_names_the_archive(qtbot, wizard):
    open_on(qtbot, wizard, IDLE, ARCHIVES)
    archives = wizard.archives
    assert not archives.restore_button.isEnabled()
    archives.list.setCurrentRow(1)
    qtbot.mouseClick(archives.restore_button, Qt.MouseButton.LeftButton)
    assert archives.confirm.isVisible()
    assert "proven first" in archives.confirm_text.text()
    button = archives.confirm_button  # the wizard grew to hold the question: nothing is squeezed away
    qtbot.waitUntil(lambda: button.height() >= button.minimumSizeHint().height(), timeout=2000)
    qtbot.mouseClick(archives.keep_button, Qt.MouseButton.LeftButton)
    assert not archives.confirm.isVisible()
    qtbot.mouseClick(archives.restore_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(wizard.restoreRequested, timeout=1000) as restored:
        qtbot.mouseClick(archives.confirm_button, Qt.MouseButton.LeftButton)
    assert restored.args == ["desk", "20251201T090000Z"]
    wizard.show_busy(WizardPage.PROVING, "Proving the archived set…")
    assert not archives.isVisible()
    assert not archives.restore_button.isEnabled()
    restored_view = rotation_view(PROFILE, IDLE, ())
    wizard.show_result(restored_result("desk uses the set archived 2025-12-01 again."), restored_view)
    assert wizard.result_page.headline.text() == "Restored: the archived set proved and is active again."
    assert wizard.primary_button.isEnabled()


def test_without_archives_it_says_how_they_come(qtbot, wizard):
    open_on(qtbot, wizard, IDLE)
    assert not wizard.archives.list.isVisible()
    assert not wizard.archives.restore_button.isVisible()
    assert wizard.archives.explain.text().startswith("No set is archived yet")
