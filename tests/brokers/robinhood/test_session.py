"""The connector's live session against the sandbox Robinhood: its probe is the MCP handshake, and its health
tells granted, waitlisted, revoked and the agentic-account problems apart, each with its fix."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

import pytest

from brokers.core.actions import NextAction
from brokers.core.connector import SessionEnv
from brokers.core.health import ConnectionState, CredentialHealth
from brokers.registry import REGISTRY
from tests.brokers.robinhood.flows import sign_in
from tests.conftest import run_async
from tests.waiting import until_async

pytestmark = pytest.mark.secretservice


@pytest.fixture
def signed_in(rh_profile, vault, robinhood):
    run_async(lambda: sign_in(rh_profile, vault))
    return robinhood


def live(profile, vault, *, then=None):
    """Run the connector's session until its first check settles (and again after `then`); its health and
    accounts, and what it publishes for other processes."""

    async def scenario():
        env = SessionEnv(
            vault=vault, sandbox=None, on_change=lambda: None, on_vault_change=lambda: None, restart=lambda: None
        )
        session = REGISTRY.of(profile).open_session(profile, env)
        task = asyncio.create_task(session.run())
        try:
            await until_async(lambda: session.settled and session.health(time.time()), 30, message="the first check")
            if then is not None:
                await asyncio.to_thread(then)
                assert session.act(NextAction.RETRY) is not None
                await until_async(lambda: session.settled, 30, message="the second check")
            return session.health(time.time()), session.accounts(), session.published()
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await session.close()

    return run_async(scenario)


def test_a_granted_sign_in_is_active_with_its_agentic_account(rh_profile, vault, signed_in):
    health, report, published = live(rh_profile, vault)
    assert health.state == ConnectionState.ACTIVE
    assert health.kind == "robinhood-mcp"
    assert "Granted" in health.reason
    assert "••••1234" in health.reason
    assert {i.name: i.detail for i in health.items}["agentic account"] == "••••1234"
    (account,) = report.accounts
    assert account.buying_power == Decimal("287.50")
    assert account.net_liquidation == account.equity
    assert report.refresh_s == 60.0  # the session reads it again every minute
    aapl = next(p for p in account.positions if p.symbol == "AAPL")  # 10 bought at 187.23, last trade 190.12
    assert (aapl.market_price, aapl.market_value, aapl.unrealized_pnl) == (
        Decimal("190.12"),
        Decimal("1901.2000000"),
        Decimal("28.9000000"),
    )
    assert account.unrealized_pnl == sum(p.unrealized_pnl for p in account.positions)
    again = REGISTRY.of(rh_profile).published_health(rh_profile, published)(time.time())
    assert again.state == ConnectionState.ACTIVE
    assert "••••1234" in again.reason
    assert "5QR81234" not in str(published)


def test_a_waitlisted_sign_in_fails_with_nothing_to_press(rh_profile, vault, signed_in):
    signed_in.settings(waitlisted=True)
    health, report, _ = live(rh_profile, vault)
    assert health.state == ConnectionState.FAILED
    assert "waitlist" in health.reason
    assert health.next_action == NextAction.NONE
    assert "Press" not in health.reason + health.hint
    assert report is None


def test_a_revoked_grant_needs_a_new_sign_in(rh_profile, vault, signed_in):
    signed_in.revoke_all()
    health, _, _ = live(rh_profile, vault)
    assert_sign_in_needed(health)


def test_access_withdrawn_at_the_server_needs_a_new_sign_in(rh_profile, vault, signed_in):
    signed_in.settings(refuse_tokens=True)
    health, _, _ = live(rh_profile, vault)
    assert_sign_in_needed(health)
    assert "revoked" in health.reason


@pytest.mark.parametrize(("count", "words"), [(0, "no Robinhood account is enabled"), (2, "2 accounts")])
def test_no_or_several_agentic_accounts_is_a_state_with_its_fix(rh_profile, vault, signed_in, count, words):
    signed_in.settings(agentic=count)
    health, report, _ = live(rh_profile, vault, then=lambda: signed_in.settings(agentic=1))
    assert health.state == ConnectionState.ACTIVE  # fixed in Robinhood, then Retry now
    assert "••••1234" in health.reason
    assert report.problem == ""
    signed_in.settings(agentic=count)
    failed, report, _ = live(rh_profile, vault)
    assert failed.state == ConnectionState.FAILED
    assert words in failed.reason
    assert failed.next_action == NextAction.RETRY
    assert "Press Retry now" in failed.hint
    assert report.accounts == ()
    assert words in report.problem


def assert_sign_in_needed(health: CredentialHealth) -> None:
    assert health.state == ConnectionState.SIGN_IN_NEEDED
    assert health.next_action == NextAction.RECONNECT
    assert "brokerdeck login sandbox-robinhood" in health.hint
