"""A window's running IBKR session during a key rotation: at the next vault inspection it switches to the new set
without a restart, and its market stream keeps streaming through the switch and the old token's revocation, with
one reconnect."""

from __future__ import annotations

import asyncio
import time

import pytest

from brokers.core.connector import SessionEnv
from brokers.core.health import ConnectionState
from brokers.ibkr.market import IbkrMarketSource
from brokers.ibkr.sandbox_setup import register_rotation
from brokers.ibkr.session import SessionPhase
from brokers.registry import REGISTRY
from tests.brokers.ibkr.order_peer import AAPL
from tests.brokers.ibkr.rotation_peer import CONSUMER_KEY, control, sandbox_profile
from tests.conftest import run_async
from tests.waiting import until_async

pytestmark = pytest.mark.secretservice

WAIT_S = 30.0


def test_a_streaming_session_follows_the_rotation_with_one_reconnect(vault, sandbox):
    profile = sandbox_profile(sandbox.endpoints)
    connector = REGISTRY.of(profile)

    async def scenario():
        restarts: list[str] = []
        env = SessionEnv(
            vault=vault,
            sandbox=sandbox.services,
            on_change=lambda: None,
            on_vault_change=lambda: None,
            restart=lambda: restarts.append(profile.name),
        )
        live = connector.open_session(profile, env)
        running = asyncio.create_task(live.run())
        streaming = None
        try:
            source = await until_async(live.market_source, WAIT_S, message="the session to stream")
            assert isinstance(source, IbkrMarketSource)
            feed = source.open_feed()
            feed.watch(AAPL)
            streaming = asyncio.create_task(feed.run())
            await until_async(lambda: _version(feed) > 5, WAIT_S, message="quotes before the rotation")
            old_token = source.session.stream_credential[1]

            status = await connector.rotation_start(profile, vault, lambda _: None, new_dh=False)
            answers = await asyncio.to_thread(register_rotation, sandbox.services["ibkr"], CONSUMER_KEY, status)
            switched_at = time.time()
            await connector.rotation_confirm(profile, vault, answers, lambda _: None)
            live.recheck()  # the window's next vault inspection
            await until_async(
                lambda: (
                    source.session.snapshot.phase == SessionPhase.READY
                    and (source.session.snapshot.lst_minted_at or 0) >= switched_at
                ),
                WAIT_S,
                message="the session to reconnect with the new set",
            )
            new_token = source.session.stream_credential[1]
            seen = _version(feed)
            await until_async(lambda: _version(feed) > seen + 5, WAIT_S, message="quotes after the switch")
            reconnects_at_switch = feed.state.reconnects

            control(sandbox.endpoints, end_grace=True)  # IBKR revokes the old token
            await until_async(lambda: feed.state.reconnects > reconnects_at_switch, WAIT_S, message="the reconnect")
            seen = _version(feed)
            await until_async(
                lambda: feed.state.connected and _version(feed) > seen + 5, WAIT_S, message="quotes after revoking"
            )
            health = live.health(time.time())
            return (
                old_token,
                new_token,
                answers["access_token"],
                reconnects_at_switch,
                feed.state.reconnects,
                live.market_source(),
                source,
                health,
                restarts,
            )
        finally:
            for task in (streaming, running):
                if task is not None:
                    task.cancel()
            await asyncio.gather(*(t for t in (streaming, running) if t is not None), return_exceptions=True)
            await live.close()

    old_token, new_token, issued, at_switch, reconnects, now_source, source, health, restarts = run_async(scenario)
    assert old_token != new_token == issued  # the stream's next connection carries the new token
    assert at_switch == 0  # the switch itself cost the stream nothing
    assert reconnects == 1  # the revocation of the old token: one reconnect
    assert now_source is not None
    assert now_source.session is source.session
    assert health is not None
    assert health.state == ConnectionState.ACTIVE
    assert restarts == []  # the session switched by itself: nothing had to restart it


def _version(feed) -> int:
    book = feed.quotes(AAPL)
    return book.version if book is not None else 0
