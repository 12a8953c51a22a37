"""The add-profile form's inputs follow the profile class's declared fields, whatever they are."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from app.profile_form import form_fields
from brokers.core.profiles import Profile, declared, parse_flag, parse_text, settable_fields
from brokers.oauth2.profile import OAuth2Profile


def test_every_oauth2_setting_has_an_input_with_help():
    fields = {field.key: field for field in form_fields(OAuth2Profile)}
    assert list(fields) == list(settable_fields(OAuth2Profile))
    assert all(field.help for field in fields.values())
    assert {key: field.editor for key, field in fields.items()} == {
        "label": "text",
        "issuer": "text",
        "resource": "text",
        "scopes": "words",
        "client_id": "text",
        "redirect_port": "port",
        "loopback_tls": "flag",
    }
    assert [key for key, field in fields.items() if field.required] == ["issuer"]
    assert (fields["client_id"].title, fields["redirect_port"].title) == ("Client id", "Redirect port")
    assert fields["issuer"].example == "https://auth.example.com"
    assert not fields["loopback_tls"].checked


@dataclass(frozen=True, kw_only=True)
class DeskProfile(Profile):
    """A kind the form has never seen: its flag must still become a checkbox."""

    kind: ClassVar[str] = "desk"
    desk: str = declared(parse_text)
    confirm_orders: bool = declared(parse_flag, default=True, help_text="Ask before each order.")


def test_a_new_kind_gets_its_inputs_from_its_declaration():
    fields = {field.key: field for field in form_fields(DeskProfile)}
    assert list(fields) == ["label", "desk", "confirm_orders"]
    assert fields["desk"].required
    assert fields["desk"].title == "Desk"
    assert fields["confirm_orders"].editor == "flag"
    assert fields["confirm_orders"].checked
    assert fields["confirm_orders"].help == "Ask before each order."


def test_no_profile_class_means_no_inputs():
    assert form_fields(None) == ()
