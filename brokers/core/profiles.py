"""Broker profiles: what to connect to, read from `profiles.toml`, never a secret.

Each broker package declares its kind as a frozen `Profile` dataclass whose fields carry their own
parser, so a schema is declared once and the loader, the error messages and the CLI all follow from it.
The loader (`ProfileSchema`) knows only the classes the connector registry hands it. A bad profile never
hides the good ones: loading returns every valid profile plus a list of errors that name the line and the
field. A file that cannot be read at all (a TOML syntax error, bad encoding, no permission) is said to be
unreadable, so callers can tell "no profiles" from "profiles unknown" and keep what they had.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit


class ProfileOrigin(StrEnum):
    FILE = "profiles.toml"
    SANDBOX = "sandbox"


@dataclass(frozen=True)
class ProfileError:
    """One problem in the profiles file, located as precisely as the file allows."""

    message: str
    line: int | None = None
    profile: str | None = None
    field: str | None = None
    unreadable: bool = False  # the whole file could not be read, so nothing was loaded from it

    def __str__(self) -> str:
        if self.unreadable:
            return self.message  # it names the line itself
        where = [f"line {self.line}"] if self.line else []
        if self.profile:
            where.append(f"profile '{self.profile}'")
        if self.field:
            where.append(f"field '{self.field}'")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class FieldValueError(ValueError):
    """A field's value is wrong; the message says what a right one looks like."""


# ---- field parsers ---------------------------------------------------------------------------

PROFILE_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_LOOPBACK_HOSTS = {"localhost"}


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() in _LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise FieldValueError("must be a non-empty string in quotes")
    return value.strip()


def parse_url(value: Any) -> str:
    text = parse_text(value)
    parts = urlsplit(text)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise FieldValueError(f"must be a full URL such as https://host/path, got {text!r}")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise FieldValueError("must use https (plain http is accepted only for 127.0.0.1 / localhost)")
    if parts.query or parts.fragment:
        raise FieldValueError("must not carry a query string or fragment")
    return text.rstrip("/")


def parse_exact_url(value: Any) -> str:
    """Issuer and resource identifiers are compared byte for byte (RFC 8414, RFC 9728): a trailing "/" is kept."""
    text = parse_url(value)
    return text + "/" if parse_text(value).endswith("/") else text


def parse_flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise FieldValueError("must be true or false (without quotes)")
    return value


def parse_loopback_https_callback(value: Any) -> str:
    text = parse_text(value)
    parts = urlsplit(text)
    if parts.scheme != "https" or not is_loopback_host(parts.hostname) or not parts.port:
        raise FieldValueError(
            "must be https://127.0.0.1:PORT/path, exactly as registered with the broker "
            "(the broker only redirects to an https loopback address)"
        )
    return text


def parse_identifier(value: Any) -> str:
    text = parse_text(value)
    if not re.fullmatch(r"[A-Za-z0-9_.:@-]{1,128}", text):
        raise FieldValueError("may only hold letters, digits and _ . : @ - (at most 128)")
    return text


def parse_one_of(*allowed: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = parse_text(value)
        if text not in allowed:
            raise FieldValueError(f"must be one of {', '.join(repr(a) for a in allowed)}")
        return text

    return parse


def parse_scopes(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(s, str) and s and " " not in s for s in value):
        raise FieldValueError('must be a list of scope names, e.g. ["offline_access", "trade"]')
    return tuple(value)


def parse_port(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        raise FieldValueError("must be a whole number from 0 (any free port) to 65535")
    return value


def declared(
    parser: Callable[[Any], Any], *, title: str = "", help_text: str = "", example: str = "", **kwargs: Any
) -> Any:
    """A profile field that profiles.toml may set, read with `parser` (which raises FieldValueError).

    `title`, `help_text` and `example` describe the field to people (the window's add-profile form builds
    its inputs from them); the loader reads only the parser.
    """
    return field(metadata={"parse": parser, "title": title, "help": help_text, "example": example}, **kwargs)


# ---- the base of every kind ------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Profile:
    """Fields every profile has. Subclasses declare their kind's fields with a parser each."""

    kind: ClassVar[str]  # each broker's profile class sets it; profiles.toml names it
    name: str
    label: str = declared(
        parse_text,
        default="",
        help_text="What Brokerdeck shows for this profile; the name when empty.",
        example="My broker",
    )
    origin: ProfileOrigin = ProfileOrigin.FILE

    @property
    def display_name(self) -> str:
        return self.label or self.name


_SECRET_FIELD = re.compile(r"(?i)secret|password|passphrase|token|private|pem")


def settable_fields(cls: type[Profile]) -> dict[str, dataclasses.Field[Any]]:
    """The fields of `cls` a profile may set, in declaration order, each with its parser."""
    return {f.name: f for f in dataclasses.fields(cls) if "parse" in f.metadata}


def required_fields(cls: type[Profile]) -> list[str]:
    """Field names a profile of class `cls` must set (used by help texts and the add-profile form)."""
    return [
        name
        for name, f in settable_fields(cls).items()
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]


# ---- loading ---------------------------------------------------------------------------------

_NOTHING_LOADED = "nothing was loaded from it."
_KEPT_BEFORE = "showing the profiles as they were before the change."
_TOML_WHERE = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_TOML_AT_END = re.compile(r"\s*\(at end of document\)$")


def _unreadable(problem: str, advice: str) -> str:
    return f"{problem}. {advice}; {_NOTHING_LOADED}"


def _syntax_error(exc: tomllib.TOMLDecodeError, text: str) -> ProfileError:
    """The TOML syntax error at its line and column.

    Python 3.14 gives `msg`, `lineno` and `colno`; 3.12 only ends the text with "(at line N, column M)" or
    "(at end of document)", so both are read. The end of the document is reported as its last line.
    """
    said = str(exc)
    message = getattr(exc, "msg", None)
    if not isinstance(message, str):
        message = _TOML_AT_END.sub("", _TOML_WHERE.sub("", said))
    line, column = getattr(exc, "lineno", None), getattr(exc, "colno", None)
    where = _TOML_WHERE.search(said)
    if _TOML_AT_END.search(said):
        line, column = len(text.splitlines()) or 1, None
    elif where and not (isinstance(line, int) and isinstance(column, int)):
        line, column = int(where.group(1)), int(where.group(2))
    if isinstance(line, int) and isinstance(column, int):
        location = f" at line {line}, column {column}"
    elif isinstance(line, int):
        location = f" at line {line} (the end of the file)"
    else:
        line, location = None, ""
    problem = f"profiles.toml is unreadable{location}: {message}"
    return ProfileError(_unreadable(problem, "Fix the file"), line=line, unreadable=True)


@dataclass(frozen=True)
class ProfileSet:
    """The profiles that loaded, and what was wrong with the ones that did not."""

    profiles: tuple[Profile, ...] = ()
    errors: tuple[ProfileError, ...] = ()
    source: Path | None = None

    def get(self, name: str) -> Profile | None:
        return next((p for p in self.profiles if p.name == name), None)

    @property
    def unreadable_error(self) -> ProfileError | None:
        """Why the file could not be read at all, if it could not: its profiles are then unknown, not absent."""
        return next((e for e in self.errors if e.unreadable), None)

    def keeping_if_unreadable(self, previous: ProfileSet) -> ProfileSet:
        """This set; or, when the file was unreadable, `previous`'s profiles from the file in place of none.

        A running window keeps what it had while the trader is mid-edit, and says so; the sandbox's
        profiles stay this set's (they follow the running sandbox, not the file).
        """
        error = self.unreadable_error
        kept = tuple(p for p in previous.profiles if p.origin == ProfileOrigin.FILE)
        if error is None or not kept:
            return self
        said = error.message.removesuffix(_NOTHING_LOADED) + _KEPT_BEFORE
        return ProfileSet(kept, (dataclasses.replace(error, message=said),), self.source).with_profiles(self.profiles)

    def with_profiles(self, extra: Iterable[Profile]) -> ProfileSet:
        """This set plus `extra` (sandbox profiles); a name already taken keeps the file's profile."""
        taken = {p.name for p in self.profiles}
        added = tuple(p for p in extra if p.name not in taken)
        return dataclasses.replace(self, profiles=self.profiles + added)


class ProfileSchema:
    """The profile kinds one Brokerdeck knows, and the loader that reads them.

    The connector registry builds it from its connectors' profile classes, so a new broker is known to the
    loader, the add-profile form and the sandbox's profiles the moment it is registered.
    """

    def __init__(self, classes: Iterable[type[Profile]]) -> None:
        self._classes: dict[str, type[Profile]] = {}
        for cls in classes:
            if cls.kind in self._classes:
                raise ValueError(f"two profile classes declare the kind {cls.kind!r}")
            self._classes[cls.kind] = cls

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self._classes)

    def profile_class(self, kind: object) -> type[Profile] | None:
        return self._classes.get(kind) if isinstance(kind, str) else None

    def load(self, path: Path) -> ProfileSet:
        """Read `path`; a missing file is an empty set, never an error."""
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return ProfileSet(source=path)
        except OSError as exc:
            problem = _unreadable(f"cannot read {path}: {exc.strerror}", "Check its permissions")
            return ProfileSet(errors=(ProfileError(problem, unreadable=True),), source=path)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            problem = _unreadable("profiles.toml is not UTF-8 text", "Save it as UTF-8")
            return ProfileSet(errors=(ProfileError(problem, unreadable=True),), source=path)
        return dataclasses.replace(self.parse(text), source=path)

    def parse(self, text: str) -> ProfileSet:
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            return ProfileSet(errors=(_syntax_error(exc, text),))

        lines = _LineIndex(text)
        errors: list[ProfileError] = []
        for key in document:
            if key != "profiles":
                errors.append(
                    ProfileError(
                        f"unknown top-level entry '{key}'; profiles go in [profiles.NAME] tables",
                        line=lines.top_level(key),
                    )
                )
        tables = document.get("profiles", {})
        if not isinstance(tables, dict):
            errors.append(ProfileError("'profiles' must be a table of [profiles.NAME] sections", line=1))
            tables = {}
        loaded = self._build(tables.items(), ProfileOrigin.FILE, lines.find)
        return ProfileSet(profiles=loaded.profiles, errors=(*errors, *loaded.errors))

    def from_tables(self, tables: Iterable[Mapping[str, Any]], origin: ProfileOrigin) -> ProfileSet:
        """Profiles from tables that carry their own "name" (the sandbox's), checked exactly as the file is."""
        named = [(table.get("name"), {k: v for k, v in table.items() if k != "name"}) for table in tables]
        return self._build(named, origin, lambda _profile, _field: None)

    def _build(
        self,
        tables: Iterable[tuple[Any, Any]],
        origin: ProfileOrigin,
        line_of: Callable[[str, str | None], int | None],
    ) -> ProfileSet:
        profiles: list[Profile] = []
        errors: list[ProfileError] = []
        for name, table in tables:
            profile, problems = self._parse_one(name, table, origin, line_of)
            errors.extend(problems)
            if profile is not None:
                profiles.append(profile)
        return ProfileSet(profiles=tuple(profiles), errors=tuple(errors))

    def _parse_one(
        self,
        name: Any,
        table: Any,
        origin: ProfileOrigin,
        line_of: Callable[[str, str | None], int | None],
    ) -> tuple[Profile | None, list[ProfileError]]:
        if not isinstance(name, str) or not PROFILE_NAME_PATTERN.fullmatch(name):
            shown = name if isinstance(name, str) else None
            message = "profile names may only hold letters, digits and _ . - (at most 64)"
            return None, [ProfileError(message, line=line_of(shown, None) if shown else None, profile=shown)]

        def error(message: str, field_name: str | None = None) -> ProfileError:
            return ProfileError(message, line=line_of(name, field_name), profile=name, field=field_name)

        if not isinstance(table, dict):
            return None, [error("must be a table: write it as a [profiles.NAME] section")]
        kind = table.get("kind")
        kinds = ", ".join(self.kinds)
        if kind is None:
            return None, [error(f"'kind' is missing; set it to one of: {kinds}", "kind")]
        cls = self.profile_class(kind)
        if cls is None:
            return None, [error(f"unknown kind {kind!r}; use one of: {kinds}", "kind")]

        specs = settable_fields(cls)
        problems: list[ProfileError] = []
        values: dict[str, Any] = {}
        for key, value in table.items():
            if key == "kind":
                continue
            if key not in specs:
                if _SECRET_FIELD.search(key):
                    problems.append(
                        error(
                            "secrets never go in profiles.toml: remove this line; Brokerdeck asks for the "
                            "secret when you connect and keeps it in its encrypted vault",
                            key,
                        )
                    )
                else:
                    allowed = ", ".join(["kind", *specs])
                    problems.append(error(f"unknown field for kind '{kind}'; allowed fields: {allowed}", key))
                continue
            try:
                values[key] = specs[key].metadata["parse"](value)
            except FieldValueError as exc:
                problems.append(error(str(exc), key))
        for missing in (f for f in required_fields(cls) if f not in table):
            problems.append(error(f"'{missing}' is required for kind '{kind}'", missing))
        if problems:
            return None, problems
        return cls(name=name, origin=origin, **values), []


class _LineIndex:
    """Finds the line of a profile's table header or of one of its keys, by reading the text."""

    _HEADER = re.compile(r"^\s*\[\s*profiles\s*\.\s*(?:\"([^\"]+)\"|'([^']+)'|([A-Za-z0-9_.-]+))\s*\]")
    _KEY = re.compile(r"^\s*(?:\"([^\"]+)\"|'([^']+)'|([A-Za-z0-9_-]+))\s*=")

    def __init__(self, text: str) -> None:
        self._headers: dict[str, int] = {}
        self._keys: dict[tuple[str | None, str], int] = {}
        current: str | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            header = self._HEADER.match(line)
            if header:
                current = next(g for g in header.groups() if g)
                self._headers.setdefault(current, number)
                continue
            if line.lstrip().startswith("["):
                current = None
                continue
            key = self._KEY.match(line)
            if key:
                self._keys.setdefault((current, next(g for g in key.groups() if g)), number)

    def find(self, profile: str, field_name: str | None) -> int | None:
        if field_name and (profile, field_name) in self._keys:
            return self._keys[(profile, field_name)]
        return self._headers.get(profile)

    def top_level(self, key: str) -> int | None:
        return self._keys.get((None, key))
