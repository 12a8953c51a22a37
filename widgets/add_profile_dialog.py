"""A form for adding a generic OAuth 2 broker profile, checked by the app's validator before it is saved.

The dialog only builds the profile table and shows messages; the app owns validation rules and the
file. It is non-modal so the qasync loop never runs nested, and it keeps what the trader typed
until they save successfully or cancel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
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


@dataclass(frozen=True)
class _FieldSpec:
    key: str  # the profiles.toml field
    object_name: str
    title: str
    help: str
    example: str = ""


FIELDS = (
    _FieldSpec(
        "name",
        "profileName",
        "Name",
        "A short id for profiles.toml and the command line: letters, digits and _ . -",
        "my-broker",
    ),
    _FieldSpec(
        "label",
        "profileLabel",
        "Label",
        "Optional: what Brokerdeck shows for this profile; the name when empty.",
        "My broker",
    ),
    _FieldSpec(
        "issuer",
        "profileIssuer",
        "Issuer",
        "The broker's sign-in server. It must use https (plain http only for 127.0.0.1 / localhost).",
        "https://auth.example.com",
    ),
    _FieldSpec(
        "resource",
        "profileResource",
        "Resource",
        "Optional: the API address the tokens are for, when the broker asks for one.",
        "https://api.example.com",
    ),
    _FieldSpec(
        "scopes",
        "profileScopes",
        "Scopes",
        "Optional: the permissions to ask for, separated by spaces.",
        "offline_access trade",
    ),
    _FieldSpec(
        "client_id",
        "profileClientId",
        "Client id",
        "Optional: the id the broker gave you. Leave it empty and Brokerdeck registers itself with the broker.",
    ),
    _FieldSpec(
        "redirect_port",
        "profileRedirectPort",
        "Redirect port",
        "The local port your browser returns to after you sign in. Keep “any free port” unless the broker "
        "only accepts a fixed one.",
    ),
)


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

    profileSubmitted = Signal(dict)

    def __init__(self, validate: Validator, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("addProfileDialog")
        self.setModal(False)
        self.setWindowTitle("Add an OAuth 2 broker profile")
        self._validate = validate

        self.intro = _label(self)
        self.intro.setText(
            "For a broker that signs you in with OAuth 2 in your browser. Brokerdeck saves these settings to "
            "profiles.toml; it never asks for or saves a password here."
        )
        self.edits: dict[str, QLineEdit] = {}
        self.errors: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        for spec in FIELDS:
            field = self._field_widget(spec)
            form.addRow(f"{spec.title}:", field)

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
        layout.addWidget(self.intro)
        layout.addLayout(form)
        layout.addWidget(self.form_error)
        layout.addLayout(buttons)
        self.setMinimumWidth(520)

    def _field_widget(self, spec: _FieldSpec) -> QWidget:
        """The input, its help line and its (hidden) error line, stacked."""
        box = QWidget(self)
        if spec.key == "redirect_port":
            self.port = QSpinBox(box)
            self.port.setObjectName(spec.object_name)
            self.port.setRange(0, 65535)
            self.port.setSpecialValueText("any free port")
            editor: QWidget = self.port
        else:
            edit = QLineEdit(box)
            edit.setObjectName(spec.object_name)
            if spec.example:
                edit.setPlaceholderText(spec.example)
            self.edits[spec.key] = edit
            editor = edit
        help_label = _label(box, f"help-{spec.key}", "muted")
        help_label.setText(spec.help)
        error = _label(box, f"error-{spec.key}", "error")
        error.hide()
        self.errors[spec.key] = error
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(editor)
        column.addWidget(help_label)
        column.addWidget(error)
        return box

    def open_new(self) -> None:
        """Show an empty form without blocking."""
        for edit in self.edits.values():
            edit.clear()
        self.port.setValue(0)
        self._clear_errors()
        self.show()
        self.raise_()
        self.edits["name"].setFocus()

    def table(self) -> dict[str, object]:
        """The profiles.toml table the form describes; optional fields left empty are left out."""
        text = {key: edit.text().strip() for key, edit in self.edits.items()}
        table: dict[str, object] = {"name": text["name"], "kind": "oauth2"}
        if text["label"]:
            table["label"] = text["label"]
        table["issuer"] = text["issuer"]
        if text["resource"]:
            table["resource"] = text["resource"]
        scopes = text["scopes"].split()
        if scopes:
            table["scopes"] = scopes
        if text["client_id"]:
            table["client_id"] = text["client_id"]
        if self.port.value():
            table["redirect_port"] = self.port.value()
        return table

    def show_error(self, text: str) -> None:
        """A problem the form cannot pin on one field (saving failed); everything typed stays."""
        self.form_error.setText(text)
        self.form_error.show()
        self.show()

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
        first = next((f for f in self.edits if f in by_field), None)
        if first is not None:
            self.edits[first].setFocus()
        elif "redirect_port" in by_field:
            self.port.setFocus()

    def _clear_errors(self) -> None:
        for label in (*self.errors.values(), self.form_error):
            label.clear()
            label.hide()
