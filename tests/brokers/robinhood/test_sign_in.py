"""Signing in to the sandbox Robinhood through the OAuth engine, then proving the grant at its MCP server."""

from __future__ import annotations

from decimal import Decimal

import pytest

from brokers.robinhood.access import check_access
from brokers.robinhood.profile import SCOPE
from tests.brokers.robinhood.flows import sign_in, tokens
from tests.conftest import run_async

pytestmark = pytest.mark.secretservice


def test_sign_in_discovers_registers_and_is_granted(rh_profile, vault, robinhood):
    async def scenario():
        signed = await sign_in(rh_profile, vault)
        async with tokens(rh_profile, vault) as session:
            return signed, await check_access(rh_profile.url, session)

    signed, (access, report) = run_async(scenario)
    assert signed.renews
    assert access.granted_at is not None
    assert access.agentic_account == "••••1234"
    assert (access.waitlisted, access.refused, access.error, access.agentic_problem) == ("", "", "", "")
    authorize = robinhood.oauth_state()["authorize_requests"][-1]
    assert authorize["resource"] == robinhood.url
    assert authorize["scope"] == SCOPE
    assert authorize["code_challenge_method"] == "S256"
    assert authorize["redirect_uri"].startswith("http://127.0.0.1:")
    exchange = robinhood.oauth_state()["token_requests"][-1]
    assert exchange["grant_type"] == "authorization_code"
    assert exchange["resource"] == robinhood.url
    (account,) = report.accounts
    assert account.account == "••••1234"
    assert account.kind == "cash"
    assert account.buying_power == Decimal("287.50")
    assert account.cash == Decimal("300.00")
    assert account.equity == Decimal("2841.37")
    assert [(p.symbol, p.quantity, p.average_price) for p in account.positions] == [
        ("AAPL", Decimal("10"), Decimal("187.23")),
        ("MSFT", Decimal("1.25"), Decimal("412.1")),
        ("F", Decimal("25"), Decimal("11.86")),
    ]
    assert report.details["agentic account"] == "••••1234"
