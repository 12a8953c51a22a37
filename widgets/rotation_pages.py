"""The rotation wizard's pages, one per step: what each shows and holds (the wizard decides which is on screen).

Only the Paste page holds anything the trader typed, and it forgets it on `clear`.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QFormLayout, QFrame, QLineEdit, QScrollArea, QVBoxLayout, QWidget

from widgets.rotation_parts import RegisterPartBox, plain_label
from widgets.rotation_view_models import FieldView, RegisterPartView, RotationResult, RotationView, WizardPage
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
NEW_DH_TEXT = "Also make new Diffie-Hellman parameters (slower; only where the broker uses them)"
REFUSED_TEXT = "Finish is refused: the new credentials did not prove, so this rotation is not done."


class WizardPageWidget(QWidget):
    """A page: an optional introduction, then the page's own widgets, top-aligned."""

    def __init__(self, page: WizardPage, intro: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"page-{page.value}")
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(0, 4, 0, 4)
        self.intro = plain_label(self, f"intro-{page.value}")
        self.intro.setText(intro)
        self.intro.setVisible(bool(intro))
        self.column.addWidget(self.intro)

    def add(self, *widgets: QWidget, stretch: int = 0) -> None:
        for widget in widgets:
            self.column.addWidget(widget, stretch)

    def end(self) -> None:
        self.column.addStretch(1)


class StartPage(WizardPageWidget):
    """What a rotation does, how the last one ended, the DH option, and Start's progress while it runs."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(WizardPage.START, START_TEXT, parent)
        self.last_result = plain_label(self, "lastRotation", selectable=True, role="muted")
        self.new_dh = QCheckBox(NEW_DH_TEXT, self)
        self.new_dh.setObjectName("newDhParameters")
        self.progress = plain_label(self, "startProgress", role="muted")
        self.add(self.last_result, self.new_dh, self.progress)
        self.end()

    def show_view(self, view: RotationView) -> None:
        self.last_result.setText(f"Last rotation: {view.last_result}" if view.last_result else "")
        self.last_result.setVisible(bool(view.last_result))


class RegisterPage(WizardPageWidget):
    """The parts to register, each with its copy buttons, in a scrolling column."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(WizardPage.REGISTER, REGISTER_TEXT, parent)
        self.area = QScrollArea(self)
        self.area.setObjectName("registerParts")
        self.area.setWidgetResizable(True)
        self.area.setFrameShape(QFrame.Shape.NoFrame)
        self.area.setMinimumHeight(380)
        self.add(self.area, stretch=1)
        self.boxes: list[RegisterPartBox] = []

    def show_parts(self, parts: tuple[RegisterPartView, ...]) -> None:
        """Rebuild the boxes only when the parts changed (a copy button's "Copied" stays otherwise)."""
        if [(box.title.text(), box.copy_text.payload) for box in self.boxes] == [(p.label, p.text) for p in parts]:
            return
        host = QWidget()
        column = QVBoxLayout(host)
        column.setContentsMargins(0, 0, 0, 0)
        self.boxes = [RegisterPartBox(part, host) for part in parts]
        for box in self.boxes:
            column.addWidget(box)
        column.addStretch(1)
        self.area.setWidget(host)  # the previous host is deleted with its boxes


class PastePage(WizardPageWidget):
    """A field for each value `confirm` takes; hidden ones masked. The only page that holds what was typed."""

    edited = Signal()
    submitted = Signal()  # Enter in a field

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(WizardPage.PASTE, PASTE_TEXT, parent)
        self.form_host = QWidget(self)
        self.form = QFormLayout(self.form_host)
        self.form.setContentsMargins(0, 6, 0, 0)
        self.add(self.form_host)
        self.end()
        self.fields: dict[str, QLineEdit] = {}

    def show_fields(self, fields: tuple[FieldView, ...], *, keep: bool) -> None:
        """Build a field per value; with `keep`, the same fields keep what is typed in them."""
        self.intro.setVisible(bool(fields))  # with nothing to enter, the wizard's guidance says what to do
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
            edit.textChanged.connect(self.edited)
            edit.returnPressed.connect(self.submitted)
            self.form.addRow(f"{field.label}:", edit)
            self.fields[field.name] = edit

    def answers(self) -> dict[str, str]:
        return {name: edit.text().strip() for name, edit in self.fields.items()}

    def complete(self) -> bool:
        return all(self.answers().values())

    def forget_hidden(self) -> None:
        for edit in self.fields.values():
            if edit.echoMode() == QLineEdit.EchoMode.Password:
                edit.clear()

    def clear(self) -> None:
        for edit in self.fields.values():
            edit.clear()

    def set_read_only(self, read_only: bool) -> None:
        for edit in self.fields.values():
            edit.setReadOnly(read_only)


class ProvingPage(WizardPageWidget):
    """What proving means; the progress lines sit below the pages (the result keeps them)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(WizardPage.PROVING, PROVING_TEXT, parent)
        self.end()


class ResultPage(WizardPageWidget):
    """How a step ended: the headline in its severity's colour, why, what to do, and a refused Finish."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(WizardPage.RESULT, "", parent)
        self.headline = plain_label(self, "resultHeadline")
        font = self.headline.font()
        font.setBold(True)
        self.headline.setFont(font)
        self.detail = plain_label(self, "resultDetail", selectable=True)
        self.advice = plain_label(self, "resultAdvice", selectable=True)
        self.refusal = plain_label(self, "finishRefused", role="error")
        self.add(self.headline, self.detail, self.advice, self.refusal)
        self.end()

    def show_result(self, result: RotationResult) -> None:
        self.headline.setText(result.headline)
        self.headline.setStyleSheet(f"color: {severity_color(result.severity).name()};")
        self.detail.setText(result.detail)
        self.detail.setVisible(bool(result.detail))
        self.advice.setText(result.advice)
        self.advice.setVisible(bool(result.advice))
        self.refuse(not result.finishes)

    def refuse(self, refused: bool) -> None:
        self.refusal.setText(REFUSED_TEXT if refused else "")
        self.refusal.setVisible(refused)
