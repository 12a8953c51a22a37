"""The IBKR session against the sandbox gateway over real HTTP: mint, brokerage session, keep-alive, faults."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import httpx
import pytest

from brokers.core.actions import NextAction
from brokers.core.health import ConnectionState
from brokers.ibkr.errors import (
    IbkrAuthError,
    IbkrBrokerageSessionFailed,
    IbkrInvalidConsumer,
    IbkrLiveSessionTokenInvalid,
    IbkrNoBridge,
    IbkrPaperGone,
    IbkrRateLimited,
    IbkrServerError,
    IbkrUnreachable,
)
from brokers.ibkr.health import ibkr_health
from brokers.ibkr.session import IbkrSession, SessionPhase
from tests.brokers.ibkr.sandbox_peer import running_gateway
from tests.conftest import run_async
from tests.waiting import until_async

WAIT_S = 15.0
"""The bound on every wait: generous, since a wait that succeeds returns at once."""


def test_full_cycle_mint_brokerage_session_and_tickle():
    async def scenario():
        async with running_gateway() as gw:
            changes = []
            session = IbkrSession(gw.base_url, await gw.credentials(), on_change=changes.append)
            await session.connect()
            snap = session.snapshot
            assert snap.phase == SessionPhase.READY
            assert (snap.authenticated, snap.competing, snap.connected) == (True, False, True)
            assert 23.9 * 3600 < snap.lst_expires_at - snap.lst_minted_at <= 24 * 3600 + 1
            assert snap.renew_at == pytest.approx(snap.lst_minted_at + 0.8 * (snap.lst_expires_at - snap.lst_minted_at))
            assert session.api_session
            assert snap.last_tickle_at
            assert snap.next_tickle_at
            accounts = await session.request("GET", "/iserver/accounts")
            assert accounts["accounts"] == ["DU1234567"]
            assert session.snapshot.checked_at >= snap.checked_at  # every accepted request proves the session
            health = ibkr_health(gw.profile(), snap, time.time())
            assert (health.state, health.next_action) == (ConnectionState.ACTIVE, NextAction.NONE)
            assert [i.name for i in health.items] == ["live session token", "brokerage session", "keep-alive tickle"]
            assert changes[-1] == session.snapshot
            await session.close()

    run_async(scenario)


def test_the_snapshot_preflight_quirk_is_handled_by_a_second_call():
    async def scenario():
        async with running_gateway() as gw:
            session = IbkrSession(gw.base_url, await gw.credentials())
            await session.connect()
            await session.request("GET", "/iserver/accounts")
            params = {"conids": "265598", "fields": "31,84,86"}
            first = await session.request("GET", "/iserver/marketdata/snapshot", params=params)
            second = await session.request("GET", "/iserver/marketdata/snapshot", params=params)
            await session.close()
        assert set(first[0]) == {"conid", "conidEx"}
        assert {"31", "84", "86"} <= set(second[0])

    run_async(scenario)


def test_short_lived_token_is_renewed_before_it_expires():
    async def scenario():
        async with running_gateway() as gw:
            session = IbkrSession(gw.base_url, await gw.credentials(lst_lifetime_s=3), tickle_interval_s=30)
            keepalive = asyncio.create_task(session.run())
            await until_async(lambda: session.snapshot.phase == SessionPhase.READY, WAIT_S)
            first = session.snapshot
            await until_async(lambda: session.snapshot.lst_minted_at != first.lst_minted_at, WAIT_S)
            renewed = session.snapshot
            keepalive.cancel()
            await asyncio.gather(keepalive, return_exceptions=True)
            await session.close()
        assert renewed.lst_minted_at < first.lst_expires_at  # renewed while the old token was still valid
        assert renewed.lst_expires_at > first.lst_expires_at
        assert renewed.phase == SessionPhase.READY

    run_async(scenario)


def test_a_401_mints_a_new_token_once_and_retries():
    async def scenario():
        async with running_gateway() as gw:
            session = IbkrSession(gw.base_url, await gw.credentials())
            await session.connect()
            minted = session.snapshot.lst_minted_at
            await gw.expire_tokens()
            status = await session.auth_status()
            assert status["authenticated"] is True
            assert session.snapshot.lst_minted_at > minted
            await session.close()

    run_async(scenario)


def test_a_second_401_is_a_clear_auth_error():
    async def scenario():
        async with running_gateway() as gw:
            session = IbkrSession(gw.base_url, await gw.credentials())
            await session.connect()
            await gw.fault(path="/v1/api/iserver/auth/status", status=401, times=2)
            with pytest.raises(IbkrAuthError, match="twice, even with a fresh live session token"):
                await session.auth_status()
            await session.close()

    run_async(scenario)


@pytest.mark.parametrize(
    ("fault", "error", "action"),
    [
        ({"path": "/v1/api/tickle", "status": 429, "times": 1}, IbkrRateLimited, "retry"),
        (
            {"path": "/v1/api/iserver/auth/ssodh/init", "status": 500, "times": 1},
            IbkrBrokerageSessionFailed,
            "reconnect",
        ),
        ({"path": "/v1/api/tickle", "status": 500, "times": 1}, IbkrServerError, "retry"),
    ],
)
def test_injected_faults_become_typed_errors(fault, error, action):
    async def scenario():
        async with running_gateway() as gw:
            session = IbkrSession(gw.base_url, await gw.credentials())
            await gw.fault(**fault)
            with pytest.raises(error) as caught:
                await session.connect()
            await session.close()
        return caught.value

    raised = run_async(scenario)
    assert raised.action == action
    if isinstance(raised, IbkrRateLimited):
        assert raised.retry_after_s >= 1


def test_a_slow_gateway_is_reported_as_unreachable():
    async def scenario():
        async with running_gateway() as gw:
            http = httpx.AsyncClient(timeout=0.3)
            session = IbkrSession(gw.base_url, await gw.credentials(), http=http)
            await gw.fault(path="*", delay_s=1.0, times=1)
            with pytest.raises(IbkrUnreachable, match="Cannot reach IBKR"):
                await session.connect()
            await http.aclose()

    run_async(scenario)


def test_close_closes_its_http_client_even_when_the_logout_is_cancelled():
    async def scenario() -> bool:
        async with running_gateway() as gw:
            session = IbkrSession(gw.base_url, await gw.credentials())
            await session.connect()
            await gw.fault(path="*", delay_s=3.0, times=1)
            closing = asyncio.create_task(session.close())
            await asyncio.sleep(0.2)  # the logout is waiting for the slow gateway
            closing.cancel()
            await asyncio.gather(closing, return_exceptions=True)
            return session._http.is_closed

    assert run_async(scenario)


def test_competing_session_is_surfaced_and_taking_over_clears_it():
    async def scenario():
        async with running_gateway() as gw:
            session = IbkrSession(gw.base_url, await gw.credentials())
            await session.connect()
            await gw.fault(competing=True)
            await session.tickle()
            competing = ibkr_health(gw.profile(), session.snapshot, time.time())
            await gw.fault(clear=True)
            await session.open_brokerage_session(compete=True)
            await session.auth_status()
            after = ibkr_health(gw.profile(), session.snapshot, time.time())
            await session.close()
        return competing, after

    competing, after = run_async(scenario)
    assert (competing.state, competing.next_action) == (ConnectionState.COMPETING, NextAction.TAKE_OVER)
    assert "competes" in competing.reason
    assert after.state == ConnectionState.ACTIVE


def test_known_ibkr_errors_tell_the_trader_what_to_do():
    async def scenario():
        async with running_gateway() as gw:
            credentials = await gw.credentials()
            unknown = IbkrSession(gw.base_url, replace(credentials, consumer_key="NOSUCHKEY"))
            with pytest.raises(IbkrInvalidConsumer, match="weekend restart"):
                await unknown.authorize()
            await unknown.close()

            paper = IbkrSession(gw.base_url, await gw.credentials(consumer_key="BDPAPER01", paper_410=True))
            with pytest.raises(IbkrPaperGone, match=r"1\.api\.ibkr\.com"):
                await paper.connect()
            await paper.close()

            bare = IbkrSession(gw.base_url, await gw.credentials(consumer_key="BDNOBRIDG"))
            with pytest.raises(IbkrNoBridge, match="no bridge"):
                await bare.request("GET", "/iserver/accounts")
            await bare.close()

    run_async(scenario)


def test_keys_that_do_not_match_the_registration_fail_validation():
    async def scenario():
        async with running_gateway() as gw:
            credentials = await gw.credentials()
            wrong_prime = replace(credentials.keys, dh_prime=credentials.keys.dh_prime - 2)
            session = IbkrSession(gw.base_url, replace(credentials, keys=wrong_prime))
            with pytest.raises(IbkrLiveSessionTokenInvalid, match="keys init"):
                await session.authorize()
            await session.close()

    run_async(scenario)


def test_keepalive_stops_on_errors_only_the_trader_can_fix_and_retries_the_rest():
    async def scenario():
        async with running_gateway() as gw:
            await gw.register()
            credentials = await gw.credentials()
            await gw.fault(path="/v1/api/tickle", status=500, times=2)
            session = IbkrSession(gw.base_url, credentials)
            keepalive = asyncio.create_task(session.run())
            await until_async(lambda: session.snapshot.phase == SessionPhase.RETRYING, WAIT_S)
            retrying = ibkr_health(gw.profile(), session.snapshot, time.time())
            await until_async(lambda: session.snapshot.phase == SessionPhase.READY, 20)
            keepalive.cancel()
            await asyncio.gather(keepalive, return_exceptions=True)
            await session.close()

            broken = IbkrSession(gw.base_url, replace(credentials, consumer_key="NOSUCHKEY"))
            keepalive = asyncio.create_task(broken.run())
            await until_async(lambda: broken.snapshot.phase == SessionPhase.FAILED, WAIT_S)
            failed = ibkr_health(gw.profile(), broken.snapshot, time.time())
            keepalive.cancel()
            await asyncio.gather(keepalive, return_exceptions=True)
            await broken.close()
        return retrying, failed

    retrying, failed = run_async(scenario)
    assert (retrying.state, retrying.next_action) == (ConnectionState.RETRYING, NextAction.RETRY)
    assert (failed.state, failed.next_action) == (ConnectionState.FAILED, NextAction.SETUP_KEYS)


class _Watched:
    """A keep-alive under observation: every LST it minted and every phase it went through."""

    def __init__(self) -> None:
        self.minted: set[float] = set()
        self.phases: list[SessionPhase] = []

    def __call__(self, snapshot) -> None:
        if snapshot.lst_minted_at is not None:
            self.minted.add(snapshot.lst_minted_at)
        if not self.phases or self.phases[-1] != snapshot.phase:
            self.phases.append(snapshot.phase)


async def _applied_faults(gw) -> list[dict]:
    return (await gw.http.get(f"{gw.url}/sandbox/ibkr/faults")).json()["applied"]


def test_server_errors_retry_the_tickle_and_a_rate_limit_waits_minutes_and_neither_mints():
    async def scenario():
        async with running_gateway() as gw:
            watched = _Watched()
            session = IbkrSession(gw.base_url, await gw.credentials(), tickle_interval_s=0.3, on_change=watched)
            keepalive = asyncio.create_task(session.run())
            try:
                await until_async(lambda: session.snapshot.phase == SessionPhase.READY, WAIT_S)
                assert len(watched.minted) == 1
                watched.phases.clear()

                await gw.fault(path="/v1/api/tickle", status=500, times=3)
                armed_at = time.time()
                # three failed tickles and their backoffs (1 s, 2 s, 4 s at most) later, one goes through
                await until_async(lambda: (session.snapshot.last_tickle_at or 0) > armed_at + 1, 20)
                applied = await _applied_faults(gw)
                assert [f["status"] for f in applied if f["path"] == "/v1/api/tickle"] == [500, 500, 500]
                assert len(watched.minted) == 1, "a server error minted a new live session token"
                assert SessionPhase.CONNECTING not in watched.phases  # no new brokerage session either
                assert SessionPhase.RETRYING in watched.phases

                await gw.fault(path="/v1/api/tickle", status=429, times=1)
                await until_async(lambda: session.snapshot.rate_limited, WAIT_S)
                snapshot = session.snapshot
                health = ibkr_health(gw.profile(), snapshot, time.time())
                assert len(watched.minted) == 1, "a rate limit minted a new live session token"
                assert snapshot.retry_at - time.time() > 50  # IBKR's penalty lasts minutes, not IBKR's Retry-After: 1
                await asyncio.sleep(1.0)
                assert session.snapshot.phase == SessionPhase.RETRYING  # still waiting, not asking again
            finally:
                keepalive.cancel()
                await asyncio.gather(keepalive, return_exceptions=True)
                await session.close()
        return health

    health = run_async(scenario)
    assert (health.state, health.next_action) == (ConnectionState.RETRYING, NextAction.NONE)
    assert "Next request at" in health.reason
    assert "penalty" in health.reason
