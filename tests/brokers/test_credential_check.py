"""The scheduled credential check from what the vault really holds: key ages against the rotation policy, the amber
row and the one action that starts a rotation, a worse state never hidden, and the loopback certificate's expiry.

Entries are written through the real vault and aged by setting their files' modification times.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from brokers.core.actions import ActionRoute, NextAction
from brokers.core.credential_notes import DUE_SOON_DAYS, CredentialNote, Due
from brokers.core.health import ConnectionState, CredentialHealth, Severity
from brokers.core.profiles import ProfileSet
from brokers.health.credential_check import CredentialCheck, check_credentials
from brokers.health.report import StatusReport, build_report, inspect_vault
from brokers.ibkr import vault_entries
from brokers.ibkr.health import ibkr_health
from brokers.ibkr.profile import IbkrProfile
from brokers.ibkr.rotation_due import rotation_notes
from brokers.ibkr.session import SessionPhase, SessionSnapshot
from brokers.oauth2.store import OAuthStore
from brokers.oauth2.tls import VALIDITY_DAYS, make_loopback_certificate, needs_renewal
from brokers.registry import REGISTRY
from brokers.vault import Vault
from tests.brokers.test_state_words import assert_words_match_offers

pytestmark = pytest.mark.secretservice

DAY = 86400.0
PROFILES = """\
[profiles.desk]
kind = "ibkr-oauth1a"
base_url = "https://api.ibkr.com/v1/api"
consumer_key = "TESTCONS1"

[profiles.firm]
kind = "ibkr-oauth2"
base_url = "https://api.ibkr.com/v1/api"
client_id = "BDCLIENT1"
key_id = "main"
credential = "firmuser"
public_ip = "203.0.113.7"
rotate_after_days = 30

[profiles.web]
kind = "oauth2"
issuer = "https://auth.example.com"
loopback_tls = true
"""


def profiles(text: str = PROFILES) -> ProfileSet:
    loaded = REGISTRY.schema.parse(text)
    assert loaded.errors == ()
    return loaded


def store_aged(vault: Vault, profile: str, kinds: frozenset[str], written_at: float) -> None:
    """Write each entry for real, then date its file `written_at`."""
    for kind in sorted(kinds):
        vault.put(profile, kind, f"stored {kind}".encode())
        os.utime(vault.directory / f"{profile}.{kind}.blob", (written_at, written_at))


def checked(profile_set: ProfileSet, vault: Vault) -> tuple[CredentialCheck, StatusReport]:
    """What the window does: inspect, run the check, then render (now); the check and the report."""
    findings = inspect_vault(profile_set, vault, REGISTRY)
    check = check_credentials(profile_set, findings.checks, frozenset(findings.stored), vault, REGISTRY)
    return check, build_report(profile_set, findings, {}, time.time(), registry=REGISTRY, check=check)


def report_at(profile_set: ProfileSet, vault: Vault, now: float, live=None) -> StatusReport:
    findings = inspect_vault(profile_set, vault, REGISTRY)
    check = check_credentials(profile_set, findings.checks, frozenset(findings.stored), vault, REGISTRY)
    return build_report(profile_set, findings, live or {}, now, registry=REGISTRY, check=check)


def health_of(report: StatusReport, name: str) -> CredentialHealth:
    return next(h for h in report.health if h.profile == name)


def row(health: CredentialHealth, name: str):
    return next(item for item in health.items if item.name == name)


NOW = time.time()


def test_keys_eighty_days_old_are_due_in_ten_days_amber_with_the_one_action_that_starts_a_rotation(vault):
    store_aged(vault, "desk", vault_entries.REQUIRED, NOW - 80 * DAY)
    report = report_at(profiles(), vault, NOW)
    desk = health_of(report, "desk")

    assert desk.state == ConnectionState.ROTATION_DUE
    assert desk.severity == Severity.WARN
    assert desk.reason.startswith(
        "Rotation due in 10 days: the signature key is 80 days old (policy: every 90 days). Credentials stored;"
    )
    assert desk.next_action == NextAction.ROTATE_KEYS
    assert desk.hint == "Press Rotate keys…, or run `brokerdeck keys rotate desk start`."
    due_on = datetime.fromtimestamp(NOW + 10 * DAY).strftime("%Y-%m-%d")
    for name in ("signature key", "access token"):
        item = row(desk, name)
        assert item.state == ConnectionState.ROTATION_DUE
        assert item.detail == f"age 80 days; rotation due in 10 days (on {due_on}; policy: every 90 days)"
        assert item.expires_at is None  # a due date, not an expiry
    (offer,) = [o for o in report.offers["desk"] if o.action == NextAction.ROTATE_KEYS]
    assert (offer.label, offer.route) == ("Rotate keys…", ActionRoute.ROTATION)
    assert "`brokerdeck keys rotate desk start`" in offer.tooltip
    assert offer.command == "brokerdeck keys rotate desk start"
    assert_words_match_offers(desk)

    as_json = next(p for p in report.to_json()["profiles"] if p["profile"] == "desk")
    assert (as_json["state"], as_json["next_action"]) == ("ROTATION_DUE", "rotate_keys")
    key = next(i for i in as_json["items"] if i["name"] == "signature key")
    assert (key["state"], key["expires_at"]) == ("ROTATION_DUE", None)
    assert key["detail"].startswith("age 80 days; rotation due in 10 days")


def test_younger_keys_show_their_age_and_due_date_without_turning_amber(vault):
    store_aged(vault, "desk", vault_entries.REQUIRED, NOW - (90 - DUE_SOON_DAYS - 1) * DAY)
    desk = health_of(report_at(profiles(), vault, NOW), "desk")
    assert desk.state == ConnectionState.NOT_CONNECTED  # the stored health: the window connects it
    assert desk.next_action == NextAction.CONNECT
    key = row(desk, "signature key")
    assert key.state == ConnectionState.ACTIVE
    assert key.detail.startswith("age 75 days; rotation due in 15 days (on ")


def test_an_overdue_rotation_says_by_how_much_and_stays_amber_since_the_keys_still_work(vault):
    store_aged(vault, "desk", vault_entries.REQUIRED, NOW - 100 * DAY)
    desk = health_of(report_at(profiles(), vault, NOW), "desk")
    assert desk.state == ConnectionState.ROTATION_DUE
    assert desk.severity == Severity.WARN
    assert desk.reason.startswith("Rotation overdue by 10 days: the signature key is 100 days old")
    assert "rotation overdue by 10 days" in row(desk, "signature key").detail
    assert desk.expires_at is None  # past due: no countdown beside the state


def test_each_credential_is_dated_by_its_own_entry(vault):
    store_aged(vault, "desk", vault_entries.REQUIRED, NOW - 20 * DAY)
    reissued = NOW - 85 * DAY  # an older access token beside newer keys: the token leads
    os.utime(vault.directory / "desk.access-token.blob", (reissued, reissued))
    desk = health_of(report_at(profiles(), vault, NOW), "desk")
    assert row(desk, "signature key").state == ConnectionState.ACTIVE
    assert row(desk, "access token").state == ConnectionState.ROTATION_DUE
    assert desk.reason.startswith("Rotation due in 5 days: the access token is 85 days old")


def test_a_policy_of_zero_never_falls_due(vault):
    text = PROFILES.replace('consumer_key = "TESTCONS1"\n', 'consumer_key = "TESTCONS1"\nrotate_after_days = 0\n')
    store_aged(vault, "desk", vault_entries.REQUIRED, NOW - 400 * DAY)
    desk = health_of(report_at(profiles(text), vault, NOW), "desk")
    assert desk.state == ConnectionState.NOT_CONNECTED
    assert row(desk, "signature key").detail == "age 400 days; no rotation due (rotate_after_days = 0, never)"


def test_a_red_session_stays_red_and_a_warning_stays_itself_with_the_amber_row_beside(vault):
    store_aged(vault, "desk", vault_entries.REQUIRED, NOW - 100 * DAY)
    desk = profiles().get("desk")
    assert isinstance(desk, IbkrProfile)
    failed = SessionSnapshot(phase=SessionPhase.FAILED, error="Invalid consumer.", error_action=NextAction.SETUP_KEYS)
    retrying = SessionSnapshot(phase=SessionPhase.RETRYING, error="IBKR failed.", retry_at=NOW + 30)
    for snapshot, state in ((failed, ConnectionState.FAILED), (retrying, ConnectionState.RETRYING)):
        live = {"desk": lambda now, snap=snapshot: ibkr_health(desk, snap, now)}
        health = health_of(report_at(profiles(), vault, NOW, live), "desk")
        assert health.state == state
        assert "Rotation" not in health.reason
        assert health.next_action != NextAction.ROTATE_KEYS
        assert row(health, "signature key").state == ConnectionState.ROTATION_DUE


def test_a_running_session_that_is_fine_shows_the_rotation_due_first(vault):
    store_aged(vault, "desk", vault_entries.REQUIRED, NOW - 80 * DAY)
    desk = profiles().get("desk")
    assert isinstance(desk, IbkrProfile)
    ready = SessionSnapshot(
        phase=SessionPhase.READY,
        lst_minted_at=NOW - 600,
        lst_expires_at=NOW + 80_000,
        renew_at=NOW + 60_000,
        authenticated=True,
        connected=True,
    )
    health = health_of(report_at(profiles(), vault, NOW, {"desk": lambda now: ibkr_health(desk, ready, now)}), "desk")
    assert health.state == ConnectionState.ROTATION_DUE
    assert health.reason.endswith("Live session token valid; brokerage session authenticated.")
    # the headline's time is the rotation's due date; the session token keeps its own on its row
    assert health.expires_at == datetime.fromtimestamp(NOW + 10 * DAY, tz=UTC)
    assert row(health, "live session token").expires_at == datetime.fromtimestamp(NOW + 80_000, tz=UTC)
    assert [i.name for i in health.items][:2] == ["live session token", "brokerage session"]


def test_new_keys_make_the_last_check_stale_and_the_next_one_green(vault):
    store_aged(vault, "desk", vault_entries.REQUIRED, NOW - 100 * DAY)
    before, _report = checked(profiles(), vault)
    for kind in (vault_entries.SIGNATURE_KEY, vault_entries.ENCRYPTION_KEY, vault_entries.ACCESS_TOKEN):
        vault.put("desk", kind, b"rotated")
    findings = inspect_vault(profiles(), vault, REGISTRY)
    assert not before.matches(findings.checks)
    after, report = checked(profiles(), vault)
    assert after.matches(findings.checks)
    desk = health_of(report, "desk")
    assert desk.state == ConnectionState.NOT_CONNECTED
    assert row(desk, "signature key").state == ConnectionState.ACTIVE
    assert row(desk, "signature key").detail.startswith("age ")
    assert "rotation due in 90 days" in row(desk, "signature key").detail


def test_the_oauth2_kind_dates_its_private_key_under_its_own_policy(vault):
    store_aged(vault, "firm", vault_entries.OAUTH2_REQUIRED, NOW - 31 * DAY)
    firm = health_of(report_at(profiles(), vault, NOW), "firm")
    assert firm.state == ConnectionState.ROTATION_DUE
    assert firm.reason.startswith("Rotation overdue by 1 day: the private key is 31 days old (policy: every 30 days).")
    assert "rotation overdue by 1 day" in row(firm, "private key").detail


def test_a_kind_that_cannot_rotate_says_how_to_replace_the_keys_by_hand(vault):
    store_aged(vault, "firm", vault_entries.OAUTH2_REQUIRED, NOW - 31 * DAY)
    firm = profiles().get("firm")
    checks = vault.check("firm")
    (by_hand,) = rotation_notes(firm, checks, vault_entries.OAUTH2_AGED, rotates=False)  # type: ignore[arg-type]
    (wizard,) = rotation_notes(firm, checks, vault_entries.OAUTH2_AGED, rotates=True)  # type: ignore[arg-type]
    assert by_hand.action == NextAction.NONE
    assert "`brokerdeck keys init firm --new-keys`" in by_hand.hint
    assert wizard.action == NextAction.ROTATE_KEYS
    assert "`brokerdeck keys rotate firm start`" in wizard.hint


def test_a_loopback_certificate_near_its_end_shows_amber_and_is_replaced_at_the_next_sign_in(vault):
    made = datetime.fromtimestamp(NOW, UTC) - timedelta(days=VALIDITY_DAYS - 10)
    ending = make_loopback_certificate(now=made)
    OAuthStore(vault, "web").save_tls_material(ending)
    web = health_of(report_at(profiles(), vault, NOW), "web")
    certificate = row(web, "loopback TLS certificate")
    assert certificate.state == ConnectionState.EXPIRING
    assert "expires in 10 days (on " in certificate.detail
    assert certificate.expires_at is not None
    assert web.state == ConnectionState.NOT_CONNECTED  # Brokerdeck replaces it by itself: no call to act
    assert needs_renewal(ending, NOW)

    fresh = make_loopback_certificate(now=datetime.fromtimestamp(NOW, UTC))
    OAuthStore(vault, "web").save_tls_material(fresh)
    renewed = row(health_of(report_at(profiles(), vault, NOW), "web"), "loopback TLS certificate")
    assert renewed.state == ConnectionState.ACTIVE
    assert f"expires in {VALIDITY_DAYS} days" in renewed.detail
    assert not needs_renewal(fresh, NOW)


def test_a_profile_without_the_listener_has_no_certificate_row(vault):
    text = PROFILES.replace("loopback_tls = true", "loopback_tls = false")
    OAuthStore(vault, "web").save_tls_material(make_loopback_certificate())
    web = health_of(report_at(profiles(text), vault, NOW), "web")
    assert all(item.name != "loopback TLS certificate" for item in web.items)


@pytest.mark.parametrize(
    ("due", "left_s", "said", "state"),
    [
        (Due.ROTATION, 10 * DAY, "rotation due in 10 days", ConnectionState.ROTATION_DUE),
        (Due.ROTATION, 5 * 3600, "rotation due in 1 day", ConnectionState.ROTATION_DUE),
        (Due.ROTATION, -5 * 3600, "rotation overdue by 5h 00m", ConnectionState.ROTATION_DUE),
        (Due.ROTATION, 20 * DAY, "rotation due in 20 days", ConnectionState.ACTIVE),
        (Due.SIGN_IN, 3 * DAY, "sign in again within 3 days", ConnectionState.EXPIRING),
        (Due.SIGN_IN, -2 * DAY, "the sign-in ended 2 days ago", ConnectionState.EXPIRED),
        (Due.EXPIRY, -2 * DAY, "expired 2 days ago", ConnectionState.EXPIRING),
    ],
)
def test_a_note_reads_its_due_date_in_whole_days(due, left_s, said, state):
    note = CredentialNote("key", due, written_at=NOW - 30 * DAY, due_at=NOW + left_s)
    assert note.sentence(NOW) == said
    assert note.state(NOW) == state


def test_a_sign_in_horizon_warns_from_its_own_moment_not_fourteen_days_ahead():
    note = CredentialNote("refresh token", Due.SIGN_IN, NOW - DAY, NOW + 6 * DAY, warn_from=NOW + 5.5 * DAY)
    assert note.state(NOW) == ConnectionState.ACTIVE
    assert note.state(NOW + 5.6 * DAY) == ConnectionState.EXPIRING
    assert replace(note, warn_from=None).state(NOW) == ConnectionState.EXPIRING
