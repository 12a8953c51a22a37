"""An `ibkr-oauth2` session against the sandbox gateway over real HTTP: both tokens, the brokerage session,
what IBKR refuses, renewal, and market data over the WebSocket with the bearer token."""

from __future__ import annotations

import asyncio
import time

import pytest

from brokers.core.actions import NextAction
from brokers.core.health import ConnectionState
from brokers.ibkr import oauth2_jws as jws
from brokers.ibkr.book import BookModel
from brokers.ibkr.health import ibkr_health
from brokers.ibkr.oauth2_errors import IbkrClientRefused
from brokers.ibkr.session import IbkrSession, SessionPhase
from brokers.ibkr.stream import MarketStream, websocket_url
from tests.brokers.ibkr.oauth2_keys import shared_oauth2_key
from tests.brokers.ibkr.oauth2_peer import ACCOUNT, CLIENT_ID, OAuth2Peer
from tests.brokers.ibkr.sandbox_peer import running_gateway
from tests.conftest import run_async
from tests.waiting import until_async

AAPL = 265598
WAIT_S = 20.0
"""The bound on every wait: generous, since a wait that succeeds returns at once."""


def test_connect_gets_both_tokens_opens_the_brokerage_session_and_reads_accounts():
    async def scenario():
        async with running_gateway() as gw:
            peer = OAuth2Peer(gw)
            await peer.register()
            session = IbkrSession(peer.base_url, peer.auth())
            await session.connect()
            snap = session.snapshot
            accounts = await session.request("GET", "/iserver/accounts")
            health = ibkr_health(peer.profile(), session.snapshot, time.time())
            await session.close()
        return snap, accounts, health

    snap, accounts, health = run_async(scenario)
    assert snap.phase == SessionPhase.READY
    assert (snap.authenticated, snap.competing) == (True, False)
    assert snap.lst_minted_at is None
    assert snap.access_token_expires_at - snap.access_token_minted_at == pytest.approx(86399, abs=1)
    assert 23.9 * 3600 < snap.sso_expires_at - snap.sso_minted_at <= 24 * 3600 + 1
    assert snap.renew_at == pytest.approx(min(t.renew_at for t in snap.tokens()))  # the earlier of the two renewals
    assert accounts["accounts"] == [ACCOUNT]
    assert (health.state, health.next_action) == (ConnectionState.ACTIVE, NextAction.NONE)
    assert health.reason == "Access token and SSO session token valid; brokerage session authenticated."
    assert [i.name for i in health.items] == [
        "access token",
        "SSO session token",
        "brokerage session",
        "keep-alive tickle",
    ]


def test_a_wrong_key_id_or_an_unregistered_key_is_refused_with_the_fix():
    async def scenario():
        async with running_gateway() as gw:
            peer = OAuth2Peer(gw)
            await peer.register()
            refusals = []
            for auth in (peer.auth(key_id="rotated"), peer.auth(key=shared_oauth2_key("other"))):
                session = IbkrSession(peer.base_url, auth)
                with pytest.raises(IbkrClientRefused) as refused:
                    await session.connect()
                refusals.append(refused.value)
                await session.close()
        return refusals

    for refusal in run_async(scenario):
        assert refusal.action == NextAction.SETUP_KEYS
        assert refusal.status == 401
        assert "The access token request is invalid" in str(refusal)
        assert "key_id" in str(refusal)


def test_an_expired_assertion_is_refused():
    async def scenario():
        async with running_gateway() as gw:
            peer = OAuth2Peer(gw)
            await peer.register()
            late = IbkrSession(peer.base_url, peer.auth(), clock=lambda: time.time() - 3600)
            with pytest.raises(IbkrClientRefused, match="clock"):
                await late.authorize()
            await late.close()
            on_time = IbkrSession(peer.base_url, peer.auth())
            await on_time.authorize()  # the same key and client, with the right time
            await on_time.close()

    run_async(scenario)


def test_an_assertion_for_another_audience_is_refused():
    async def scenario():
        async with running_gateway() as gw:
            peer = OAuth2Peer(gw)
            await peer.register()
            token_url = f"{gw.url}{jws.TOKEN_PATH}"
            answers = []
            for audience in (token_url, jws.TOKEN_AUDIENCE):
                assertion = jws.client_assertion(
                    shared_oauth2_key(), client_id=CLIENT_ID, key_id="main", now=time.time(), audience=audience
                )
                answers.append(await gw.http.post(token_url, data=jws.token_request_form(assertion, CLIENT_ID)))
        return answers

    wrong, right = run_async(scenario)
    assert wrong.status_code == 401
    assert wrong.json()["detail"] == "The access token request is invalid"
    assert right.status_code == 200
    assert right.json()["token_type"] == "Bearer"


def test_a_401_gets_both_tokens_again_once_and_retries():
    async def scenario():
        async with running_gateway() as gw:
            peer = OAuth2Peer(gw)
            await peer.register()
            session = IbkrSession(peer.base_url, peer.auth())
            await session.connect()
            before = session.snapshot
            await gw.fault(path="/v1/api/iserver/auth/status", status=401, times=1)
            status = await session.auth_status()
            after = session.snapshot
            await session.close()
        return before, status, after

    before, status, after = run_async(scenario)
    assert status["authenticated"] is True
    assert after.access_token_minted_at > before.access_token_minted_at
    assert after.sso_minted_at > before.sso_minted_at


def test_both_tokens_are_renewed_before_they_expire():
    async def scenario():
        async with running_gateway() as gw:
            peer = OAuth2Peer(gw)
            await peer.register()
            await peer.settings(access_token_lifetime_s=3, sso_lifetime_s=3)
            session = IbkrSession(peer.base_url, peer.auth(), tickle_interval_s=30)
            keepalive = asyncio.create_task(session.run())
            await until_async(lambda: session.snapshot.phase == SessionPhase.READY, WAIT_S)
            first = session.snapshot
            await until_async(  # each token on its own schedule: wait for both
                lambda: (
                    session.snapshot.sso_minted_at != first.sso_minted_at
                    and session.snapshot.access_token_minted_at != first.access_token_minted_at
                    and not session.snapshot.renewing
                ),
                WAIT_S,
            )
            renewed = session.snapshot
            accounts = await session.request("GET", "/iserver/accounts")
            keepalive.cancel()
            await asyncio.gather(keepalive, return_exceptions=True)
            await session.close()
        return first, renewed, accounts

    first, renewed, accounts = run_async(scenario)
    assert first.sso_expires_at - first.sso_minted_at <= 3.5  # the client knew the short lifetime
    assert renewed.sso_minted_at < first.sso_expires_at  # renewed while the old token was still valid
    assert renewed.access_token_minted_at < first.access_token_expires_at
    assert renewed.access_token_minted_at > first.access_token_minted_at
    assert renewed.phase == SessionPhase.READY
    assert accounts["accounts"] == [ACCOUNT]


def test_market_data_streams_over_the_websocket_with_the_bearer_token():
    async def scenario():
        async with running_gateway() as gw:
            peer = OAuth2Peer(gw)
            await peer.register()
            session = IbkrSession(peer.base_url, peer.auth())
            await session.connect()
            url = websocket_url(session)
            book = BookModel()
            stream = MarketStream(session, book, account=ACCOUNT, backoff=(0.05, 0.5))
            stream.subscribe(AAPL)
            task = asyncio.create_task(stream.run())
            try:
                await until_async(lambda: book.book(AAPL) is not None and book.book(AAPL).version > 5, WAIT_S)
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
            aapl = book.book(AAPL)
            state = stream.state
            await session.close()
        return url, aapl, state

    url, aapl, state = run_async(scenario)
    assert "?bearer_token=" in url
    assert "oauth_token" not in url
    assert aapl.symbol == "AAPL"
    assert 0 < aapl.bid < aapl.ask
    assert state.reconnects == 0
