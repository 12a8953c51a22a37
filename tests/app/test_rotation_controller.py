"""The rotation wizard in the window, end to end: the real controllers, a real sandbox process and a vault on the
real keyring. The sandbox IBKR profile is rotated from Profile > Rotate keys…: start, the portal step over HTTP
with exactly what the wizard copies, confirm, the result; a token the portal issued to fail rolls back; the
archived set is restored; and a rotation a SIGKILL cut off (in a real subprocess) is resumed or aborted.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from app.context import AppContext
from app.operations import Operations
from app.rotation_controller import RotationController
from app.status_controller import StatusController
from brokers.core.published import published_file
from brokers.core.rotation import RegisterPart, RotationStatus, RotationStep
from brokers.ibkr.credentials import stored_access_token
from brokers.ibkr.sandbox_setup import register_rotation
from tests.brokers.ibkr.rotation_peer import CONSUMER_KEY, PROFILE, control, sandbox_profile
from tests.conftest import REPO_ROOT, run_on_qt_loop
from tests.sandbox_runner import SandboxRunner
from widgets.main_window import MainWindow
from widgets.rotation_pages import REFUSED_TEXT
from widgets.rotation_view_models import Outcome, WizardPage
from widgets.rotation_wizard import RotationWizard
from widgets.severity import severity_color

pytestmark = pytest.mark.secretservice

ROLLED_BACK = "Rolled back: the new credentials did not prove, so nothing was switched."


@pytest.fixture(scope="module")
def module_sandbox() -> Iterator[SandboxRunner]:
    runner = SandboxRunner()
    yield runner
    runner.close()


@pytest.fixture
def window(home, vault, module_sandbox, qloop, qtbot):
    """The window with its status and rotation controllers wired as the app wires them, on the module's sandbox;
    the sandbox IBKR profile is connected (its session set it up in the sandbox portal) and selected."""
    home.sandbox_endpoints_file.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(module_sandbox.endpoints_file, home.sandbox_endpoints_file)
    window = MainWindow()  # owned here: the controller is stopped while its window still exists
    window.show()
    errors: list[BaseException] = []
    operations = Operations(errors.append)
    status = StatusController(AppContext(home), vault, window, operations)
    rotation = RotationController(AppContext(home).registry, vault, window, operations, status.profiles)
    rotation.follow(status)
    status.start()
    try:
        qtbot.waitUntil(lambda: state_of(window, PROFILE) == "Active", timeout=30_000)
        window.show_profile_detail(PROFILE)
        yield window, rotation, status
    finally:
        try:
            run_on_qt_loop(qloop, qtbot, status.stop())
        finally:
            window.close()
            window.deleteLater()
    assert errors == []


def state_of(window: MainWindow, name: str) -> str:
    model = window.connection_panel.model
    rows = [model.row_object(r) for r in range(model.rowCount())]
    return next((r.state for r in rows if r.name == name), "")


def lst_minted_at(home) -> float:
    return float(json.loads(published_file(home.data_dir, PROFILE).read_text())["snapshot"]["lst_minted_at"])


def open_and_start(qtbot, window: MainWindow, rotation: RotationController) -> RotationWizard:
    """Profile > Rotate keys…, then Start: the wizard waits at the parts to register."""
    action = window.rotate_keys_action
    qtbot.waitUntil(action.isEnabled, timeout=5000)  # the IBKR connector rotates; the menu follows the selection
    assert action.text() == f"Rotate &keys of {PROFILE}…"
    action.trigger()
    wizard = rotation.wizard
    qtbot.waitUntil(lambda: wizard.isVisible() and wizard.page == WizardPage.START, timeout=10_000)
    assert wizard.heading.text() == f"Rotate the credentials of IBKR (sandbox) ({PROFILE})"
    qtbot.mouseClick(wizard.primary_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.page == WizardPage.REGISTER and not wizard.busy, timeout=30_000)
    assert wizard.error.isHidden(), wizard.error.text()
    return wizard


def portal_step(qtbot, wizard: RotationWizard, sandbox: SandboxRunner) -> dict[str, str]:
    """What the trader does in IBKR's portal: paste what the wizard's copy buttons copy; what the portal issues."""
    clipboard = QGuiApplication.clipboard()
    parts = []
    for box in wizard.register_page.boxes:
        qtbot.mouseClick(box.copy_text, Qt.MouseButton.LeftButton)
        text = clipboard.text()
        qtbot.mouseClick(box.copy_fingerprint, Qt.MouseButton.LeftButton)
        parts.append(RegisterPart(box.title.text(), clipboard.text(), text))
    assert [part.label for part in parts] == [
        "Public signature key",
        "Public encryption key",
        "Diffie-Hellman parameters, unchanged",
    ]
    staged = RotationStatus(PROFILE, RotationStep.STAGED, register=tuple(parts))
    return register_rotation(sandbox.services["ibkr"], CONSUMER_KEY, staged)


def enter_and_confirm(qtbot, wizard: RotationWizard, issued: dict[str, str]) -> None:
    qtbot.mouseClick(wizard.primary_button, Qt.MouseButton.LeftButton)  # Next
    assert wizard.page == WizardPage.PASTE
    assert wizard.paste_page.fields["consumer_key"].text() == CONSUMER_KEY  # the profile's, filled in
    for name in ("access_token", "access_token_secret"):
        wizard.paste_page.fields[name].setText(issued[name])  # pasted from the portal's page
    qtbot.mouseClick(wizard.primary_button, Qt.MouseButton.LeftButton)  # Confirm and prove
    assert wizard.page == WizardPage.PROVING
    assert wizard.paste_page.fields["access_token_secret"].text() == ""  # handed over, not kept


def progress_lines(wizard: RotationWizard) -> list[str]:
    return [wizard.progress.item(i).text() for i in range(wizard.progress.count())]


def test_a_rotation_from_the_menu_switches_and_the_running_session_follows(window, home, vault, module_sandbox, qtbot):
    window, rotation, _status = window
    old_token = stored_access_token(vault, PROFILE)
    minted = lst_minted_at(home)
    wizard = open_and_start(qtbot, window, rotation)
    issued = portal_step(qtbot, wizard, module_sandbox)
    enter_and_confirm(qtbot, wizard, issued)

    qtbot.waitUntil(lambda: wizard.page == WizardPage.RESULT and not wizard.busy, timeout=30_000)
    assert wizard.outcome is not None
    assert wizard.outcome.outcome == Outcome.SWITCHED, wizard.result_page.detail.text()
    assert wizard.result_page.headline.text() == "Switched: the new credentials proved and are active now."
    assert wizard.result_page.detail.text().startswith("Rotated at ")
    assert any("/iserver/auth/status" in line for line in progress_lines(wizard))
    assert wizard.archives.list.count() == 1  # the old set, ready to restore
    assert wizard.primary_button.text() == "Finish"
    assert wizard.primary_button.isEnabled()
    assert stored_access_token(vault, PROFILE) == issued["access_token"] != old_token

    # the running session moves to the new set with one reconnect: a new LST, and the profile stays Active
    qtbot.waitUntil(lambda: lst_minted_at(home) != minted, timeout=30_000)
    qtbot.waitUntil(lambda: state_of(window, PROFILE) == "Active", timeout=30_000)

    qtbot.mouseClick(wizard.primary_button, Qt.MouseButton.LeftButton)
    assert not wizard.isVisible()
    assert all(not edit.text() for edit in wizard.paste_page.fields.values())


def test_a_token_that_fails_validation_rolls_back_and_finish_is_refused(window, vault, module_sandbox, qtbot):
    window, rotation, _status = window
    old_token = stored_access_token(vault, PROFILE)
    wizard = open_and_start(qtbot, window, rotation)
    control(module_sandbox.endpoints, fail_next_token=True)  # the portal's next token will not prove
    issued = portal_step(qtbot, wizard, module_sandbox)
    enter_and_confirm(qtbot, wizard, issued)

    qtbot.waitUntil(lambda: wizard.page == WizardPage.RESULT and not wizard.busy, timeout=30_000)
    assert wizard.outcome is not None
    assert wizard.outcome.outcome == Outcome.ROLLED_BACK
    assert (
        wizard.result_page.headline.text() == "Rolled back: the new credentials did not prove, so nothing was switched."
    )
    assert "The new credentials did not prove" in wizard.result_page.detail.text()
    assert "still mints a live session token" in wizard.result_page.detail.text()
    assert any(line.startswith("Rolling back") for line in progress_lines(wizard))
    assert not wizard.primary_button.isEnabled()
    assert wizard.result_page.refusal.isVisible()
    assert wizard.result_page.refusal.text() == REFUSED_TEXT
    assert wizard.result_page.advice.text() == "Read why above, then Try again from the start."
    assert not wizard.abort_button.isVisible()  # the rotation has ended: nothing is staged to abort
    assert wizard.finish() is False
    assert wizard.isVisible()
    assert stored_access_token(vault, PROFILE) == old_token  # the old set is still the active one
    assert wizard.archives.list.count() == 0  # nothing was switched, so nothing was archived
    assert wizard.again_button.isVisible()
    qtbot.mouseClick(wizard.again_button, Qt.MouseButton.LeftButton)
    assert wizard.page == WizardPage.START  # the rotation ended: a new one starts from the beginning


def test_neither_set_working_is_shown_apart_in_red_with_what_to_do(window, vault, module_sandbox, qtbot):
    window, rotation, _status = window
    old_token = stored_access_token(vault, PROFILE)
    wizard = open_and_start(qtbot, window, rotation)
    control(module_sandbox.endpoints, fail_next_token=True)  # the portal's next token will not prove
    issued = portal_step(qtbot, wizard, module_sandbox)
    control(module_sandbox.endpoints, end_grace=True)  # and IBKR ends the old token's grace period
    enter_and_confirm(qtbot, wizard, issued)

    qtbot.waitUntil(lambda: wizard.page == WizardPage.RESULT and not wizard.busy, timeout=30_000)
    assert wizard.outcome is not None
    assert wizard.outcome.outcome == Outcome.STRANDED, wizard.result_page.detail.text()
    assert wizard.result_page.headline.text() == "Neither the new nor the old credentials work."
    assert severity_color("error").name() in wizard.result_page.headline.styleSheet()
    assert severity_color("error") != severity_color("warn")
    assert "The old set did not prove either" in wizard.result_page.detail.text()
    assert "still mints" not in wizard.result_page.detail.text()
    advice = wizard.result_page.advice.text()
    assert "generate a new access token for them" in advice
    assert advice.endswith("Nothing was switched; when that is done, press Try again.")
    assert not wizard.primary_button.isEnabled()  # Finish is refused
    assert wizard.result_page.refusal.text() == REFUSED_TEXT
    assert stored_access_token(vault, PROFILE) == old_token  # nothing was switched
    assert wizard.again_button.isVisible()
    qtbot.mouseClick(wizard.again_button, Qt.MouseButton.LeftButton)
    assert wizard.page == WizardPage.REGISTER  # the new keys are kept: back to them, for a new token


def test_the_archived_set_is_restored_from_the_wizard(window, vault, module_sandbox, qtbot):
    window, rotation, _status = window
    old_token = stored_access_token(vault, PROFILE)
    wizard = open_and_start(qtbot, window, rotation)
    enter_and_confirm(qtbot, wizard, portal_step(qtbot, wizard, module_sandbox))
    qtbot.waitUntil(lambda: wizard.page == WizardPage.RESULT and not wizard.busy, timeout=30_000)
    assert stored_access_token(vault, PROFILE) != old_token

    archives = wizard.archives
    archives.list.setCurrentRow(0)
    assert archives.summary.text().startswith(f"consumer key {CONSUMER_KEY}; signature key SHA-256 ")
    qtbot.mouseClick(archives.restore_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: archives.confirm_button.height() >= archives.confirm_button.minimumSizeHint().height())
    qtbot.mouseClick(archives.confirm_button, Qt.MouseButton.LeftButton)
    assert wizard.busy
    qtbot.waitUntil(lambda: wizard.page == WizardPage.RESULT and not wizard.busy, timeout=30_000)
    assert wizard.outcome is not None
    assert wizard.outcome.outcome == Outcome.RESTORED, wizard.error.text()
    assert wizard.result_page.detail.text().startswith("Restored archive-")
    assert any("the active set" not in line and "archived set" in line for line in progress_lines(wizard))
    assert stored_access_token(vault, PROFILE) == old_token  # the old token is within IBKR's grace period
    assert archives.list.count() == 1  # the set it replaced is archived in turn
    assert wizard.primary_button.isEnabled()


def cut_off_while_proving(home, module_sandbox) -> None:
    """A whole rotation in another process, SIGKILLed right after its journal says it is proving."""
    child = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.brokers.ibkr.rotation_driver",
            str(home.vault_dir),
            module_sandbox.services["ibkr"],
            sandbox_profile(module_sandbox.endpoints).base_url,
            "2",  # the second write: "journal proving"
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert child.stdout.splitlines() == ["journal staged", "journal proving"]


def open_cut_off(qtbot, window: MainWindow, rotation: RotationController) -> RotationWizard:
    qtbot.waitUntil(window.rotate_keys_action.isEnabled, timeout=5000)
    window.rotate_keys_action.trigger()
    wizard = rotation.wizard
    qtbot.waitUntil(lambda: wizard.isVisible() and wizard.view is not None, timeout=10_000)
    assert wizard.page == WizardPage.PROVING
    assert wizard.banner.isVisible()
    assert "cut off" in wizard.banner_text.text()
    assert wizard.resume_button.isVisible()
    assert wizard.abort_button.isVisible()
    assert not wizard.proving_page.intro.isVisible()  # nothing is being proven until Resume
    return wizard


def test_a_rotation_cut_off_while_proving_is_resumed_from_the_wizard(window, home, vault, module_sandbox, qtbot):
    window, rotation, _status = window
    old_token = stored_access_token(vault, PROFILE)
    cut_off_while_proving(home, module_sandbox)
    wizard = open_cut_off(qtbot, window, rotation)
    qtbot.mouseClick(wizard.resume_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.page == WizardPage.RESULT and not wizard.busy, timeout=30_000)
    assert wizard.outcome is not None
    assert wizard.outcome.outcome == Outcome.SWITCHED, wizard.result_page.detail.text()
    assert progress_lines(wizard)[:2] == [
        "Carrying on the step that was cut off…",
        "Resuming where the rotation stopped (proving)…",
    ]
    assert stored_access_token(vault, PROFILE) != old_token
    assert not wizard.banner.isVisible()


def test_a_rotation_cut_off_while_proving_is_aborted_from_the_wizard(window, home, vault, module_sandbox, qtbot):
    window, rotation, _status = window
    old_token = stored_access_token(vault, PROFILE)
    cut_off_while_proving(home, module_sandbox)
    wizard = open_cut_off(qtbot, window, rotation)
    qtbot.mouseClick(wizard.abort_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.page == WizardPage.RESULT and not wizard.busy, timeout=30_000)
    assert wizard.outcome is not None
    assert wizard.outcome.outcome == Outcome.DISCARDED
    assert wizard.start_page.last_result.text().startswith("Last rotation: Aborted at ")
    assert stored_access_token(vault, PROFILE) == old_token
    assert wizard.primary_button.isEnabled()


def test_a_confirm_refused_before_any_proof_returns_to_what_was_entered(window, vault, module_sandbox, qtbot):
    window, rotation, _status = window
    old_token = stored_access_token(vault, PROFILE)
    wizard = open_and_start(qtbot, window, rotation)
    issued = portal_step(qtbot, wizard, module_sandbox)
    qtbot.mouseClick(wizard.primary_button, Qt.MouseButton.LeftButton)  # Next
    fields = wizard.paste_page.fields
    fields["consumer_key"].setText("OTHERCONS")  # another consumer: the portal rotates this profile's own
    fields["access_token"].setText(issued["access_token"])
    fields["access_token_secret"].setText(issued["access_token_secret"])
    qtbot.mouseClick(wizard.primary_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not wizard.busy, timeout=30_000)
    assert wizard.page == WizardPage.PASTE
    assert wizard.error.isVisible()
    assert "OTHERCONS is another consumer" in wizard.error.text()
    assert wizard.outcome is None  # nothing was proven or switched: no result, only the refusal
    assert fields["consumer_key"].text() == "OTHERCONS"  # kept, to correct it
    assert fields["access_token_secret"].text() == ""  # the secret was handed over once
    assert stored_access_token(vault, PROFILE) == old_token

    fields["consumer_key"].setText(CONSUMER_KEY)
    fields["access_token_secret"].setText(issued["access_token_secret"])
    qtbot.mouseClick(wizard.primary_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.page == WizardPage.RESULT and not wizard.busy, timeout=30_000)
    assert wizard.outcome is not None
    assert wizard.outcome.outcome == Outcome.SWITCHED
    assert wizard.error.isHidden()
