"""The rotation policy in profiles.toml: both IBKR kinds read `rotate_after_days`, and a wrong value is named by line
and field while the other profiles still load."""

from __future__ import annotations

import pytest

from brokers.core.rotation_policy import DEFAULT_ROTATE_AFTER_DAYS
from brokers.ibkr.oauth2_profile import IbkrOAuth2Profile
from brokers.ibkr.profile import IbkrProfile
from brokers.registry import REGISTRY

IBKR = """\
[profiles.desk]
kind = "ibkr-oauth1a"
base_url = "https://api.ibkr.com/v1/api"
consumer_key = "TESTCONS1"
{policy}
[profiles.firm]
kind = "ibkr-oauth2"
base_url = "https://api.ibkr.com/v1/api"
client_id = "BDCLIENT1"
key_id = "main"
credential = "firmuser"
public_ip = "203.0.113.7"
rotate_after_days = 30
"""


def test_both_ibkr_kinds_default_to_ninety_days_and_read_their_own():
    desk, firm = REGISTRY.schema.parse(IBKR.format(policy="")).profiles
    assert isinstance(desk, IbkrProfile)
    assert isinstance(firm, IbkrOAuth2Profile)
    assert desk.rotate_after_days == DEFAULT_ROTATE_AFTER_DAYS == 90
    assert firm.rotate_after_days == 30


@pytest.mark.parametrize("days", [0, 1, 90, 3650])
def test_a_whole_number_of_days_is_the_policy_and_zero_turns_it_off(days):
    result = REGISTRY.schema.parse(IBKR.format(policy=f"rotate_after_days = {days}"))
    assert result.errors == ()
    assert result.profiles[0].rotate_after_days == days  # type: ignore[attr-defined]


@pytest.mark.parametrize("value", ['"90"', "-1", "3651", "true", "90.5", "[90]"])
def test_anything_else_is_refused_by_line_and_field_and_the_other_profile_still_loads(value):
    result = REGISTRY.schema.parse(IBKR.format(policy=f"rotate_after_days = {value}"))
    assert [(e.line, e.profile, e.field) for e in result.errors] == [(5, "desk", "rotate_after_days")]
    message = result.errors[0].message
    assert "whole number of days" in message
    assert "0 for no rotation policy" in message
    assert [p.name for p in result.profiles] == ["firm"]


def test_kinds_without_keys_to_rotate_have_no_policy():
    text = '[profiles.web]\nkind = "oauth2"\nissuer = "https://auth.example.com"\nrotate_after_days = 90\n'
    result = REGISTRY.schema.parse(text)
    assert [(e.profile, e.field) for e in result.errors] == [("web", "rotate_after_days")]
    assert "unknown field" in result.errors[0].message
