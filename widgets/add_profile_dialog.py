"""A form for adding a generic OAuth 2 broker profile, checked by the app's validator before it is saved.

The inputs are not written here: the app reads them from the profile class's declared fields (`FormField`),
so a setting added to the profile appears in the form with the right input (a checkbox for a flag, a
spin box for a port). The dialog only builds the profile table and shows messages; the app owns
validation rules and the file. It is non-modal so the qasync loop never runs nested, and it keeps what
the trader typed until they save successfully or cancel.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

Validator = Callable[[dict[str, object]], list[tuple[str | None, str]]]
FORM_WIDTH = 600  # wide enough for every help text in two lines or fewer at the default font


@dataclass(frozen=True)
class FormField:
    """One setting of the profile: its profiles.toml key, how people call it, and how it is typed in."""

    key: str
    title: str
    help: str
    editor: str = "text"  # "text", "words" (a list typed with spaces between items), "port" or "flag"
    example: str = ""
    required: bool = False
    checked: bool = False  # a flag's value when the profile leaves it out


NAME_FIELD = FormField(
    "name",
    "Name",
    "A short id for profiles.toml and the command line: letters, digits and _ . -",
    example="my-broker",
    required=True,
)


def object_name(key: str) -> str:
    """The input's object name: 'client_id' -> 'profileClientId'."""
    return "profile" + "".join(part.capitalize() for part in key.split("_"))


def _label(parent: QWidget, object_name: str = "", role: str = "") -> QLabel:
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    if object_name:
        label.setObjectName(object_name)
    if role:
        label.setProperty("role", role)
    return label


class AddProfileDialog(QDialog):
    """Emits `profileSubmitted(table)` only for a table the validator accepts; the app then saves it and
    calls `accept()` or `show_error(text)`."""

    KIND = "oauth2"  # the kind of profile this form adds; the app reads the kind's fields from its profile class
    profileSubmitted = Signal(dict)

    def __init__(self, validate: Validator, fields: Sequence[FormField], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("addProfileDialog")
        self.setModal(False)
        self.setWindowTitle("Add an OAuth 2 broker profile")
        self._validate = validate
        self.fields = (NAME_FIELD, *(f for f in fields if f.key != NAME_FIELD.key))

        self.intro = _label(self)
        self.intro.setText(
            "For a broker that signs you in with OAuth 2 in your browser. Brokerdeck saves these settings to "
            "profiles.toml; it never asks for or saves a password here."
        )
        self.edits: dict[str, QLineEdit] = {}
        self.spins: dict[str, QSpinBox] = {}
        self.flags: dict[str, QCheckBox] = {}
        self.inputs: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)  # help wraps at full width
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        for spec in self.fields:
            form.addRow(f"{spec.title}:", self._field_widget(spec))

        self.form_error = _label(self, "profileFormError", "error")
        self.form_error.hide()
        self.save_button = QPushButton("Save", self)
        self.save_button.setObjectName("saveProfileButton")
        self.save_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("cancelProfileButton")
        self.save_button.clicked.connect(self._save)
        self.cancel_button.clicked.connect(self.reject)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(self.intro)
        layout.addLayout(form)
        layout.addWidget(self.form_error)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self.setMinimumWidth(FORM_WIDTH)

    def _field_widget(self, spec: FormField) -> QWidget:
        """The input, its help line and its (hidden) error line, stacked."""
        box = QWidget(self)
        editor = self._editor(spec, box)
        editor.setObjectName(object_name(spec.key))
        self.inputs[spec.key] = editor
        help_label = _label(box, f"help-{spec.key}", "muted")
        optional = not spec.required and spec.editor in ("text", "words")
        help_label.setText(f"Optional: {spec.help}" if optional and spec.help else spec.help)
        help_label.setVisible(bool(spec.help))
        error = _label(box, f"error-{spec.key}", "error")
        error.hide()
        self.errors[spec.key] = error
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 4)
        column.setSpacing(2)
        short = spec.editor in ("port", "flag")  # a spin box or a checkbox reads best at its own width
        column.addWidget(editor, 0, Qt.AlignmentFlag.AlignLeft if short else Qt.AlignmentFlag(0))
        column.addWidget(help_label)
        column.addWidget(error)
        return box

    def _editor(self, spec: FormField, parent: QWidget) -> QWidget:
        if spec.editor == "port":
            spin = QSpinBox(parent)
            spin.setRange(0, 65535)
            spin.setSpecialValueText("any free port")
            self.spins[spec.key] = spin
            return spin
        if spec.editor == "flag":
            check = QCheckBox(parent)
            check.setChecked(spec.checked)
            self.flags[spec.key] = check
            return check
        edit = QLineEdit(parent)
        if spec.example:
            edit.setPlaceholderText(spec.example)
        self.edits[spec.key] = edit
        return edit

    def open_new(self) -> None:
        """Show an empty form without blocking."""
        for edit in self.edits.values():
            edit.clear()
        for spin in self.spins.values():
            spin.setValue(0)
        for spec in self.fields:
            if spec.key in self.flags:
                self.flags[spec.key].setChecked(spec.checked)
        self._clear_errors()
        self.show()
        self.raise_()
        self.edits[NAME_FIELD.key].setFocus()

    def table(self) -> dict[str, object]:
        """The profiles.toml table the form describes; what is left empty or at its default is left out."""
        table: dict[str, object] = {"name": self.edits[NAME_FIELD.key].text().strip(), "kind": self.KIND}
        for spec in self.fields[1:]:
            if spec.key in self.edits:
                text = self.edits[spec.key].text().strip()
                value: object = text.split() if spec.editor == "words" else text
                if value or spec.required:
                    table[spec.key] = value
            elif spec.key in self.spins and self.spins[spec.key].value():
                table[spec.key] = self.spins[spec.key].value()
            elif spec.key in self.flags and self.flags[spec.key].isChecked() != spec.checked:
                table[spec.key] = self.flags[spec.key].isChecked()
        return table

    def show_error(self, text: str) -> None:
        """A problem the form cannot pin on one field (saving failed); everything typed stays."""
        self.form_error.setText(text)
        self.form_error.show()
        self.show()
        self._fit()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._fit()

    def _fit(self) -> None:
        """Grow to the height the wrapped texts need at the current width, so none is cut off."""
        layout = self.layout()
        if layout is None:
            return
        needed = layout.totalHeightForWidth(self.width())
        if needed > self.height():
            self.resize(self.width(), needed)

    def _save(self) -> None:
        self._clear_errors()
        table = self.table()
        problems = self._validate(table)
        if not problems:
            self.profileSubmitted.emit(table)
            return
        by_field: dict[str, list[str]] = {}
        general: list[str] = []
        for field, message in problems:
            if field in self.errors:
                by_field.setdefault(field, []).append(message)
            else:
                general.append(f"{field}: {message}" if field else message)
        for field, messages in by_field.items():
            self.errors[field].setText("\n".join(messages))
            self.errors[field].show()
        if general:
            self.show_error("\n".join(general))
        self._fit()
        first = next((key for key in self.inputs if key in by_field), None)
        if first is not None:
            self.inputs[first].setFocus()

    def _clear_errors(self) -> None:
        for label in (*self.errors.values(), self.form_error):
            label.clear()
            label.hide()
