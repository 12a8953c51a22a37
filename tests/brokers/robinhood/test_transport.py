"""The MCP transport on our own tokens against the sandbox Robinhood: what the server may do mid-session and
what the client must send (checklist items 25 and 26 of the OAuth desktop notes)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from brokers.oauth2.errors import LoginRequired
from brokers.oauth2.store import OAuthStore
from brokers.robinhood.errors import RateLimited, SignInRevoked, Waitlisted, WriteRefused
from tests.brokers.robinhood.flows import connected, sign_in
from tests.conftest import run_async

pytestmark = pytest.mark.secretservice

ACCOUNT = {"account_number": "5QR81234"}


@pytest.fixture
def signed_in(rh_profile, vault, robinhood):
    run_async(lambda: sign_in(rh_profile, vault))
    return robinhood


def test_each_request_carries_the_headers_streamable_http_requires(rh_profile, vault, signed_in):
    """Item 25: Accept both types; after initialize, MCP-Protocol-Version and Mcp-Session-Id on every request;
    DELETE on shutdown. And x-timezone-id, and the token only ever in the Authorization header."""

    async def scenario():
        async with connected(rh_profile, vault) as mcp:
            await mcp.read("get_accounts")
            return mcp.session_id, mcp.protocol_version

    before = len(signed_in.requests())  # the sign-in's discovery probed the URL too
    session_id, version = run_async(scenario)
    assert session_id
    requests = signed_in.requests()[before:]
    initialize, *later = requests
    assert initialize["rpc"] == "initialize"
    assert initialize["session_id"] is None
    for request in requests:
        assert "application/json" in request["accept"]
        assert "text/event-stream" in request["accept"]
        assert request["timezone"] == "Europe/Berlin"
        assert request["bearer"]
        assert not request["token_in_url"]
    for request in later:
        assert request["session_id"] == session_id
        assert request["protocol_version"] == version
    assert [r["method"] for r in later].count("GET") >= 1  # the SDK tried the server stream: 405, no harm done
    assert all(r["status"] == 405 for r in later if r["method"] == "GET")
    assert later[-1]["method"] == "DELETE"


def test_a_stateless_server_works_without_a_session_header(rh_profile, vault, signed_in):
    """Item 26: a server that sends no Mcp-Session-Id is used all the same."""
    signed_in.restart(stateless=True)

    async def scenario():
        async with connected(rh_profile, vault) as mcp:
            return mcp.session_id, await mcp.read("get_portfolio", ACCOUNT)

    session_id, portfolio = run_async(scenario)
    assert session_id is None
    assert portfolio["data"]["cash"] == "300.00"
    assert all(r["session_id"] is None for r in signed_in.requests())


def test_a_forgotten_session_is_opened_again_and_the_read_sent_again(rh_profile, vault, signed_in):
    """Item 25: on 404 with a session, initialize again (a new transport and session)."""

    async def scenario():
        async with connected(rh_profile, vault) as mcp:
            await mcp.read("get_accounts")
            first = mcp.session_id
            await asyncio.to_thread(signed_in.restart)
            portfolio = await mcp.read("get_portfolio", ACCOUNT)
            return first, mcp.session_id, mcp.rebuilds, portfolio

    first, second, rebuilds, portfolio = run_async(scenario)
    assert rebuilds == 1
    assert second
    assert second != first
    assert portfolio["data"]["total_value"] == "2841.37"
    assert [r["status"] for r in signed_in.requests() if r["session_id"] == first][-1] == 404


def test_an_access_token_that_dies_mid_session_is_renewed_once_and_the_session_goes_on(rh_profile, vault, signed_in):
    async def scenario():
        async with connected(rh_profile, vault) as mcp:
            await mcp.read("get_accounts")
            first = mcp.session_id
            await asyncio.to_thread(signed_in.expire_access)
            reads = await asyncio.gather(*(mcp.read("get_portfolio", ACCOUNT) for _ in range(5)))
            return first, mcp.session_id, mcp.auth.refreshes, reads

    first, after, refreshes, reads = run_async(scenario)
    assert after == first  # same session: the server binds it to the client, not the token
    assert refreshes == 1
    assert len(signed_in.refreshes()) == 1
    assert {r["data"]["cash"] for r in reads} == {"300.00"}
    refresh = signed_in.refreshes()[0]
    assert refresh["resource"] == signed_in.url
    assert refresh["outcome"] == "ok"


def test_a_restarted_app_renews_from_the_vault_without_a_browser(rh_profile, vault, signed_in):
    """Item 28 for Robinhood: a new process reads the rotated refresh token and renews silently."""

    async def scenario(times: int):
        for _ in range(times):
            await asyncio.to_thread(signed_in.expire_access)
            async with connected(rh_profile, vault) as mcp:
                await mcp.read("get_accounts")

    run_async(lambda: scenario(2))
    refreshes = signed_in.refreshes()
    assert [r["outcome"] for r in refreshes] == ["ok", "ok"]  # the second used the rotated token, not the first
    assert len(signed_in.oauth_state()["authorize_requests"]) == 1  # no second browser sign-in


def test_a_burst_of_429_is_waited_out_for_reads(rh_profile, vault, signed_in):
    async def scenario():
        async with connected(rh_profile, vault) as mcp:
            await asyncio.to_thread(signed_in.settings, throttle=2, retry_after=0)
            accounts = await mcp.read("get_accounts")
            return mcp.auth.rate_waits, accounts

    waits, accounts = run_async(scenario)
    assert waits == 2
    assert len(accounts["data"]["accounts"]) == 4
    assert [r["status"] for r in signed_in.requests() if r["rpc"] == "tools/call"] == [429, 429, 200]


def test_a_429_that_does_not_end_says_so(rh_profile, vault, signed_in):
    async def scenario():
        async with connected(rh_profile, vault) as mcp:
            await asyncio.to_thread(signed_in.settings, throttle=10, retry_after=0)
            await mcp.read("get_accounts")

    with pytest.raises(RateLimited, match="429"):
        run_async(scenario)


def test_a_write_tool_is_never_called_on_the_read_path(rh_profile, vault, signed_in):
    async def scenario():
        async with connected(rh_profile, vault) as mcp:
            await mcp.read("place_equity_order", ACCOUNT | {"symbol": "AAPL", "side": "buy", "type": "market"})

    with pytest.raises(WriteRefused, match="trading mode"):
        run_async(scenario)
    assert "tools/call" not in [r["rpc"] for r in signed_in.requests()]


def test_waitlisted_and_revoked_are_told_apart(rh_profile, vault, signed_in):
    async def handshake():
        async with connected(rh_profile, vault):
            pass

    signed_in.settings(waitlisted=True)
    with pytest.raises(Waitlisted, match="waitlist"):
        run_async(handshake)
    signed_in.settings(waitlisted=False)
    signed_in.revoke_all()
    with pytest.raises(LoginRequired):  # the renewal after the 401 finds the grant dead
        run_async(handshake)


def test_a_token_refused_even_after_renewal_is_revoked_access(rh_profile, vault, signed_in):
    """A renewal that succeeds but still gets 401 (access withdrawn at the resource): not a loop, a sign-in."""

    signed_in.settings(refuse_tokens=True)

    async def scenario():
        async with connected(rh_profile, vault):
            pass

    with pytest.raises(SignInRevoked, match="sign in again"):
        run_async(scenario)
    assert len(signed_in.refreshes()) == 1


def test_no_token_reaches_the_logs(rh_profile, vault, signed_in, caplog):
    caplog.set_level(logging.DEBUG)

    async def scenario():
        async with connected(rh_profile, vault) as mcp:
            await asyncio.to_thread(signed_in.expire_access)
            await mcp.read("get_accounts")

    run_async(scenario)
    record = OAuthStore(vault, rh_profile.name).record()
    assert record is not None
    assert record.tokens is not None
    secrets = (record.tokens.access_token, record.tokens.refresh_token)
    assert all(secrets)
    logged = caplog.text
    assert "mcp/trading" in logged  # the requests were logged, the tokens not
    for secret in secrets:
        assert secret not in logged
