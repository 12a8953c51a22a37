"""The `ibkr-oauth2` connector's live session: a sandbox profile is provisioned and connects by itself, then
offers the same market data and order route as OAuth 1.0a; a key IBKR would refuse is named with the fix."""

from __future__ import annotations

import asyncio
import time

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from brokers.core.actions import NextAction
from brokers.core.connector import SessionEnv
from brokers.core.health import ConnectionState
from brokers.ibkr.keys import private_key_pem
from brokers.ibkr.vault_entries import OAUTH2_PRIVATE_KEY
from brokers.registry import REGISTRY
from tests.brokers.ibkr.oauth2_peer import OAuth2Peer
from tests.brokers.ibkr.sandbox_peer import running_gateway
from tests.conftest import run_async
from tests.waiting import until_async

pytestmark = pytest.mark.secretservice

WAIT_S = 30.0


def env_for(vault, sandbox: dict[str, str] | None, changes: list[str]) -> SessionEnv:
    return SessionEnv(
        vault=vault,
        sandbox=sandbox,
        on_change=lambda: changes.append("change"),
        on_vault_change=lambda: changes.append("vault"),
        restart=lambda: None,
    )


def test_a_sandbox_profile_is_provisioned_connects_and_offers_market_data_and_orders(vault):
    async def scenario():
        async with running_gateway() as gw:
            profile = OAuth2Peer(gw).profile()
            changes: list[str] = []
            live = REGISTRY.of(profile).open_session(profile, env_for(vault, {"ibkr": gw.url}, changes))
            task = asyncio.create_task(live.run())
            try:
                await until_async(lambda: getattr(live.health(time.time()), "state", None) == "ACTIVE", WAIT_S)
                health = live.health(time.time())
                source, route = live.market_source(), live.order_route()
                accounts = await source.session.request("GET", "/iserver/accounts")
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                await live.close()
        return health, source, route, accounts, changes

    health, source, route, accounts, changes = run_async(scenario)
    assert health.state == ConnectionState.ACTIVE
    assert [i.name for i in health.items][:2] == ["access token", "SSO session token"]
    assert source is not None
    assert source.session.stream_credential[0] == "bearer_token"
    assert route is not None
    assert accounts["accounts"] == ["DU1234567"]
    assert "vault" in changes  # the key was generated and stored once
    assert vault.get("ibkr-oauth2-test", OAUTH2_PRIVATE_KEY) is not None


def test_a_stored_key_below_3072_bits_fails_with_the_setup_command(vault):
    small = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    vault.put("ibkr-oauth2-test", OAUTH2_PRIVATE_KEY, private_key_pem(small))

    async def scenario():
        async with running_gateway() as gw:
            profile = OAuth2Peer(gw).profile()
            live = REGISTRY.of(profile).open_session(profile, env_for(vault, None, []))
            task = asyncio.create_task(live.run())
            try:
                await until_async(lambda: live.health(time.time()) is not None, WAIT_S)
                health = live.health(time.time())
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                await live.close()
        return health

    health = run_async(scenario)
    assert (health.state, health.next_action) == (ConnectionState.FAILED, NextAction.SETUP_KEYS)
    assert "2048 bits; IBKR's OAuth 2.0 requires at least 3072" in health.reason
    assert "brokerdeck keys init ibkr-oauth2-test" in health.hint
