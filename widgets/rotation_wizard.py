"""The rotation wizard: start, register at the broker, paste what it issued, prove, and the result.

It renders a `RotationView` (the journal, mapped by the app) and emits the trader's intents; the app runs
the steps and answers with `show_view`, `add_progress`, `show_result` or `show_error`. Finish is refused
unless the new credentials proved (or an archived set was restored, or the rotation was discarded), and
the wizard says why. What the trader types is handed over once and forgotten: hidden values as soon as
they are sent, every field when the wizard closes. The pages themselves are in widgets/rotation_pages.py.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QHideEvent
from PySide6.QtWidgets import QDialog, QFrame, QHBoxLayout, QListWidget, QPushButton, QVBoxLayout, QWidget

from widgets.rotation_pages import (
    PastePage,
    ProvingPage,
    RegisterPage,
    ResultPage,
    StartPage,
    WizardPageWidget,
)
from widgets.rotation_parts import ArchivesBox, StepBar, plain_label
from widgets.rotation_view_models import RotationResult, RotationView, WizardPage
from widgets.severity import severity_color

PRIMARY_TEXT = {
    WizardPage.START: "Start",
    WizardPage.REGISTER: "Next",
    WizardPage.PASTE: "Confirm and prove",
    WizardPage.RESULT: "Finish",
}


class RotationWizard(QDialog):
    """Non-modal; opened with `open_for`. One profile's rotation at a time."""

    startRequested = Signal(str, bool)  # profile, also make new Diffie-Hellman parameters
    confirmRequested = Signal(str, object)  # profile, {field name: value}
    resumeRequested = Signal(str)  # profile: carry on the step a crash cut off
    abortRequested = Signal(str)  # profile: discard what is staged
    restoreRequested = Signal(str, str)  # profile, archive id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("rotationWizard")
        self.setModal(False)
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.setWindowTitle("Rotate credentials")
        self.setMinimumWidth(720)
        self.view: RotationView | None = None
        self.outcome: RotationResult | None = None
        self.page = WizardPage.START
        self.busy = False

        self.heading = plain_label(self, "rotationHeading")
        font = self.heading.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.heading.setFont(font)
        self.steps = StepBar(self)
        self.stands = plain_label(self, "rotationStands", selectable=True, role="muted")
        self.banner = QFrame(self)
        self.banner.setObjectName("interruptedBanner")
        self.banner.setFrameShape(QFrame.Shape.StyledPanel)
        self.banner_text = plain_label(self.banner, "interruptedText")
        self.banner_text.setStyleSheet(f"color: {severity_color('warn').name()};")
        self.resume_button = QPushButton("Resume", self.banner)
        self.resume_button.setObjectName("resumeRotation")
        self.resume_button.setAutoDefault(False)
        self.resume_button.setToolTip("Carry on the step that was cut off, with what the journal kept")
        banner_row = QHBoxLayout(self.banner)
        banner_row.addWidget(self.banner_text, 1)
        banner_row.addWidget(self.resume_button)
        self.guidance = plain_label(self, "rotationGuidance", selectable=True)

        # The pages are shown one at a time in a plain column: a stacked widget would size itself to its tallest
        # page (its height-for-width counts hidden pages too), and every step would be as tall as Register.
        self.page_host = QWidget(self)
        page_column = QVBoxLayout(self.page_host)
        page_column.setContentsMargins(0, 0, 0, 0)
        self.start_page = StartPage(self.page_host)
        self.register_page = RegisterPage(self.page_host)
        self.paste_page = PastePage(self.page_host)
        self.proving_page = ProvingPage(self.page_host)
        self.result_page = ResultPage(self.page_host)
        self.pages: dict[WizardPage, WizardPageWidget] = {
            WizardPage.START: self.start_page,
            WizardPage.REGISTER: self.register_page,
            WizardPage.PASTE: self.paste_page,
            WizardPage.PROVING: self.proving_page,
            WizardPage.RESULT: self.result_page,
        }
        for page in self.pages.values():
            page.hide()
            page_column.addWidget(page)
        self.paste_page.edited.connect(self._render)
        self.paste_page.submitted.connect(self._primary)
        self.progress = QListWidget(self)
        self.progress.setObjectName("rotationProgress")
        self.progress.setMinimumHeight(90)
        self.progress.setMaximumHeight(170)
        self.progress.setWordWrap(True)
        self.archives = ArchivesBox(self)
        self.error = plain_label(self, "rotationError", selectable=True, role="error")
        self.error.hide()
        self._build_buttons()

        self.column = layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.steps)
        layout.addWidget(self.stands)
        layout.addWidget(self.banner)
        layout.addWidget(self.guidance)
        layout.addWidget(self.page_host, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.archives)
        layout.addWidget(self.error)
        layout.addLayout(self.button_row)

        self.resume_button.clicked.connect(self._resume)
        self.archives.restoreRequested.connect(self._restore)
        self.archives.grown.connect(self._make_room)
        self._render()

    def _build_buttons(self) -> None:
        self.back_button = QPushButton("Back", self)
        self.back_button.setObjectName("rotationBack")
        self.abort_button = QPushButton("Abort rotation", self)
        self.abort_button.setObjectName("abortRotation")
        self.abort_button.setToolTip("Discard the new credentials; the active set stays as it is")
        self.again_button = QPushButton("Try again", self)
        self.again_button.setObjectName("rotationTryAgain")
        self.primary_button = QPushButton(self)
        self.primary_button.setObjectName("rotationPrimary")
        self.close_button = QPushButton("Close", self)
        self.close_button.setObjectName("rotationClose")
        for button in (self.back_button, self.abort_button, self.again_button, self.primary_button, self.close_button):
            button.setAutoDefault(False)
        self.back_button.clicked.connect(lambda: self._go(WizardPage.REGISTER))
        self.abort_button.clicked.connect(self._abort)
        self.again_button.clicked.connect(self._try_again)
        self.primary_button.clicked.connect(self._primary)
        self.close_button.clicked.connect(self.reject)
        self.button_row = QHBoxLayout()
        self.button_row.addWidget(self.back_button)
        self.button_row.addStretch(1)
        for button in (self.abort_button, self.again_button, self.primary_button, self.close_button):
            self.button_row.addWidget(button)

    # ---- what the app shows -------------------------------------------------------------------

    def open_for(self, view: RotationView) -> None:
        """Start fresh on `view`'s profile, at the step its journal is at; does not block."""
        self.outcome = None
        self.busy = False
        self.progress.clear()
        self.error.hide()
        self.start_page.new_dh.setChecked(False)
        self.paste_page.clear()
        self.show_view(view)
        self.show()  # not open(): Qt's open() makes a dialog window-modal
        self.raise_()
        self.activateWindow()

    def show_view(self, view: RotationView) -> None:
        """The journal changed (or was read again): show the step it is at."""
        changed_profile = self.view is None or self.view.profile != view.profile
        self.view = view
        self.busy = False
        self.outcome = None
        self.setWindowTitle(f"Rotate the credentials of {view.label}")
        self.heading.setText(f"Rotate the credentials of {view.label} ({view.profile})")
        self.start_page.show_view(view)
        self.register_page.show_parts(view.register)
        self.paste_page.show_fields(view.fields, keep=not changed_profile)
        self.archives.show_archives(view.archives, view.restore_hint)
        self.page = view.page
        self._render()

    def show_busy(self, page: WizardPage, text: str) -> None:
        """A step runs: its first progress line; the buttons wait until it ends."""
        self.busy = True
        self.error.hide()
        if page == WizardPage.PROVING:
            self.progress.clear()
        self.page = page
        self.add_progress(text)
        self._render()

    def add_progress(self, text: str) -> None:
        self.progress.addItem(text)
        self.progress.scrollToBottom()
        self.start_page.progress.setText(text)

    def show_result(self, result: RotationResult, view: RotationView) -> None:
        """How the step ended, and the journal as it is now."""
        self.show_view(view)
        self.outcome = result
        if result.finishes:
            self.paste_page.clear()
        self.result_page.show_result(result)
        self.page = WizardPage.RESULT
        self._render()

    def show_error(self, text: str, page: WizardPage | None = None) -> None:
        """A step was refused or could not run: say why, on `page` (what was entered is on Paste), else on the
        step on screen (a refused proof goes back to the step the journal is at)."""
        self.busy = False
        self.error.setText(text)
        self.error.show()
        if page is not None:
            self.page = page
        elif self.page == WizardPage.PROVING and self.view is not None and not self.view.interrupted:
            self.page = self.view.page
        self._render()

    def finish(self) -> bool:
        """Close as done: only after a proof (or a restore, or a discard). Otherwise the refusal stays."""
        if self.busy or self.outcome is None or not self.outcome.finishes:
            self.result_page.refuse(True)
            self._render()
            return False
        self.accept()
        return True

    # ---- rendering ----------------------------------------------------------------------------

    def _render(self) -> None:
        view, page, busy = self.view, self.page, self.busy
        self.steps.show_page(page)
        self._show_page(page)
        under_way = view is not None and view.page != WizardPage.START
        stands = view.stands if view is not None else ""
        self.stands.setText(stands)
        self.stands.setVisible(bool(stands))
        guidance = view.guidance if view is not None and page != WizardPage.RESULT else ""
        self.guidance.setText(guidance)
        self.guidance.setVisible(bool(guidance))
        interrupted = view is not None and view.interrupted and page != WizardPage.RESULT
        resumable = interrupted and view is not None and view.resumable
        self.banner.setVisible(interrupted)
        carry_on = "Resume carries it on" if resumable else "You can carry on below"
        self.banner_text.setText(
            f"A step of this rotation was cut off before it ended. {carry_on}, or Abort rotation discards "
            "the new credentials and keeps the active set."
        )
        self.resume_button.setVisible(resumable)
        self.resume_button.setEnabled(not busy)
        self.progress.setVisible(page in (WizardPage.PROVING, WizardPage.RESULT) and self.progress.count() > 0)
        self.start_page.progress.setVisible(busy and page == WizardPage.START)
        self.proving_page.intro.setVisible(busy)  # a cut-off proof waits for Resume: nothing is being proven
        self.archives.setVisible(page in (WizardPage.START, WizardPage.RESULT) and view is not None)
        self.archives.set_enabled(not busy)
        self.start_page.new_dh.setEnabled(not busy)
        self.paste_page.set_read_only(busy)
        self.back_button.setVisible(page == WizardPage.PASTE and view is not None and bool(view.register))
        self.back_button.setEnabled(not busy)
        self.abort_button.setVisible(under_way and page != WizardPage.START)
        self.abort_button.setEnabled(not busy)
        failed = self.outcome is not None and not self.outcome.finishes
        self.again_button.setVisible(page == WizardPage.RESULT and failed)
        self.again_button.setEnabled(not busy)
        self.primary_button.setVisible(page in PRIMARY_TEXT)
        self.primary_button.setText(PRIMARY_TEXT.get(page, ""))
        self.primary_button.setEnabled(self._primary_allowed())
        self.primary_button.setDefault(self.primary_button.isEnabled())
        self._make_room()

    def _show_page(self, page: WizardPage) -> None:
        """Only the page on screen counts for the wizard's size, so a short step makes a short wizard."""
        if self.pages[page].isHidden():
            for each, widget in self.pages.items():
                widget.setVisible(each == page)
            self.adjustSize()

    def _make_room(self) -> None:
        """Grow (never shrink) to what the wizard now shows, so a line that appeared is not squeezed to nothing."""
        self.column.activate()
        wanted = self.sizeHint().height()
        if self.isVisible() and self.height() < wanted:
            self.resize(self.width(), wanted)

    def _primary_allowed(self) -> bool:
        if self.busy or self.view is None:
            return False
        if self.page == WizardPage.PASTE:
            return self.paste_page.complete()
        if self.page == WizardPage.RESULT:
            return self.outcome is not None and self.outcome.finishes
        return True

    # ---- the trader's intents -----------------------------------------------------------------

    def _primary(self) -> None:
        view = self.view
        if view is None or not self._primary_allowed():
            return
        if self.page == WizardPage.START:
            self.startRequested.emit(view.profile, self.start_page.new_dh.isChecked())
        elif self.page == WizardPage.REGISTER:
            self._go(WizardPage.PASTE)
        elif self.page == WizardPage.PASTE:
            answers = self.paste_page.answers()
            self.paste_page.forget_hidden()  # handed over once; typed again for another try
            self.confirmRequested.emit(view.profile, answers)
        elif self.page == WizardPage.RESULT:
            self.finish()

    def _go(self, page: WizardPage) -> None:
        if not self.busy:
            self.page = page
            self.error.hide()
            self._render()

    def _try_again(self) -> None:
        """After a failed proof: back to the step the journal is at (what is still staged, or the start)."""
        if self.view is not None:
            self.outcome = None
            self.result_page.refuse(False)
            self._go(self.view.page)

    def _resume(self) -> None:
        view = self.view
        if view is not None and view.resumable and not self.busy:
            self.resumeRequested.emit(view.profile)

    def _abort(self) -> None:
        if self.view is not None and not self.busy:
            self.abortRequested.emit(self.view.profile)

    def _restore(self, archive_id: str) -> None:
        if self.view is not None and not self.busy:
            self.restoreRequested.emit(self.view.profile, archive_id)

    def hideEvent(self, event: QHideEvent) -> None:
        """Forget what was typed once the wizard is closed (not when the window is merely minimised)."""
        super().hideEvent(event)
        if not event.spontaneous():
            self.paste_page.clear()
