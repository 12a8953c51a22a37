"""The health of an OAuth 2.0 IBKR session: both tokens' lifetimes, what is about to lapse, and the one fix."""

from __future__ import annotations

import re
import time
from dataclasses import replace

import pytest

from brokers.core.actions import NextAction
from brokers.core.health import ConnectionState
from brokers.ibkr.health import ibkr_health
from brokers.ibkr.oauth2_profile import IbkrOAuth2Profile
from brokers.ibkr.session import SessionPhase, SessionSnapshot
from brokers.registry import REGISTRY

NOW = time.time()
PROFILE = IbkrOAuth2Profile(
    name="firm",
    base_url="https://api.ibkr.com/v1/api",
    client_id="BDCLIENT1",
    key_id="main",
    credential="firmuser",
    public_ip="203.0.113.7",
)
READY = SessionSnapshot(
    phase=SessionPhase.READY,
    access_token_minted_at=NOW - 3600,
    access_token_expires_at=NOW - 3600 + 86399,
    sso_minted_at=NOW - 3600,
    sso_expires_at=NOW - 3600 + 86400,
    renew_at=NOW - 3600 + 0.8 * 86399,
    authenticated=True,
    connected=True,
    last_tickle_at=NOW - 20,
    next_tickle_at=NOW + 40,
)


def test_an_active_session_shows_both_tokens_with_age_renewal_and_expiry():
    health = ibkr_health(PROFILE, READY, NOW)
    assert (health.state, health.next_action) == (ConnectionState.ACTIVE, NextAction.NONE)
    assert health.reason == "Access token and SSO session token valid; brokerage session authenticated."
    assert health.expires_at.timestamp() == pytest.approx(READY.sso_expires_at)  # what every request carries
    access, sso, brokerage, tickle = health.items
    assert (access.name, sso.name, brokerage.name, tickle.name) == (
        "access token",
        "SSO session token",
        "brokerage session",
        "keep-alive tickle",
    )
    assert access.detail.startswith("age 1h 00m, renewal at ")
    assert access.expires_at is not None
    assert sso.expires_at is not None


def test_the_renewal_names_the_token_that_is_due():
    access_due = replace(
        READY,
        access_token_minted_at=NOW - 100,
        access_token_expires_at=NOW + 20,
        renew_at=NOW - 4,
    )
    health = ibkr_health(PROFILE, access_due, NOW)
    assert health.state == ConnectionState.RENEWING
    assert health.reason == "Renewing the access token."


def test_a_failing_renewal_says_what_is_about_to_lapse_and_when():
    failing = replace(
        READY,
        phase=SessionPhase.RETRYING,
        sso_minted_at=NOW - 1000,
        sso_expires_at=NOW + 200,
        error="Cannot reach IBKR.",
        retry_at=NOW + 30,
    )
    health = ibkr_health(PROFILE, failing, NOW)
    assert (health.state, health.next_action) == (ConnectionState.RETRYING, NextAction.RETRY)
    assert re.search(r"The SSO session token expires at \S+ \(in 3m 20s\)\.$", health.reason), health.reason
    assert "access token" not in health.reason  # not due yet: not mentioned


def test_an_expired_sso_token_is_expired_and_reconnect_fixes_it():
    expired = replace(READY, sso_expires_at=NOW - 1)
    health = ibkr_health(PROFILE, expired, NOW)
    assert (health.state, health.next_action) == (ConnectionState.EXPIRED, NextAction.RECONNECT)
    assert health.reason == "The SSO session token has expired."
    assert NextAction.RECONNECT in {o.action for o in REGISTRY.of(PROFILE).offers(PROFILE, health)}


def test_bad_keys_name_this_kinds_setup():
    failed = SessionSnapshot(phase=SessionPhase.FAILED, error="IBKR refused.", error_action=NextAction.SETUP_KEYS)
    health = ibkr_health(PROFILE, failed, NOW)
    assert health.next_action == NextAction.SETUP_KEYS
    assert "send the public key it prints to IBKR" in health.hint
    (setup,) = [o for o in REGISTRY.of(PROFILE).offers(PROFILE, health) if o.action == NextAction.SETUP_KEYS]
    assert setup.command == "brokerdeck keys init firm"
