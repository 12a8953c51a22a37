"""The rotation wizard: start, register at the broker, paste what it issued, prove, and the result.

It renders a `RotationView` (the journal, mapped by the app) and emits the trader's intents; the app runs
the steps and answers with `show_view`, `add_progress`, `show_result` or `show_error`. Finish is refused
unless the new credentials proved (or an archived set was restored, or the rotation was discarded), and
the wizard says why. What the trader types is handed over once and forgotten: hidden values as soon as
they are sent, every field when the wizard closes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QHideEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from widgets.rotation_parts import ArchivesBox, RegisterPartBox, StepBar, plain_label
from widgets.rotation_view_models import FieldView, RotationResult, RotationView, WizardPage
from widgets.severity import severity_color

START_TEXT = (
    "A rotation makes new credentials beside the active set. The active set keeps working while you register "
    "the new ones with the broker and enter what it issues; they are proven before anything is switched, and "
    "if they fail the active set stays in use."
)
REGISTER_TEXT = (
    "Register each part below with the broker exactly as shown: copy it with its button. When the broker shows "
    "a fingerprint for what you registered, compare it with the one here. Then press Next."
)
PASTE_TEXT = (
    "Enter what the broker issued for the new credentials. Hidden values stay masked, and the wizard forgets "
    "everything typed here when it closes."
)
PROVING_TEXT = "Proving credentials with the broker. The active set stays in use until they prove."
PRIMARY_TEXT = {
    WizardPage.START: "Start",
    WizardPage.REGISTER: "Next",
    WizardPage.PASTE: "Confirm and prove",
    WizardPage.RESULT: "Finish",
}
REFUSED_TEXT = "Finish is refused: the new credentials did not prove, so this rotation is not done."


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
        self.fields: dict[str, QLineEdit] = {}

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
        self.page_column = QVBoxLayout(self.page_host)
        self.page_column.setContentsMargins(0, 0, 0, 0)
        self.pages: dict[WizardPage, QWidget] = {}
        self._build_start()
        self._build_register()
        self._build_paste()
        self._build_proving()
        self._build_result()
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

    # ---- the pages ----------------------------------------------------------------------------

    def _page(self, page: WizardPage, intro: str) -> QVBoxLayout:
        widget = QWidget(self.page_host)
        widget.setObjectName(f"page-{page.value}")
        widget.hide()
        layout = QVBoxLayout(widget)
        layout.setContentsMargins(0, 4, 0, 4)
        if intro:
            label = plain_label(widget, f"intro-{page.value}")
            label.setText(intro)
            layout.addWidget(label)
        self.page_column.addWidget(widget)
        self.pages[page] = widget
        return layout

    def _build_start(self) -> None:
        layout = self._page(WizardPage.START, START_TEXT)
        self.last_result = plain_label(self, "lastRotation", selectable=True, role="muted")
        self.new_dh = QCheckBox("Also make new Diffie-Hellman parameters (slower; only where the broker uses them)")
        self.new_dh.setObjectName("newDhParameters")
        self.start_progress = plain_label(self, "startProgress", role="muted")
        for widget in (self.last_result, self.new_dh, self.start_progress):
            layout.addWidget(widget)
        layout.addStretch(1)

    def _build_register(self) -> None:
        layout = self._page(WizardPage.REGISTER, REGISTER_TEXT)
        self.parts_area = QScrollArea(self)
        self.parts_area.setObjectName("registerParts")
        self.parts_area.setWidgetResizable(True)
        self.parts_area.setFrameShape(QFrame.Shape.NoFrame)
        self.parts_area.setMinimumHeight(380)
        layout.addWidget(self.parts_area, 1)
        self.part_boxes: list[RegisterPartBox] = []

    def _build_paste(self) -> None:
        layout = self._page(WizardPage.PASTE, "")
        self.paste_intro = plain_label(self, "pasteIntro")
        self.paste_intro.setText(PASTE_TEXT)
        layout.addWidget(self.paste_intro)
        self.form_host = QWidget(self)
        self.form = QFormLayout(self.form_host)
        self.form.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.form_host)
        layout.addStretch(1)

    def _build_proving(self) -> None:
        layout = self._page(WizardPage.PROVING, "")
        self.proving_text = plain_label(self, "provingText")
        self.proving_text.setText(PROVING_TEXT)
        layout.addWidget(self.proving_text)
        layout.addStretch(1)

    def _build_result(self) -> None:
        layout = self._page(WizardPage.RESULT, "")
        self.headline = plain_label(self, "resultHeadline")
        font = self.headline.font()
        font.setBold(True)
        self.headline.setFont(font)
        self.detail = plain_label(self, "resultDetail", selectable=True)
        self.advice = plain_label(self, "resultAdvice", selectable=True)
        self.refusal = plain_label(self, "finishRefused", role="error")
        for widget in (self.headline, self.detail, self.advice, self.refusal):
            layout.addWidget(widget)
        layout.addStretch(1)

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
        self.new_dh.setChecked(False)
        self.clear_fields()
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
        self._show_parts(view)
        self._show_fields(view.fields, keep=not changed_profile)
        self.last_result.setText(f"Last rotation: {view.last_result}" if view.last_result else "")
        self.last_result.setVisible(bool(view.last_result))
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
        self.start_progress.setText(text)

    def show_result(self, result: RotationResult, view: RotationView) -> None:
        """How the step ended, and the journal as it is now."""
        self.show_view(view)
        self.outcome = result
        if result.finishes:
            self.clear_fields()
        self.headline.setText(result.headline)
        self.headline.setStyleSheet(f"color: {severity_color(result.severity).name()};")
        self.detail.setText(result.detail)
        self.detail.setVisible(bool(result.detail))
        self.advice.setText(result.advice)
        self.advice.setVisible(bool(result.advice))
        self.refusal.setText("" if result.finishes else REFUSED_TEXT)
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

    def answers(self) -> dict[str, str]:
        return {name: edit.text().strip() for name, edit in self.fields.items()}

    def clear_fields(self) -> None:
        for edit in self.fields.values():
            edit.clear()

    def finish(self) -> bool:
        """Close as done: only after a proof (or a restore, or a discard). Otherwise the refusal stays."""
        if self.busy or self.outcome is None or not self.outcome.finishes:
            self.refusal.setText(REFUSED_TEXT)
            self._render()
            return False
        self.accept()
        return True

    # ---- rendering ----------------------------------------------------------------------------

    def _show_parts(self, view: RotationView) -> None:
        if [(box.title.text(), box.copy_text.payload) for box in self.part_boxes] == [
            (part.label, part.text) for part in view.register
        ]:
            return
        host = QWidget()
        column = QVBoxLayout(host)
        column.setContentsMargins(0, 0, 0, 0)
        self.part_boxes = [RegisterPartBox(part, host) for part in view.register]
        for box in self.part_boxes:
            column.addWidget(box)
        column.addStretch(1)
        self.parts_area.setWidget(host)  # the previous host is deleted with its boxes

    def _show_fields(self, fields: tuple[FieldView, ...], *, keep: bool) -> None:
        if keep and list(self.fields) == [field.name for field in fields]:
            return
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields = {}
        for field in fields:
            edit = QLineEdit(self.form_host)
            edit.setObjectName(f"field-{field.name}")
            edit.setText(field.default)
            edit.setMinimumWidth(360)
            if field.hidden:
                edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.textChanged.connect(self._render)
            edit.returnPressed.connect(self._primary)
            self.form.addRow(f"{field.label}:", edit)
            self.fields[field.name] = edit

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
        self.paste_intro.setVisible(bool(self.fields))
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
        self.start_progress.setVisible(busy and page == WizardPage.START)
        self.proving_text.setVisible(busy)  # a cut-off proof waits for Resume: nothing is being proven
        self.archives.setVisible(page in (WizardPage.START, WizardPage.RESULT) and view is not None)
        self.archives.set_enabled(not busy)
        self.new_dh.setEnabled(not busy)
        for edit in self.fields.values():
            edit.setReadOnly(busy)
        self.back_button.setVisible(page == WizardPage.PASTE and view is not None and bool(view.register))
        self.back_button.setEnabled(not busy)
        self.abort_button.setVisible(under_way and page != WizardPage.START)
        self.abort_button.setEnabled(not busy)
        failed = self.outcome is not None and not self.outcome.finishes
        self.again_button.setVisible(page == WizardPage.RESULT and failed)
        self.again_button.setEnabled(not busy)
        self.refusal.setVisible(page == WizardPage.RESULT and bool(self.refusal.text()))
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
            return all(self.answers().values())
        if self.page == WizardPage.RESULT:
            return self.outcome is not None and self.outcome.finishes
        return True

    # ---- the trader's intents -----------------------------------------------------------------

    def _primary(self) -> None:
        view = self.view
        if view is None or not self._primary_allowed():
            return
        if self.page == WizardPage.START:
            self.startRequested.emit(view.profile, self.new_dh.isChecked())
        elif self.page == WizardPage.REGISTER:
            self._go(WizardPage.PASTE)
        elif self.page == WizardPage.PASTE:
            answers = self.answers()
            for field in view.fields:
                if field.hidden:
                    self.fields[field.name].clear()  # handed over once; typed again for another try
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
            self.refusal.clear()
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
            self.clear_fields()
