"""Broker profiles: what to connect to, read from `profiles.toml`, never a secret.

Each kind is a frozen dataclass whose fields carry their own parser, so the schema is declared once
and the loader, the error messages and the CLI all follow from it. A bad profile never hides the good
ones: loading returns every valid profile plus a list of errors that name the line and the field.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit


class ProfileKind(StrEnum):
    IBKR_OAUTH1A = "ibkr-oauth1a"
    ROBINHOOD_MCP = "robinhood-mcp"
    SCHWAB = "schwab"
    OAUTH2 = "oauth2"


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

    def __str__(self) -> str:
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


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise FieldValueError("must be a non-empty string in quotes")
    return value.strip()


def _url(value: Any) -> str:
    text = _text(value)
    parts = urlsplit(text)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise FieldValueError(f"must be a full URL such as https://host/path, got {text!r}")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise FieldValueError("must use https (plain http is accepted only for 127.0.0.1 / localhost)")
    if parts.query or parts.fragment:
        raise FieldValueError("must not carry a query string or fragment")
    return text.rstrip("/")


def _exact_url(value: Any) -> str:
    """Issuer and resource identifiers are compared byte for byte (RFC 8414, RFC 9728): a trailing "/" is kept."""
    text = _url(value)
    return text + "/" if _text(value).endswith("/") else text


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise FieldValueError("must be true or false (without quotes)")
    return value


def _loopback_https_callback(value: Any) -> str:
    text = _text(value)
    parts = urlsplit(text)
    if parts.scheme != "https" or not is_loopback_host(parts.hostname) or not parts.port:
        raise FieldValueError(
            "must be https://127.0.0.1:PORT/path, exactly as registered with the broker "
            "(the broker only redirects to an https loopback address)"
        )
    return text


def _identifier(value: Any) -> str:
    text = _text(value)
    if not re.fullmatch(r"[A-Za-z0-9_.:@-]{1,128}", text):
        raise FieldValueError("may only hold letters, digits and _ . : @ - (at most 128)")
    return text


def _one_of(*allowed: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = _text(value)
        if text not in allowed:
            raise FieldValueError(f"must be one of {', '.join(repr(a) for a in allowed)}")
        return text

    return parse


def _scopes(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(s, str) and s and " " not in s for s in value):
        raise FieldValueError('must be a list of scope names, e.g. ["offline_access", "trade"]')
    return tuple(value)


def _port(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        raise FieldValueError("must be a whole number from 0 (any free port) to 65535")
    return value


def _parsed(parser: Callable[[Any], Any], **kwargs: Any) -> Any:
    return field(metadata={"parse": parser}, **kwargs)


# ---- profile kinds ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Profile:
    """Fields every profile has. Subclasses declare their kind's fields with a parser each."""

    kind: ClassVar[ProfileKind]
    name: str
    label: str = _parsed(_text, default="")
    origin: ProfileOrigin = ProfileOrigin.FILE

    @property
    def display_name(self) -> str:
        return self.label or self.name


@dataclass(frozen=True, kw_only=True)
class IbkrProfile(Profile):
    kind: ClassVar[ProfileKind] = ProfileKind.IBKR_OAUTH1A
    base_url: str = _parsed(_url)
    consumer_key: str = _parsed(_identifier)
    realm: str = _parsed(_one_of("limited_poa", "test_realm"), default="limited_poa")
    account: str = _parsed(_identifier, default="")


@dataclass(frozen=True, kw_only=True)
class RobinhoodProfile(Profile):
    kind: ClassVar[ProfileKind] = ProfileKind.ROBINHOOD_MCP
    url: str = _parsed(_url)


@dataclass(frozen=True, kw_only=True)
class SchwabProfile(Profile):
    kind: ClassVar[ProfileKind] = ProfileKind.SCHWAB
    app_key: str = _parsed(_identifier)
    callback: str = _parsed(_loopback_https_callback)


@dataclass(frozen=True, kw_only=True)
class OAuth2Profile(Profile):
    kind: ClassVar[ProfileKind] = ProfileKind.OAUTH2
    issuer: str = _parsed(_exact_url)
    resource: str = _parsed(_exact_url, default="")
    scopes: tuple[str, ...] = _parsed(_scopes, default=())
    client_id: str = _parsed(_identifier, default="")
    redirect_port: int = _parsed(_port, default=0)
    loopback_tls: bool = _parsed(_flag, default=False)  # serve the browser's return over https (self-signed)


PROFILE_CLASSES: dict[ProfileKind, type[Profile]] = {
    cls.kind: cls for cls in (IbkrProfile, RobinhoodProfile, SchwabProfile, OAuth2Profile)
}

_SECRET_FIELD = re.compile(r"(?i)secret|password|passphrase|token|private|pem")


def _settable_fields(cls: type[Profile]) -> dict[str, dataclasses.Field[Any]]:
    return {f.name: f for f in dataclasses.fields(cls) if "parse" in f.metadata}


def required_fields(kind: ProfileKind) -> list[str]:
    """Field names a profile of `kind` must set (used by help texts and the add-profile form)."""
    return [
        name
        for name, f in _settable_fields(PROFILE_CLASSES[kind]).items()
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]


# ---- loading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileSet:
    """The profiles that loaded, and what was wrong with the ones that did not."""

    profiles: tuple[Profile, ...] = ()
    errors: tuple[ProfileError, ...] = ()
    source: Path | None = None

    def get(self, name: str) -> Profile | None:
        return next((p for p in self.profiles if p.name == name), None)

    def with_profiles(self, extra: Iterable[Profile]) -> ProfileSet:
        """This set plus `extra` (sandbox profiles); a name already taken keeps the file's profile."""
        taken = {p.name for p in self.profiles}
        added = tuple(p for p in extra if p.name not in taken)
        return dataclasses.replace(self, profiles=self.profiles + added)


def load_profiles(path: Path) -> ProfileSet:
    """Read `path`; a missing file is an empty set, never an error."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return ProfileSet(source=path)
    except OSError as exc:
        return ProfileSet(errors=(ProfileError(f"cannot read {path}: {exc.strerror}"),), source=path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return ProfileSet(errors=(ProfileError("the file is not UTF-8 text; save it as UTF-8"),), source=path)
    result = parse_profiles(text)
    return dataclasses.replace(result, source=path)


def parse_profiles(text: str) -> ProfileSet:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # Python 3.14 gives lineno/msg; earlier versions only put "(at line N, column M)" in the text.
        where = re.search(r"\(at line (\d+), column \d+\)$", str(exc))
        line = getattr(exc, "lineno", None) or (int(where.group(1)) if where else None)
        if line is None and str(exc).endswith("(at end of document)"):
            line = len(text.splitlines()) or 1
        message = getattr(exc, "msg", None) or str(exc)
        return ProfileSet(errors=(ProfileError(f"not valid TOML: {message}", line=line),))

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

    profiles: list[Profile] = []
    for name, table in tables.items():
        profile, problems = _parse_one(name, table, lines)
        errors.extend(problems)
        if profile is not None:
            profiles.append(profile)
    return ProfileSet(profiles=tuple(profiles), errors=tuple(errors))


def _parse_one(name: str, table: Any, lines: _LineIndex) -> tuple[Profile | None, list[ProfileError]]:
    def error(message: str, field_name: str | None = None) -> ProfileError:
        return ProfileError(message, line=lines.find(name, field_name), profile=name, field=field_name)

    if not PROFILE_NAME_PATTERN.fullmatch(name):
        return None, [error("profile names may only hold letters, digits and _ . - (at most 64)")]
    if not isinstance(table, dict):
        return None, [error("must be a table: write it as a [profiles.NAME] section")]
    kind_text = table.get("kind")
    kinds = ", ".join(k.value for k in ProfileKind)
    if kind_text is None:
        return None, [error(f"'kind' is missing; set it to one of: {kinds}", "kind")]
    try:
        kind = ProfileKind(kind_text)
    except ValueError:
        return None, [error(f"unknown kind {kind_text!r}; use one of: {kinds}", "kind")]

    cls = PROFILE_CLASSES[kind]
    specs = _settable_fields(cls)
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
    for missing in (f for f in required_fields(kind) if f not in table):
        problems.append(error(f"'{missing}' is required for kind '{kind}'", missing))
    if problems:
        return None, problems
    return cls(name=name, **values), []


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
