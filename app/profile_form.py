"""The add-profile form's inputs, read from a profile class's declared fields.

The profile class declares each setting once (its parser, title and help); the form follows from that
declaration as the loader does, so a new setting of a kind shows up in the window with no form code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from brokers.core.profiles import Profile, parse_flag, parse_port, parse_scopes, required_fields, settable_fields
from widgets.add_profile_dialog import FormField

# What a value is follows from how it is parsed; any other parser reads text.
_EDITORS: dict[Callable[[Any], Any], str] = {parse_flag: "flag", parse_port: "port", parse_scopes: "words"}


def form_fields(cls: type[Profile] | None) -> tuple[FormField, ...]:
    """One input per field a profile of `cls` may set, in declaration order; none without a class."""
    if cls is None:
        return ()
    required = set(required_fields(cls))
    fields = []
    for name, spec in settable_fields(cls).items():
        meta = spec.metadata
        fields.append(
            FormField(
                key=name,
                title=meta.get("title") or name.replace("_", " ").capitalize(),
                help=meta.get("help", ""),
                editor=_EDITORS.get(meta["parse"], "text"),
                example=meta.get("example", ""),
                required=name in required,
                checked=spec.default is True,
            )
        )
    return tuple(fields)
