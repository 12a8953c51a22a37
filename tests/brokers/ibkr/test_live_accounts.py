"""Both IBKR connectors' live sessions read their accounts, as the window runs them, from the sandbox process."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

import httpx
import pytest

from app.sandbox import sandbox_profiles
from brokers.core.accounts import AccountsReport
from brokers.core.connector import SessionEnv
from brokers.core.orders import Accepted, Asked, OrderRequest, OrderType, Side
from brokers.registry import REGISTRY
from tests.brokers.ibkr.order_peer import AAPL
from tests.conftest import run_async
from tests.waiting import until_async

pytestmark = pytest.mark.secretservice

WAIT_S = 30.0


@pytest.mark.parametrize(
    ("profile_name", "account_id"), [("sandbox-ibkr", "DU1234567"), ("sandbox-ibkr-oauth2", "DU7654321")]
)
def test_the_live_session_reads_its_accounts_and_again_after_its_own_fill(
    sandbox, vault, profile_name: str, account_id: str
) -> None:
    profile = next(p for p in sandbox_profiles(sandbox.endpoints, REGISTRY.schema).profiles if p.name == profile_name)
    control = f"{sandbox.services['ibkr']}/sandbox/ibkr/portfolio/account"
    httpx.post(control, json={"account": account_id, "cash": "250000"}, timeout=10).raise_for_status()

    async def scenario() -> tuple[AccountsReport, AccountsReport, AccountsReport, int]:
        changes = 0

        def changed() -> None:
            nonlocal changes
            changes += 1

        env = SessionEnv(
            vault=vault, sandbox=sandbox.services, on_change=changed, on_vault_change=changed, restart=lambda: None
        )
        session = REGISTRY.of(profile).open_session(profile, env)
        assert session is not None
        before = session.accounts()
        task = asyncio.create_task(session.run())
        try:
            first = await until_async(lambda: _with_accounts(session.accounts()), WAIT_S, message="the first read")
            route = await until_async(session.order_route, WAIT_S, message="the order route")
            order = OrderRequest(profile.name, "AAPL", AAPL, Side.BUY, Decimal(7), OrderType.MARKET)
            outcome = await route.place(order, "k-live-accounts")
            if isinstance(outcome, Asked):  # no market data yet: the trader would confirm
                outcome = await route.answer(outcome.question, True)
            assert isinstance(outcome, Accepted), outcome
            after = await until_async(lambda: _holding(session.accounts()), WAIT_S, message="the fill in positions")
            return before, first, after, changes
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await session.close()

    before, first, after, changes = run_async(scenario)
    assert before.accounts == ()
    assert "brokerage session" in before.problem
    (account,) = first.accounts
    assert account.account.endswith(account_id[-4:])  # masked
    assert account.cash == Decimal(250000)
    assert account.day_pnl is not None
    assert first.refresh_s == 15
    assert first.fresh(time.time())
    assert [(p.symbol, p.quantity) for p in after.accounts[0].positions] == [("AAPL", 7)]
    assert changes > 0


def _with_accounts(report: AccountsReport | None) -> AccountsReport | None:
    return report if report is not None and report.accounts else None


def _holding(report: AccountsReport | None) -> AccountsReport | None:
    return report if report is not None and report.accounts and report.accounts[0].positions else None
