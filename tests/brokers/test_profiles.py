"""profiles.toml: every kind loads, and every mistake is named by line and field."""

from __future__ import annotations

import re

import pytest

from brokers.core.profiles import ProfileOrigin, ProfileSet, required_fields
from brokers.ibkr.oauth2_profile import IbkrOAuth2Profile
from brokers.ibkr.profile import IbkrProfile
from brokers.oauth2.profile import OAuth2Profile
from brokers.registry import REGISTRY
from brokers.robinhood.profile import RobinhoodProfile
from brokers.schwab.profile import SchwabProfile
from tests.conftest import REPO_ROOT

parse_profiles = REGISTRY.schema.parse
load_profiles = REGISTRY.schema.load

GOOD = """\
[profiles.ibkr-paper]
kind = "ibkr-oauth1a"
base_url = "https://api.ibkr.com/v1/api"
consumer_key = "TESTCONS1"
realm = "limited_poa"
account = "DU1234567"

[profiles.ibkr-firm]
kind = "ibkr-oauth2"
base_url = "https://1.api.ibkr.com/v1/api"
client_id = "BDCLIENT1"
key_id = "main"
credential = "firmuser"
public_ip = "203.0.113.7"

[profiles.robinhood]
kind = "robinhood-mcp"
url = "https://agent.robinhood.com/mcp/trading"

[profiles.schwab]
kind = "schwab"
app_key = "abcDEF123"
callback = "https://127.0.0.1:8182/callback"

[profiles.custom]
kind = "oauth2"
issuer = "https://auth.example.com"
resource = "https://api.example.com"
scopes = ["offline_access"]
redirect_port = 0
"""


def test_every_kind_loads_with_typed_fields():
    result = parse_profiles(GOOD)
    assert result.errors == ()
    ibkr, firm, robinhood, schwab, custom = result.profiles
    assert isinstance(ibkr, IbkrProfile)
    assert ibkr.consumer_key == "TESTCONS1"
    assert ibkr.account == "DU1234567"
    assert isinstance(firm, IbkrOAuth2Profile)
    assert (firm.client_id, firm.key_id, firm.credential, firm.public_ip) == (
        "BDCLIENT1",
        "main",
        "firmuser",
        "203.0.113.7",
    )
    assert isinstance(robinhood, RobinhoodProfile)
    assert robinhood.url.endswith("/mcp/trading")
    assert isinstance(schwab, SchwabProfile)
    assert schwab.callback == "https://127.0.0.1:8182/callback"
    assert isinstance(custom, OAuth2Profile)
    assert custom.scopes == ("offline_access",)
    assert custom.client_id == ""
    assert [p.kind for p in result.profiles] == list(REGISTRY.kinds)


def test_the_readme_example_is_valid():
    readme = (REPO_ROOT / "README.md").read_text("utf-8")
    block = re.search(r"```toml\n(.*?)```", readme, re.S)
    assert block, "README.md shows a profiles.toml example"
    result = parse_profiles(block.group(1))
    assert result.errors == ()
    assert {p.kind for p in result.profiles} == set(REGISTRY.kinds)


def _errors(text: str) -> list[tuple[int | None, str | None, str | None]]:
    return [(e.line, e.profile, e.field) for e in parse_profiles(text).errors]


def test_a_bad_field_is_named_by_line_and_field_and_the_good_profiles_still_load():
    text = GOOD.replace('base_url = "https://api.ibkr.com/v1/api"', 'base_url = "http://api.ibkr.com/v1/api"')
    result = parse_profiles(text)
    assert [(e.line, e.profile, e.field) for e in result.errors] == [(3, "ibkr-paper", "base_url")]
    assert "https" in result.errors[0].message
    assert [p.name for p in result.profiles] == ["ibkr-firm", "robinhood", "schwab", "custom"]
    assert str(result.errors[0]).startswith("line 3, profile 'ibkr-paper', field 'base_url':")


def test_a_secret_in_the_file_is_refused_with_what_to_do():
    result = parse_profiles(
        '[profiles.s]\nkind = "schwab"\napp_key = "k"\ncallback = "https://127.0.0.1:8182/cb"\napp_secret = "hunter2"\n'
    )
    (error,) = result.errors
    assert (error.line, error.field) == (5, "app_secret")
    assert "secrets never go in profiles.toml" in error.message
    assert "hunter2" not in str(error)
    assert result.profiles == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[profiles.a]\nkind = "oauth2"\n', [(1, "a", "issuer")]),
        ('[profiles.a]\nkind = "fidelity"\n', [(2, "a", "kind")]),
        ('[profiles.a]\nissuer = "https://x"\n', [(1, "a", "kind")]),
        ('[profiles.a]\nkind = "oauth2"\nissuer = "https://x"\nisuer = "https://y"\n', [(4, "a", "isuer")]),
        (
            '[profiles.a]\nkind = "oauth2"\nissuer = "https://x"\nredirect_port = 70000\n',
            [(4, "a", "redirect_port")],
        ),
        ('[profiles.a]\nkind = "oauth2"\nissuer = "https://x"\nscopes = "read"\n', [(4, "a", "scopes")]),
        (
            '[profiles.a]\nkind = "schwab"\napp_key = "k"\ncallback = "http://127.0.0.1:8182/cb"\n',
            [(4, "a", "callback")],
        ),
        (
            '[profiles.a]\nkind = "ibkr-oauth1a"\nbase_url = "https://x"\nconsumer_key = "K"\nrealm = "full"\n',
            [(5, "a", "realm")],
        ),
        ('[profiles."bad name!"]\nkind = "oauth2"\nissuer = "https://x"\n', [(1, "bad name!", None)]),
        ('title = "mine"\n', [(1, None, None)]),
        ('[profiles.a]\nkind = "oauth2"\nissuer = "https://x?y=1"\n', [(3, "a", "issuer")]),
    ],
)
def test_mistakes_are_located(text, expected):
    assert _errors(text) == expected


def test_plain_http_is_accepted_for_loopback_only():
    ok = parse_profiles('[profiles.a]\nkind = "oauth2"\nissuer = "http://127.0.0.1:9000"\n')
    assert ok.errors == ()
    assert ok.profiles[0].issuer == "http://127.0.0.1:9000"
    assert _errors('[profiles.a]\nkind = "oauth2"\nissuer = "http://10.0.0.5:9000"\n') == [(3, "a", "issuer")]


def test_a_syntax_error_makes_the_whole_file_unreadable_and_names_line_and_column():
    broken = GOOD.replace('consumer_key = "TESTCONS1"', "consumer_key = TESTCONS1")
    result = parse_profiles(broken)
    assert result.profiles == ()
    (error,) = result.errors
    assert result.unreadable_error == error
    assert (error.line, error.unreadable) == (4, True)
    assert str(error) == (
        "profiles.toml is unreadable at line 4, column 16: Invalid value. Fix the file; nothing was loaded from it."
    )


def test_a_syntax_error_at_the_end_names_the_last_line():
    (error,) = parse_profiles('[profiles.a]\nkind = "oauth2"\nissuer =').errors
    assert (error.line, error.unreadable) == (3, True)
    assert str(error).startswith("profiles.toml is unreadable at line 3 (the end of the file): Invalid value.")


def test_a_bad_profile_is_not_an_unreadable_file():
    result = parse_profiles('[profiles.a]\nkind = "oauth2"\nissuer = "http://example.com"\n')
    assert [e.unreadable for e in result.errors] == [False]
    assert result.unreadable_error is None
    assert parse_profiles("").unreadable_error is None


def test_missing_file_is_an_empty_set_and_unreadable_files_are_errors(tmp_path):
    assert load_profiles(tmp_path / "absent.toml").profiles == ()
    assert load_profiles(tmp_path / "absent.toml").errors == ()
    assert load_profiles(tmp_path / "absent.toml").unreadable_error is None
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes('[profiles.a]\nlabel = "caf\xe9"\n'.encode("latin-1"))
    (error,) = load_profiles(latin1).errors
    assert "UTF-8" in error.message
    assert error.unreadable


def test_an_unreadable_file_keeps_the_profiles_loaded_before():
    before = parse_profiles(GOOD)
    sandbox = REGISTRY.schema.from_tables(
        [{"name": "sandbox-x", "kind": "oauth2", "issuer": "http://127.0.0.1:9"}], ProfileOrigin.SANDBOX
    ).profiles
    broken = parse_profiles(GOOD + "[profiles.more\n").with_profiles(sandbox)
    kept = broken.keeping_if_unreadable(before.with_profiles(sandbox))
    assert [p.name for p in kept.profiles] == [p.name for p in before.profiles] + ["sandbox-x"]
    (error,) = kept.errors
    assert error.unreadable
    assert error.line == GOOD.count("\n") + 1
    assert str(error).endswith("Fix the file; showing the profiles as they were before the change.")
    assert "nothing was loaded" not in str(error)
    assert kept.keeping_if_unreadable(kept).profiles == kept.profiles  # still broken: still kept


def test_a_readable_file_or_nothing_to_keep_replaces_the_profiles():
    before = parse_profiles(GOOD)
    fewer = parse_profiles(GOOD.split("[profiles.robinhood]")[0])
    assert fewer.keeping_if_unreadable(before) == fewer
    broken = parse_profiles("[profiles.x\n")
    assert broken.keeping_if_unreadable(ProfileSet()) == broken
    assert "nothing was loaded from it" in str(broken.keeping_if_unreadable(broken).errors[0])


def test_required_fields_follow_the_schema():
    assert required_fields(IbkrProfile) == ["base_url", "consumer_key"]
    assert required_fields(OAuth2Profile) == ["issuer"]
