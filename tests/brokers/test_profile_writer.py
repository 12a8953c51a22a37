"""Adding a profile appends to profiles.toml, keeps every existing byte, and refuses what would not load."""

from __future__ import annotations

import stat
import tomllib

import pytest

from brokers.core import profile_writer
from brokers.core.profile_writer import ProfileWriteError, toml_string
from brokers.core.profiles import ProfileSet
from brokers.oauth2.profile import OAuth2Profile
from brokers.registry import REGISTRY

SCHEMA = REGISTRY.schema
parse_profiles = SCHEMA.parse
load_profiles = SCHEMA.load


def add_profile(path, table):
    return profile_writer.add_profile(path, table, SCHEMA)


def profile_section(name, fields):
    return profile_writer.profile_section(name, fields, SCHEMA)


def validate_profile_table(table, existing):
    return profile_writer.validate_profile_table(table, existing, SCHEMA)


EXISTING = """\
# My brokers. Keep this comment exactly as it is.
[profiles.ibkr-paper]   # paper account
kind = "ibkr-oauth1a"
base_url = "https://api.ibkr.com/v1/api"
consumer_key = "TESTCONS1"  # from the portal
"""

NEW = {
    "name": "custom",
    "kind": "oauth2",
    "label": "Custom broker",
    "issuer": "https://auth.example.com",
    "scopes": ["offline_access", "trade"],
    "redirect_port": 53121,
}


def test_append_keeps_existing_text_and_comments_byte_for_byte(tmp_path):
    path = tmp_path / "profiles.toml"
    path.write_bytes(EXISTING.encode("utf-8"))

    profile = add_profile(path, NEW)

    data = path.read_bytes()
    assert data.startswith(EXISTING.encode("utf-8"))
    assert data[len(EXISTING) :].startswith(b"\n[profiles.custom]\n")  # one blank line before the section
    assert isinstance(profile, OAuth2Profile)
    assert (profile.name, profile.label, profile.scopes, profile.redirect_port) == (
        "custom",
        "Custom broker",
        ("offline_access", "trade"),
        53121,
    )
    loaded = load_profiles(path)
    assert loaded.errors == ()
    assert [p.name for p in loaded.profiles] == ["ibkr-paper", "custom"]


def test_a_file_without_a_final_newline_gets_one_before_the_blank_line(tmp_path):
    path = tmp_path / "profiles.toml"
    original = EXISTING.rstrip("\n").encode("utf-8")
    path.write_bytes(original)
    add_profile(path, NEW)
    assert path.read_bytes().startswith(original + b"\n\n[profiles.custom]\n")


def test_crlf_files_stay_crlf(tmp_path):
    path = tmp_path / "profiles.toml"
    original = EXISTING.replace("\n", "\r\n").encode("utf-8")
    path.write_bytes(original)
    add_profile(path, NEW)
    data = path.read_bytes()
    assert data.startswith(original + b"\r\n[profiles.custom]\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_missing_file_and_folder_are_created_private(tmp_path):
    path = tmp_path / "config" / "profiles.toml"
    add_profile(path, NEW)
    assert path.read_text("utf-8").startswith('[profiles.custom]\nkind = "oauth2"\n')
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_rewritten_file_is_owner_only_even_if_it_was_not(tmp_path):
    path = tmp_path / "profiles.toml"
    path.write_text(EXISTING, "utf-8")
    path.chmod(0o644)
    add_profile(path, NEW)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "label",
    [
        'He said "hi"',
        "back\\slash and C:\\path\\",
        "ünïcödé ✓ 日本 🚀",
        "tab\tnew\nline and \x7f and \x01",
        "'single' and ''' triple",
        '""" triple double',
    ],
)
def test_tricky_strings_round_trip(tmp_path, label):
    path = tmp_path / "profiles.toml"
    profile = add_profile(path, {**NEW, "label": label})
    assert profile.label == label.strip()
    assert tomllib.loads(path.read_text("utf-8"))["profiles"]["custom"]["label"] == label


def test_toml_string_escapes_what_toml_requires():
    assert toml_string('a"b\\c') == '"a\\"b\\\\c"'
    assert toml_string("\x00\x1f\x7f") == '"\\u0000\\u001F\\u007F"'
    assert toml_string("é") == '"é"'
    with pytest.raises(ProfileWriteError):
        toml_string("\udc80")  # a lone surrogate cannot be written as UTF-8


def test_names_with_dots_are_quoted_in_the_header(tmp_path):
    path = tmp_path / "profiles.toml"
    profile = add_profile(path, {**NEW, "name": "broker.eu"})
    assert '[profiles."broker.eu"]' in path.read_text("utf-8")
    assert profile.name == "broker.eu"


def test_section_lists_kind_first_then_the_schema_order():
    text = profile_section("x", {"scopes": ["a"], "issuer": "https://i.example", "kind": "oauth2", "label": "X"})
    assert text.splitlines() == [
        "[profiles.x]",
        'kind = "oauth2"',
        'label = "X"',
        'issuer = "https://i.example"',
        'scopes = ["a"]',
    ]


def test_a_taken_name_is_refused_and_the_file_untouched(tmp_path):
    path = tmp_path / "profiles.toml"
    path.write_text(EXISTING, "utf-8")
    with pytest.raises(ProfileWriteError, match="already has a profile named 'ibkr-paper'"):
        add_profile(path, {**NEW, "name": "ibkr-paper"})
    assert path.read_text("utf-8") == EXISTING


def test_a_name_the_file_holds_but_could_not_load_is_taken_too(tmp_path):
    path = tmp_path / "profiles.toml"
    broken_profile = EXISTING + '\n[profiles.half]\nkind = "oauth2"\n'  # issuer missing: does not load
    path.write_text(broken_profile, "utf-8")
    with pytest.raises(ProfileWriteError, match="'half'"):
        add_profile(path, {**NEW, "name": "half"})
    assert path.read_text("utf-8") == broken_profile


def test_an_invalid_issuer_names_the_field_and_writes_nothing(tmp_path):
    path = tmp_path / "profiles.toml"
    path.write_text(EXISTING, "utf-8")
    with pytest.raises(ProfileWriteError, match="field 'issuer': must use https"):
        add_profile(path, {**NEW, "issuer": "http://auth.example.com"})
    assert path.read_text("utf-8") == EXISTING


def test_a_file_with_broken_toml_is_never_rewritten(tmp_path):
    path = tmp_path / "profiles.toml"
    broken = EXISTING + "[profiles.oops\nkind = \n"
    path.write_text(broken, "utf-8")
    before = path.stat().st_mtime_ns
    with pytest.raises(ProfileWriteError, match="TOML syntax error") as caught:
        add_profile(path, NEW)
    assert "Fix it in a text editor" in str(caught.value)
    assert path.read_text("utf-8") == broken
    assert path.stat().st_mtime_ns == before
    assert [p.name for p in tmp_path.iterdir()] == ["profiles.toml"]  # no temp file left behind


def test_a_section_that_cannot_join_the_file_is_refused(tmp_path):
    path = tmp_path / "profiles.toml"
    inline = 'profiles = { other = { kind = "robinhood-mcp", url = "https://x.example/mcp" } }\n'
    path.write_text(inline, "utf-8")
    with pytest.raises(ProfileWriteError, match="would break"):
        add_profile(path, NEW)
    assert path.read_text("utf-8") == inline


def test_secret_fields_are_refused_before_anything_is_written(tmp_path):
    path = tmp_path / "profiles.toml"
    with pytest.raises(ProfileWriteError, match=r"secrets never go in profiles\.toml"):
        add_profile(path, {**NEW, "client_secret": "s3cr3t"})
    assert not path.exists()


def test_validate_accepts_a_good_table():
    assert validate_profile_table(NEW, ProfileSet()) == []
    minimal = {"name": "m", "kind": "oauth2", "issuer": "http://127.0.0.1:8080"}
    assert validate_profile_table(minimal, ProfileSet()) == []


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"issuer": "http://auth.example.com"}, "issuer", "must use https"),
        ({"issuer": ""}, "issuer", "non-empty string"),
        ({"resource": "ftp://x.example"}, "resource", "full URL"),
        ({"client_id": "has spaces"}, "client_id", "may only hold"),
        ({"redirect_port": 70000}, "redirect_port", "0 (any free port) to 65535"),
        ({"scopes": ["two words"]}, "scopes", "list of scope names"),
        ({"name": "bad name!"}, "name", "profile names may only hold"),
        ({"name": ""}, "name", "a name is required"),
        ({"kind": "nonsense"}, "kind", "unknown kind"),
        ({"api_token": "x"}, "api_token", "secrets never go"),
        ({"colour": "red"}, "colour", "unknown field"),
        ({"label": None}, "label", "has no value"),
    ],
)
def test_validate_names_the_field_of_each_mistake(change, field, words):
    errors = validate_profile_table({**NEW, **change}, ProfileSet())
    assert [e.field for e in errors] == [field]
    assert words in errors[0].message
    assert errors[0].line is None


def test_validate_reports_a_missing_required_field_and_a_taken_name_together():
    existing = parse_profiles('[profiles.custom]\nkind = "robinhood-mcp"\nurl = "https://x.example/mcp"\n')
    table = {key: value for key, value in NEW.items() if key != "issuer"}
    errors = validate_profile_table(table, existing)
    assert {e.field for e in errors} == {"name", "issuer"}
    assert any("already exists" in e.message for e in errors)
