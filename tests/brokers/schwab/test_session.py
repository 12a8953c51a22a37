"""A signed-in Schwab profile over time: silent renewal after a restart, the 7-day horizon, dead grants,
the accounts snapshot, and the probe that notices a revoked grant."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from brokers.core.accounts import MASK
from brokers.core.actions import NextAction
from brokers.core.health import ConnectionState
from brokers.oauth2.errors import LoginRequired
from brokers.oauth2.store import OAuthStore
from brokers.sandbox.schwab.accounts import sandbox_accounts
from tests.brokers.schwab.flows import CONNECTOR, live_session, sign_in, until, with_engine_session
from tests.conftest import run_async

pytestmark = pytest.mark.secretservice

DAY = 86400.0
HOUR = 3600.0


def _stored_tokens(schwab, vault):
    record = OAuthStore(vault, schwab.profile.name).record()
    assert record is not None
    assert record.tokens is not None
    return record.tokens


def test_a_restarted_session_renews_from_the_vault_without_a_browser_and_keeps_the_horizon(schwab, vault):
    run_async(lambda: sign_in(schwab.profile, vault))
    first = _stored_tokens(schwab, vault)

    renewed = run_async(lambda: with_engine_session(schwab.profile, vault, lambda s: s.refresh()))

    assert renewed.access_token != first.access_token
    assert renewed.authorized_at == first.authorized_at
    assert renewed.refresh_expires_at == first.refresh_expires_at  # 7 days from the sign-in, not from the renewal
    assert _stored_tokens(schwab, vault) == renewed
    assert [r["outcome"] for r in schwab.grants("refresh_token")] == ["ok"]
    assert len(schwab.grants("authorization_code")) == 1


def test_the_horizon_turns_amber_in_its_last_twelve_hours_then_needs_a_new_sign_in(schwab, vault):
    schwab.settings(access_s=8 * DAY)  # an access token that outlives the moved clock, so only the horizon speaks
    run_async(lambda: sign_in(schwab.profile, vault))
    tokens = _stored_tokens(schwab, vault)
    health = CONNECTOR.stored_health(schwab.profile, vault, ())
    ends = tokens.authorized_at + 7 * DAY

    assert health(ends - 12 * HOUR - 60).state == ConnectionState.ACTIVE
    amber = health(ends - 12 * HOUR + 60)
    assert amber.state == ConnectionState.EXPIRING
    assert amber.next_action == NextAction.RECONNECT
    assert "Reconnect" in [offer.label for offer in CONNECTOR.offers(schwab.profile, amber)]
    assert health(ends + 1).state == ConnectionState.EXPIRED

    schwab.advance(7 * DAY)  # Schwab's side of the same horizon: the refresh token is dead now
    with pytest.raises(LoginRequired, match="unsupported_token_type"):
        run_async(lambda: with_engine_session(schwab.profile, vault, lambda s: s.refresh()))
    after = CONNECTOR.stored_health(schwab.profile, vault, ())(tokens.authorized_at + 60)
    assert after.state == ConnectionState.SIGN_IN_NEEDED
    assert after.next_action == NextAction.RECONNECT


def test_unsupported_token_type_on_refresh_means_sign_in_needed(schwab, vault):
    run_async(lambda: sign_in(schwab.profile, vault))
    schwab.revoke_all()  # a sign-in on another machine supersedes this refresh token

    with pytest.raises(LoginRequired):
        run_async(lambda: with_engine_session(schwab.profile, vault, lambda s: s.refresh()))

    assert [r["outcome"] for r in schwab.grants("refresh_token")] == ["unsupported_token_type"]
    health = CONNECTOR.stored_health(schwab.profile, vault, ())(_now())
    assert health.state == ConnectionState.SIGN_IN_NEEDED
    assert "Reconnect" in [offer.label for offer in CONNECTOR.offers(schwab.profile, health)]


def test_the_session_reads_the_accounts_masked_with_decimal_money(schwab, vault):
    run_async(lambda: sign_in(schwab.profile, vault))

    async def read(session):
        return await until(lambda: session.accounts() if session.accounts().accounts else None, "the accounts")

    report = run_async(lambda: live_session(schwab.profile, vault, read))

    margin, cash = sandbox_accounts(schwab.seed)
    by_kind = {a.kind: a for a in report.accounts}
    assert set(by_kind) == {"MARGIN", "CASH"}
    assert by_kind["MARGIN"].account == MASK + margin.number[-4:]
    assert by_kind["CASH"].account == MASK + cash.number[-4:]
    assert by_kind["MARGIN"].buying_power == Decimal("38120.4")
    assert by_kind["MARGIN"].cash == Decimal("12430.55")
    assert by_kind["CASH"].buying_power == Decimal("5010.07")
    assert by_kind["CASH"].positions == ()
    aapl = next(p for p in by_kind["MARGIN"].positions if p.symbol == "AAPL")
    assert aapl.quantity == Decimal("40.0")
    assert (aapl.market_value, aapl.market_price, aapl.unrealized_pnl) == (
        Decimal("7570.0"),
        Decimal("189.2500"),
        Decimal("717.2"),
    )
    margin_account = by_kind["MARGIN"]
    assert margin_account.net_liquidation == margin_account.equity
    assert margin_account.unrealized_pnl == sum(p.unrealized_pnl for p in margin_account.positions)
    assert margin_account.day_pnl == Decimal("30.28") + Decimal("24.93")  # 0.4 % of each position's value
    assert report.refresh_s == 60.0
    assert aapl.average_price == Decimal("171.32")
    assert isinstance(aapl.market_value, Decimal)
    published = json.dumps(report.to_json())
    for account in (margin, cash):
        assert account.number not in published
        assert account.hash_value not in published


def test_the_probe_finds_a_revoked_grant(schwab, vault):
    run_async(lambda: sign_in(schwab.profile, vault))

    async def scenario(session):
        await until(lambda: session.health(_now()) if session.settled and session.accounts().accounts else None, "")
        proven = session.health(_now())
        schwab.revoke_all()
        assert session.probe()
        found = await until(
            lambda: h if (h := session.health(_now())) and h.state == ConnectionState.SIGN_IN_NEEDED else None,
            "the revoked grant",
        )
        return proven, found

    proven, found = run_async(lambda: live_session(schwab.profile, vault, scenario))
    assert proven.state == ConnectionState.ACTIVE
    assert "accepted it" in proven.reason
    assert found.next_action == NextAction.RECONNECT


def _now() -> float:
    import time

    return time.time()
