"""Every state a connector can produce names only actions it offers: the words and the buttons agree.

Each case below is one branch of a connector's verdict. For each, the health's next action must be one
of the profile's offers (so the window shows its button), and every "Press X" in the reason or the hint
must name the label of an offer made in that state.
"""

from __future__ import annotations

import re
import time
from dataclasses import replace

import pytest

from brokers.core.actions import NextAction
from brokers.core.health import SEVERITY, ConnectionState, CredentialHealth
from brokers.core.rotation_policy import rotation_hint, rotation_note
from brokers.health.credential_check import with_notes
from brokers.ibkr.connector import IbkrConnector
from brokers.ibkr.health import ibkr_health, setup_failure_health
from brokers.ibkr.profile import IbkrProfile
from brokers.ibkr.session import SessionPhase, SessionSnapshot
from brokers.oauth2.connector import OAuth2Connector
from brokers.oauth2.health import oauth2_health
from brokers.oauth2.profile import OAuth2Profile
from brokers.oauth2.session import SessionFacts
from brokers.registry import REGISTRY
from brokers.robinhood.access import AccessFacts
from brokers.robinhood.connector import RobinhoodConnector
from brokers.robinhood.health import robinhood_health
from brokers.robinhood.profile import RobinhoodProfile
from brokers.schwab.connector import SchwabConnector
from brokers.schwab.profile import SchwabProfile

NOW = time.time()
IBKR = IbkrProfile(name="desk", base_url="https://api.ibkr.com/v1/api", consumer_key="TESTCONS1")
OAUTH = OAuth2Profile(name="web", issuer="https://auth.example.com", client_id="brokerdeck")
SCHWAB = SchwabProfile(name="schwab", app_key="AppKey1", callback="https://127.0.0.1:8182/callback")
ROBINHOOD = RobinhoodProfile(name="rh")

READY = SessionSnapshot(
    phase=SessionPhase.READY,
    lst_minted_at=NOW - 600,
    lst_expires_at=NOW + 80_000,
    renew_at=NOW + 60_000,
    authenticated=True,
    connected=True,
    last_tickle_at=NOW - 20,
    next_tickle_at=NOW + 40,
)
IBKR_CASES: dict[str, tuple[SessionSnapshot, ConnectionState]] = {
    "never connected": (SessionSnapshot(), ConnectionState.NOT_CONNECTED),
    "connecting": (SessionSnapshot(phase=SessionPhase.CONNECTING), ConnectionState.CONNECTING),
    "active": (READY, ConnectionState.ACTIVE),
    "renewing": (replace(READY, renewing=True), ConnectionState.RENEWING),
    "competing": (replace(READY, competing=True), ConnectionState.COMPETING),
    "session lapsed": (replace(READY, authenticated=False), ConnectionState.FAILED),
    "lst expired": (replace(READY, lst_expires_at=NOW - 1), ConnectionState.EXPIRED),
    "retrying": (
        replace(READY, phase=SessionPhase.RETRYING, error="IBKR failed.", error_action=NextAction.RETRY, retry_at=NOW),
        ConnectionState.RETRYING,
    ),
    "retrying, reconnect fixes it": (
        replace(READY, phase=SessionPhase.RETRYING, error="No bridge.", error_action=NextAction.RECONNECT),
        ConnectionState.RETRYING,
    ),
    "rate limited": (
        replace(READY, phase=SessionPhase.RETRYING, error="429.", retry_at=NOW + 60, rate_limited=True),
        ConnectionState.RETRYING,
    ),
    "bad keys": (
        SessionSnapshot(phase=SessionPhase.FAILED, error="Invalid consumer.", error_action=NextAction.SETUP_KEYS),
        ConnectionState.FAILED,
    ),
    "paper account gone": (
        SessionSnapshot(phase=SessionPhase.FAILED, error="410.", error_action=NextAction.FIX_PROFILE),
        ConnectionState.FAILED,
    ),
}

SIGNED_IN = SessionFacts(
    connected=True,
    expires_at=NOW + 3000,
    authorized_at=NOW - 600,
    refresh_expires_at=NOW + 7 * 86400,
    has_refresh_token=True,
    issuer=OAUTH.issuer,
    client_id="brokerdeck",
)
OAUTH_CASES: dict[str, tuple[SessionFacts, bool, ConnectionState]] = {
    "never signed in": (SessionFacts(), True, ConnectionState.NOT_CONNECTED),
    "grant revoked": (SessionFacts(login_required="invalid_grant"), True, ConnectionState.SIGN_IN_NEEDED),
    "active": (SIGNED_IN, True, ConnectionState.ACTIVE),
    "proven active": (replace(SIGNED_IN, checked_at=NOW - 5), True, ConnectionState.ACTIVE),
    "renewing": (replace(SIGNED_IN, expires_at=NOW - 1), True, ConnectionState.RENEWING),
    "at rest, renews on use": (replace(SIGNED_IN, expires_at=NOW - 1), False, ConnectionState.ACTIVE),
    "renewal failing": (
        replace(SIGNED_IN, last_error="unreachable", last_error_action=NextAction.RETRY, retry_at=NOW + 30),
        True,
        ConnectionState.RETRYING,
    ),
    "renewal misconfigured": (
        replace(SIGNED_IN, last_error="invalid_client", last_error_action=NextAction.FIX_PROFILE),
        True,
        ConnectionState.RETRYING,
    ),
    "check unreachable": (replace(SIGNED_IN, check_error="timed out"), True, ConnectionState.RETRYING),
    "resource refuses": (
        replace(SIGNED_IN, check_error="401", check_refused=True),
        True,
        ConnectionState.FAILED,
    ),
    "horizon near": (
        replace(SIGNED_IN, authorized_at=NOW - 7 * 86400 + 3600, refresh_expires_at=NOW + 3600),
        True,
        ConnectionState.EXPIRING,
    ),
    "horizon passed": (replace(SIGNED_IN, refresh_expires_at=NOW - 1), True, ConnectionState.EXPIRED),
    "no refresh, expired": (
        replace(SIGNED_IN, expires_at=NOW - 1, has_refresh_token=False),
        True,
        ConnectionState.EXPIRED,
    ),
}

GRANTED = AccessFacts(granted_at=NOW - 5, agentic_account="••••1234")
ROBINHOOD_CASES: dict[str, tuple[SessionFacts, AccessFacts, ConnectionState]] = {
    "never signed in": (SessionFacts(), AccessFacts(), ConnectionState.NOT_CONNECTED),
    "grant revoked at renewal": (SessionFacts(login_required="invalid_grant"), GRANTED, ConnectionState.SIGN_IN_NEEDED),
    "not checked yet": (SIGNED_IN, AccessFacts(), ConnectionState.ACTIVE),
    "granted": (SIGNED_IN, GRANTED, ConnectionState.ACTIVE),
    "granted, renewing": (replace(SIGNED_IN, expires_at=NOW - 1), GRANTED, ConnectionState.RENEWING),
    "revoked at the server": (SIGNED_IN, AccessFacts(refused="refused"), ConnectionState.SIGN_IN_NEEDED),
    "waitlisted": (SIGNED_IN, AccessFacts(waitlisted="on the waitlist"), ConnectionState.FAILED),
    "no agentic account": (
        SIGNED_IN,
        AccessFacts(granted_at=NOW, agentic_problem="no account is agentic"),
        ConnectionState.FAILED,
    ),
    "check unreachable": (SIGNED_IN, AccessFacts(error="timed out"), ConnectionState.RETRYING),
}


def assert_words_match_offers(health: CredentialHealth) -> None:
    profile = {IBKR.kind: IBKR, SCHWAB.kind: SCHWAB, ROBINHOOD.kind: ROBINHOOD}.get(health.kind, OAUTH)
    offers = REGISTRY.of(profile).offers(profile, health)
    labels = {offer.label for offer in offers if offer.action != NextAction.NONE}
    if health.next_action != NextAction.NONE and health.next_action in {o.action for o in offers}:
        fix = next(o for o in offers if o.action == health.next_action)
        assert fix.label in labels
    for text in (health.reason, health.hint):
        for pressed in re.findall(r"Press (.+?)(?:,| to | or |\.|$)", text):
            assert pressed in labels, f"{health.state}: {text!r} names {pressed!r}; offered: {sorted(labels)}"


@pytest.mark.parametrize("case", IBKR_CASES)
def test_each_ibkr_state_names_only_what_is_offered(case):
    snapshot, state = IBKR_CASES[case]
    health = ibkr_health(IBKR, snapshot, NOW)
    assert health.state == state
    offered = {o.action for o in IbkrConnector().offers(IBKR, health)}
    assert (
        health.next_action == NextAction.NONE
        or health.next_action in offered
        or health.next_action
        in (
            NextAction.FIX_PROFILE,  # no button can fix a profile: the hint says what to edit
        )
    )
    assert_words_match_offers(health)


@pytest.mark.parametrize("case", OAUTH_CASES)
def test_each_oauth_state_names_only_what_is_offered(case):
    facts, live, state = OAUTH_CASES[case]
    health = oauth2_health(OAUTH, facts, NOW, live=live)
    assert health.state == state
    offered = {o.action for o in OAuth2Connector().offers(OAUTH, health)}
    assert (
        health.next_action == NextAction.NONE
        or health.next_action in offered
        or health.next_action in (NextAction.FIX_PROFILE,)
    )
    assert_words_match_offers(health)


SCHWAB_CASES: dict[str, tuple[SessionFacts, bool, ConnectionState]] = {
    **OAUTH_CASES,
    "refresh token superseded": (
        SessionFacts(login_required="no longer accepts the stored grant (unsupported_token_type)"),
        True,
        ConnectionState.SIGN_IN_NEEDED,
    ),
    "app secret refused, sign-in kept": (
        replace(
            SIGNED_IN,
            connected=False,
            client_refused="the app secret was refused by https://api.schwabapi.com (invalid_client)",
        ),
        True,
        ConnectionState.FAILED,
    ),
    "last 12 hours of the 7 days": (
        replace(SIGNED_IN, authorized_at=NOW - 7 * 86400 + 11 * 3600, refresh_expires_at=NOW + 11 * 3600),
        True,
        ConnectionState.EXPIRING,
    ),
}


@pytest.mark.parametrize("case", SCHWAB_CASES)
def test_each_schwab_state_names_only_what_is_offered(case):
    facts, live, state = SCHWAB_CASES[case]
    health = oauth2_health(SCHWAB, facts, NOW, live=live)
    assert health.state == state
    offered = {o.action for o in SchwabConnector().offers(SCHWAB, health)}
    assert (
        health.next_action == NextAction.NONE
        or health.next_action in offered
        or health.next_action in (NextAction.FIX_PROFILE,)
    )
    assert_words_match_offers(health)


def test_a_schwab_profile_without_its_app_secret_offers_the_setup_command():
    connector = SchwabConnector()
    health = CredentialHealth(
        profile=SCHWAB.name,
        label=SCHWAB.display_name,
        kind=SCHWAB.kind,
        origin=SCHWAB.origin.value,
        state=ConnectionState.NOT_CONNECTED,
        reason="keys not set up yet (missing: schwab-app-secret)",
        next_action=NextAction.SETUP_KEYS,
        hint=connector.setup_hint(SCHWAB),
    )
    assert [o.action for o in connector.offers(SCHWAB, health)] == [NextAction.SETUP_KEYS]
    assert "brokerdeck keys init schwab" in health.hint
    assert_words_match_offers(health)


@pytest.mark.parametrize("case", ROBINHOOD_CASES)
def test_each_robinhood_state_names_only_what_is_offered(case):
    facts, access, state = ROBINHOOD_CASES[case]
    health = robinhood_health(ROBINHOOD, facts, access, NOW, live=True)
    assert health.state == state
    offered = {o.action for o in RobinhoodConnector().offers(ROBINHOOD, health)}
    assert health.next_action == NextAction.NONE or health.next_action in offered
    assert_words_match_offers(health)


def test_a_setup_failure_offers_the_setup_command_it_names():
    health = setup_failure_health(IBKR, "Could not load the keys")
    assert health.next_action in {o.action for o in IbkrConnector().offers(IBKR, health)}
    assert_words_match_offers(health)


def rotation_due(snapshot: SessionSnapshot) -> CredentialHealth:
    """The IBKR profile's health in `snapshot` with keys 80 days old under its 90-day policy."""
    note = rotation_note(
        "signature key",
        NOW - 80 * 86400,
        IBKR.rotate_after_days,
        action=NextAction.ROTATE_KEYS,
        hint=rotation_hint("desk"),
    )
    return with_notes(ibkr_health(IBKR, snapshot, NOW), (note,), NOW)


def test_a_due_rotation_names_only_what_is_offered():
    health = rotation_due(READY)
    assert health.state == ConnectionState.ROTATION_DUE
    assert health.next_action in {o.action for o in IbkrConnector().offers(IBKR, health)}
    assert_words_match_offers(health)


def test_every_state_has_its_own_words_and_a_colour():
    labels = [state.label for state in ConnectionState]
    assert len(set(labels)) == len(labels)
    assert set(SEVERITY) == set(ConnectionState)
    produced = {state for _, state in IBKR_CASES.values()} | {state for *_, state in OAUTH_CASES.values()}
    produced.add(rotation_due(READY).state)
    assert produced == set(ConnectionState)  # the cases above walk every state there is


def test_a_late_tickle_reads_overdue_instead_of_staying_green():
    on_time = {i.name: i for i in ibkr_health(IBKR, READY, NOW).items}["keep-alive tickle"]
    late = replace(READY, last_tickle_at=NOW - 120, next_tickle_at=NOW - 60)
    overdue = {i.name: i for i in ibkr_health(IBKR, late, NOW).items}["keep-alive tickle"]
    assert on_time.state == ConnectionState.ACTIVE
    assert "next at" in on_time.detail
    assert overdue.state == ConnectionState.RETRYING
    assert overdue.detail.startswith("overdue since")
