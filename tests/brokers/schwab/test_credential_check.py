"""Schwab in the scheduled credential check, after a real sign-in at the sandbox: the 7-day horizon counted from
the sign-in ("sign in again within N days"), and the https listener's certificate, replaced at the next sign-in
when it is about to end."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from brokers.core.health import ConnectionState, CredentialHealth
from brokers.core.profiles import ProfileSet
from brokers.health.credential_check import check_credentials
from brokers.health.report import StatusReport, build_report, inspect_vault
from brokers.oauth2.store import OAuthStore
from brokers.oauth2.tls import VALIDITY_DAYS, certificate_expires_at, make_loopback_certificate
from brokers.registry import REGISTRY
from brokers.vault import Vault
from tests.brokers.schwab.flows import sign_in
from tests.conftest import run_async

pytestmark = pytest.mark.secretservice

DAY = 86400.0


def reports_at(profiles: ProfileSet, vault: Vault, *moments: float) -> list[StatusReport]:
    """One inspection and one check, rendered at each moment (as the window renders between checks)."""
    findings = inspect_vault(profiles, vault, REGISTRY)
    check = check_credentials(profiles, findings.checks, frozenset(findings.stored), vault, REGISTRY)
    return [build_report(profiles, findings, {}, now, registry=REGISTRY, check=check) for now in moments]


def row(health: CredentialHealth, name: str):
    return next(item for item in health.items if item.name == name)


def test_the_seven_day_horizon_counts_down_from_the_sign_in_and_turns_amber_then_red(schwab, vault):
    run_async(lambda: sign_in(schwab.profile, vault))
    record = OAuthStore(vault, schwab.profile.name).record()
    assert record is not None
    assert record.tokens is not None
    signed_at = record.tokens.authorized_at
    profiles = ProfileSet((schwab.profile,))
    fresh, last_half_day, ended = (
        report.health[0]
        for report in reports_at(profiles, vault, signed_at + 60, signed_at + 6.8 * DAY, signed_at + 8 * DAY)
    )

    refresh = row(fresh, "refresh token")
    assert fresh.state == ConnectionState.ACTIVE
    assert refresh.state == ConnectionState.ACTIVE
    assert refresh.detail.startswith("age ")  # the engine's row, with the check's words added
    assert "sign in again within 7 days (on " in refresh.detail
    assert row(fresh, "loopback TLS certificate").state == ConnectionState.ACTIVE

    assert last_half_day.state == ConnectionState.EXPIRING
    assert row(last_half_day, "refresh token").state == ConnectionState.EXPIRING
    assert "sign in again within 1 day (at " in row(last_half_day, "refresh token").detail
    assert last_half_day.next_action.value == "reconnect"

    assert ended.state == ConnectionState.EXPIRED
    assert row(ended, "refresh token").state == ConnectionState.EXPIRED
    assert "the sign-in ended 1 day ago" in row(ended, "refresh token").detail


def test_a_certificate_about_to_end_is_replaced_at_the_next_sign_in(schwab, vault):
    made = datetime.now(UTC) - timedelta(days=VALIDITY_DAYS - 5)
    OAuthStore(vault, schwab.profile.name).save_tls_material(make_loopback_certificate(now=made))
    profiles = ProfileSet((schwab.profile,))
    (before,) = reports_at(profiles, vault, time.time())
    certificate = row(before.health[0], "loopback TLS certificate")
    assert certificate.state == ConnectionState.EXPIRING
    assert "expires in 5 days" in certificate.detail

    run_async(lambda: sign_in(schwab.profile, vault))  # the browser trusts what the listener serves (stand_in)

    bundle = OAuthStore(vault, schwab.profile.name).tls_material()
    assert bundle is not None
    assert certificate_expires_at(bundle) > time.time() + (VALIDITY_DAYS - 1) * DAY
    (after,) = reports_at(profiles, vault, time.time())
    assert row(after.health[0], "loopback TLS certificate").state == ConnectionState.ACTIVE
