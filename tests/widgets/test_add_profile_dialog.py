"""The add-profile form: builds the profiles.toml table, shows the validator's messages, emits only when valid.

Its inputs come from the oauth2 profile class, as the app builds them, so a declared setting cannot be
missing from the form.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLabel, QLineEdit, QPushButton, QSpinBox

from app.profile_form import form_fields
from brokers.core.profile_writer import validate_profile_table
from brokers.core.profiles import ProfileSet, settable_fields
from brokers.oauth2.profile import OAuth2Profile
from brokers.registry import REGISTRY
from widgets.add_profile_dialog import AddProfileDialog

FIELD_NAMES = {
    "name": "profileName",
    "label": "profileLabel",
    "issuer": "profileIssuer",
    "resource": "profileResource",
    "scopes": "profileScopes",
    "client_id": "profileClientId",
}


def needs_name_and_https(table: dict[str, object]) -> list[tuple[str | None, str]]:
    """A small stand-in for the app's validator."""
    problems: list[tuple[str | None, str]] = []
    if not table.get("name"):
        problems.append(("name", "a name is required"))
    if not str(table.get("issuer", "")).startswith("https://"):
        problems.append(("issuer", "must use https"))
    if table.get("label") == "clash":
        problems.append((None, "something about the whole profile"))
    return problems


def make(qtbot, validate=needs_name_and_https) -> AddProfileDialog:
    dialog = AddProfileDialog(validate, form_fields(REGISTRY.schema.profile_class(AddProfileDialog.KIND)))
    qtbot.addWidget(dialog)
    dialog.open_new()
    qtbot.waitExposed(dialog)
    return dialog


def fill(qtbot, dialog: AddProfileDialog, port: int = 0, tls: bool = False, **values: str) -> None:
    for key, text in values.items():
        edit = dialog.findChild(QLineEdit, FIELD_NAMES[key])
        edit.clear()
        qtbot.keyClicks(edit, text)
    dialog.findChild(QSpinBox, "profileRedirectPort").setValue(port)
    dialog.findChild(QCheckBox, "profileLoopbackTls").setChecked(tls)


def error_text(dialog: AddProfileDialog, field: str) -> str:
    label = dialog.findChild(QLabel, f"error-{field}")
    return "" if label.isHidden() else label.text()


def save(qtbot, dialog: AddProfileDialog) -> None:
    qtbot.mouseClick(dialog.findChild(QPushButton, "saveProfileButton"), Qt.MouseButton.LeftButton)


def test_the_form_has_every_field_and_is_non_modal(qtbot):
    dialog = make(qtbot)
    assert dialog.objectName() == "addProfileDialog"
    assert not dialog.isModal()
    assert all(dialog.findChild(QLineEdit, name) is not None for name in FIELD_NAMES.values())
    port = dialog.findChild(QSpinBox, "profileRedirectPort")
    assert (port.minimum(), port.maximum(), port.text()) == (0, 65535, "any free port")
    assert "registers itself" in dialog.findChild(QLabel, "help-client_id").text()
    tls = dialog.findChild(QCheckBox, "profileLoopbackTls")
    assert tls is not None
    assert not tls.isChecked()
    assert "self-signed" in dialog.findChild(QLabel, "help-loopback_tls").text()


def test_every_setting_the_profile_class_declares_has_an_input(qtbot):
    dialog = make(qtbot)
    assert [spec.key for spec in dialog.fields] == ["name", *settable_fields(OAuth2Profile)]
    assert all(key in dialog.inputs and dialog.inputs[key].isVisible() for key in settable_fields(OAuth2Profile))


def test_no_text_is_cut_off_at_the_default_size(qtbot):
    """Every wrapped line of help has the height it needs and lies inside the dialog."""
    dialog = make(qtbot)
    fill(qtbot, dialog, issuer="http://auth.example.com")
    save(qtbot, dialog)  # error lines appear too
    labels = [label for label in dialog.findChildren(QLabel) if label.isVisible() and label.text()]
    assert len(labels) > 10
    for label in labels:
        if label.wordWrap():
            assert label.height() >= label.heightForWidth(label.width()), label.objectName()
        assert label.width() >= label.minimumSizeHint().width(), label.text()
        where = label.geometry().translated(label.parentWidget().mapTo(dialog, label.parentWidget().rect().topLeft()))
        assert dialog.rect().contains(where), label.text()


def test_messages_are_shown_per_field_and_nothing_is_emitted_while_invalid(qtbot):
    dialog = make(qtbot)
    fill(qtbot, dialog, issuer="http://auth.example.com")
    with qtbot.assertNotEmitted(dialog.profileSubmitted):
        save(qtbot, dialog)
    assert error_text(dialog, "name") == "a name is required"
    assert error_text(dialog, "issuer") == "must use https"
    assert error_text(dialog, "label") == ""
    assert dialog.findChild(QLabel, "profileFormError").isHidden()
    assert dialog.isVisible()


def test_a_message_without_a_field_goes_to_the_general_label(qtbot):
    dialog = make(qtbot)
    fill(qtbot, dialog, name="x", label="clash", issuer="https://auth.example.com")
    with qtbot.assertNotEmitted(dialog.profileSubmitted):
        save(qtbot, dialog)
    general = dialog.findChild(QLabel, "profileFormError")
    assert not general.isHidden()
    assert general.text() == "something about the whole profile"


def test_a_valid_form_emits_the_table_without_empty_optional_fields(qtbot):
    dialog = make(qtbot)
    fill(qtbot, dialog, name=" custom ", issuer="https://auth.example.com")
    with qtbot.waitSignal(dialog.profileSubmitted, timeout=1000) as signal:
        save(qtbot, dialog)
    assert signal.args == [{"name": "custom", "kind": "oauth2", "issuer": "https://auth.example.com"}]


def test_every_field_lands_in_the_table(qtbot):
    dialog = make(qtbot)
    fill(
        qtbot,
        dialog,
        port=53121,
        tls=True,
        name="custom",
        label="Custom broker",
        issuer="https://auth.example.com",
        resource="https://api.example.com",
        scopes="offline_access  trade",
        client_id="brokerdeck-1",
    )
    with qtbot.waitSignal(dialog.profileSubmitted, timeout=1000) as signal:
        save(qtbot, dialog)
    assert signal.args == [
        {
            "name": "custom",
            "kind": "oauth2",
            "label": "Custom broker",
            "issuer": "https://auth.example.com",
            "resource": "https://api.example.com",
            "scopes": ["offline_access", "trade"],
            "client_id": "brokerdeck-1",
            "redirect_port": 53121,
            "loopback_tls": True,
        }
    ]


def test_errors_clear_once_fixed(qtbot):
    dialog = make(qtbot)
    fill(qtbot, dialog, issuer="http://x")
    save(qtbot, dialog)
    assert error_text(dialog, "issuer")
    fill(qtbot, dialog, name="ok", issuer="https://x.example")
    with qtbot.waitSignal(dialog.profileSubmitted, timeout=1000):
        save(qtbot, dialog)
    assert error_text(dialog, "issuer") == ""
    assert error_text(dialog, "name") == ""


def test_show_error_keeps_the_dialog_and_everything_typed(qtbot):
    dialog = make(qtbot)
    fill(qtbot, dialog, name="custom", issuer="https://auth.example.com", scopes="trade")
    dialog.show_error("Could not save profiles.toml: permission denied.")
    general = dialog.findChild(QLabel, "profileFormError")
    assert general.text() == "Could not save profiles.toml: permission denied."
    assert not general.isHidden()
    assert dialog.isVisible()
    assert dialog.findChild(QLineEdit, "profileName").text() == "custom"
    assert dialog.findChild(QLineEdit, "profileScopes").text() == "trade"


def test_open_new_clears_the_form(qtbot):
    dialog = make(qtbot)
    fill(qtbot, dialog, port=9000, tls=True, name="custom", issuer="http://x")
    save(qtbot, dialog)
    dialog.accept()
    dialog.open_new()
    assert all(dialog.findChild(QLineEdit, name).text() == "" for name in FIELD_NAMES.values())
    assert dialog.findChild(QSpinBox, "profileRedirectPort").value() == 0
    assert not dialog.findChild(QCheckBox, "profileLoopbackTls").isChecked()
    assert error_text(dialog, "issuer") == ""


def real_validator(existing: ProfileSet):
    """What the app passes: the core's validator, its errors turned into (field, message) pairs."""
    return lambda table: [(e.field, e.message) for e in validate_profile_table(table, existing, REGISTRY.schema)]


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"name": "ibkr", "issuer": "https://auth.example.com"}, "name", "already exists"),
        ({"name": "custom", "issuer": "http://auth.example.com"}, "issuer", "must use https"),
        ({"name": "bad name", "issuer": "https://auth.example.com"}, "name", "may only hold"),
        ({"name": "custom", "issuer": "https://a.example", "client_id": "a b"}, "client_id", "may only hold"),
    ],
)
def test_the_real_validator_messages_land_next_to_their_fields(qtbot, values, field, words):
    existing = REGISTRY.schema.parse('[profiles.ibkr]\nkind = "robinhood-mcp"\nurl = "https://x.example/mcp"\n')
    dialog = make(qtbot, real_validator(existing))
    fill(qtbot, dialog, **values)
    with qtbot.assertNotEmitted(dialog.profileSubmitted):
        save(qtbot, dialog)
    assert words in error_text(dialog, field)
    assert dialog.findChild(QLabel, "profileFormError").isHidden()


def test_the_real_validator_accepts_a_good_form(qtbot):
    dialog = make(qtbot, real_validator(ProfileSet()))
    fill(qtbot, dialog, port=8080, tls=True, name="custom", issuer="https://auth.example.com", scopes="offline_access")
    with qtbot.waitSignal(dialog.profileSubmitted, timeout=1000) as signal:
        save(qtbot, dialog)
    assert signal.args[0]["scopes"] == ["offline_access"]
    assert signal.args[0]["redirect_port"] == 8080
    assert signal.args[0]["loopback_tls"] is True
