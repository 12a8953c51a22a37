"""Adding a profile to profiles.toml without disturbing what the trader wrote there.

The file is the trader's: it is only ever appended to, every existing byte (comments included) is
kept, and a file that does not parse is never rewritten. The new section is checked with the same
schema the loader uses, so anything the loader would refuse (secret-looking fields among them) is
refused here before it reaches the disk.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from brokers.core.actions import NextAction
from brokers.core.atomicfile import write_atomic
from brokers.core.errors import BrokerError
from brokers.core.paths import ensure_private_dir
from brokers.core.profiles import (
    PROFILE_NAME_PATTERN,
    Profile,
    ProfileError,
    ProfileSchema,
    ProfileSet,
    settable_fields,
)

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
_STAND_IN_NAME = "new-profile"  # parses the other fields when the given name itself is unusable
_NAME_RULE = "letters, digits and _ . - (at most 64), starting with a letter or digit"


class ProfileWriteError(BrokerError, ValueError):
    """The profile was not added; the message says why and what to do."""

    action = NextAction.FIX_PROFILE


# ---- table to TOML ---------------------------------------------------------------------------


def toml_key(key: str) -> str:
    """A bare key when TOML allows one, otherwise a quoted key (a dot would otherwise split it)."""
    return key if _BARE_KEY.fullmatch(key) else toml_string(key)


def toml_string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped; other Unicode kept."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ProfileWriteError("holds characters that are not valid text") from exc
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def toml_value(value: Any) -> str:
    """Strings, whole numbers, booleans and lists of those: all a profile ever holds."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if not -(2**63) <= value < 2**63:
            raise ProfileWriteError("is too large a number for profiles.toml")
        return str(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if value is None:
        raise ProfileWriteError("has no value; leave the field out instead")
    raise ProfileWriteError(f"cannot be written to profiles.toml (a {type(value).__name__} value)")


def _schema_order(fields: Mapping[str, Any], schema: ProfileSchema) -> list[str]:
    """`kind` first, then the kind's fields as the schema declares them, then anything else.

    Tables arrive from Qt signals with their keys sorted, so the order is restored here for the reader.
    """
    cls = schema.profile_class(fields.get("kind"))
    declared = list(settable_fields(cls)) if cls is not None else []
    rank = {key: i for i, key in enumerate(["kind", *declared])}
    return sorted(fields, key=lambda key: rank.get(key, len(rank)))


def profile_section(name: str, fields: Mapping[str, Any], schema: ProfileSchema, newline: str = "\n") -> str:
    """`[profiles.NAME]` and one `key = value` line per field, ending with a newline."""
    lines = [f"[profiles.{toml_key(name)}]"]
    lines.extend(f"{toml_key(key)} = {toml_value(fields[key])}" for key in _schema_order(fields, schema))
    return newline.join(lines) + newline


# ---- validation ------------------------------------------------------------------------------


def _name_errors(name: Any) -> list[ProfileError]:
    if not isinstance(name, str) or not name.strip():
        return [ProfileError(f"a name is required: {_NAME_RULE}", field="name")]
    if not PROFILE_NAME_PATTERN.fullmatch(name):
        return [ProfileError(f"profile names may only hold {_NAME_RULE}", profile=name, field="name")]
    return []


def _taken_names(existing: ProfileSet) -> set[str]:
    """Loaded profiles plus the ones the file names but could not load: both own their name."""
    return {p.name for p in existing.profiles} | {e.profile for e in existing.errors if e.profile}


def validate_profile_table(table: Mapping[str, Any], existing: ProfileSet, schema: ProfileSchema) -> list[ProfileError]:
    """Everything wrong with `table` as a new profile, each error naming its field; empty when it may be added.

    The table goes through the loader's own parser, so the form and the file can never disagree.
    """
    name = table.get("name")
    errors = _name_errors(name)
    name_ok = not errors and isinstance(name, str)
    usable_name = name if name_ok and isinstance(name, str) else _STAND_IN_NAME
    if name_ok and usable_name in _taken_names(existing):
        errors.append(
            ProfileError(
                f"a profile named '{usable_name}' already exists; choose another name",
                profile=usable_name,
                field="name",
            )
        )
    fields: dict[str, Any] = {}
    for key, value in table.items():
        if key == "name":
            continue
        try:
            toml_value(value)
        except ProfileWriteError as exc:
            errors.append(ProfileError(str(exc), field=str(key)))
            continue
        fields[str(key)] = value
    try:
        text = profile_section(usable_name, fields, schema)
    except ProfileWriteError as exc:  # a key that is not valid text
        return [*errors, ProfileError(str(exc))]
    profile = usable_name if name_ok else None
    errors.extend(dataclasses.replace(e, line=None, profile=profile) for e in schema.parse(text).errors)
    return errors


# ---- writing ---------------------------------------------------------------------------------


def _read_current(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""
    except OSError as exc:
        raise ProfileWriteError(f"cannot read {path}: {exc.strerror}; check its permissions, then try again") from exc


def _separator(raw: bytes, newline: bytes) -> bytes:
    """What goes between the existing text and the new section: end the last line, then one blank line."""
    if not raw.strip():
        return b"" if not raw else (b"" if raw.endswith(b"\n") else newline)
    ending = b"" if raw.endswith(b"\n") else newline
    blank = b"" if raw.endswith(b"\n\n") or raw.endswith(b"\r\n\r\n") else newline
    return ending + blank


def add_profile(path: Path, table: Mapping[str, Any], schema: ProfileSchema) -> Profile:
    """Append `table` as a new `[profiles.NAME]` section of `path` and return the profile as loaded.

    Raises `ProfileWriteError` (the file untouched) when the file cannot be parsed, the name is
    taken, the table is invalid, or the new text would not load the profile cleanly.
    """
    raw = _read_current(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProfileWriteError(
            f"{path} is not UTF-8 text; save it as UTF-8 in a text editor, then add the profile again"
        ) from exc
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileWriteError(
            f"{path} has a TOML syntax error ({exc}); Brokerdeck does not rewrite a file it cannot read. "
            "Fix it in a text editor, then add the profile again."
        ) from exc
    current = schema.parse(text)
    sections = document.get("profiles")
    in_file = set(sections) if isinstance(sections, dict) else set()
    name = table.get("name")
    if isinstance(name, str) and name in in_file:
        raise ProfileWriteError(f"{path} already has a profile named '{name}'; choose another name")
    errors = validate_profile_table(table, current, schema)
    if errors:
        raise ProfileWriteError("the profile was not added: " + "; ".join(str(e) for e in errors))
    name = str(name)  # validate_profile_table refused every name that is not a string

    newline = b"\r\n" if b"\r\n" in raw else b"\n"
    fields = {key: value for key, value in table.items() if key != "name"}
    section = profile_section(name, fields, schema, newline.decode("ascii")).encode("utf-8")
    data = raw + _separator(raw, newline) + section

    after = schema.parse(data.decode("utf-8"))
    added = after.get(name)
    before_errors = {str(e) for e in current.errors}
    new_errors = [str(e) for e in after.errors if str(e) not in before_errors]
    if added is None or new_errors:
        detail = "; ".join(new_errors) or "the new section did not load"
        raise ProfileWriteError(
            f"adding '{name}' would break {path} ({detail}); the file was left as it was. "
            "Add the section by hand in a text editor instead."
        )
    ensure_private_dir(path.parent)
    write_atomic(path, data, mode=0o600)
    return added
