"""Async building blocks for Schwab tests: one sign-in through the real https listener, one live session."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from brokers.core.connector import SessionEnv, SignedIn, SignInStarted
from brokers.oauth2.session import OAuthSession
from brokers.oauth2.store import OAuthStore
from brokers.oauth2.transport import new_http_client
from brokers.schwab.connector import SchwabConnector
from brokers.schwab.engine import engine_profile
from brokers.schwab.profile import SchwabProfile
from brokers.schwab.session import SchwabLiveSession
from brokers.vault import Vault
from tests.brokers.schwab.stand_in import approve

CONNECTOR = SchwabConnector()


async def sign_in(profile: SchwabProfile, vault: Vault, decision: str = "allow") -> tuple[SignInStarted, SignedIn]:
    """Start the connector's sign-in, let the browser (on a thread) answer it, and return both ends."""
    flow = CONNECTOR.sign_in(profile, vault)
    started = await flow.start()
    finish = asyncio.ensure_future(flow.finish())
    await asyncio.to_thread(approve, vault, profile, started.url, decision)
    return started, await finish


async def with_engine_session[T](profile: SchwabProfile, vault: Vault, use: Callable[[OAuthSession], Any]) -> T:
    """A fresh engine session (as after a restart: nothing in memory, everything from the vault)."""
    async with new_http_client() as http:
        session = OAuthSession(engine_profile(profile), OAuthStore(vault, profile.name), http)
        return await use(session)


async def until[T](probe: Callable[[], T | None], what: str, timeout: float = 30) -> T:
    """Wait (generously; no speed is asserted) until `probe()` gives something."""
    async with asyncio.timeout(timeout):
        while (found := probe()) is None:
            await asyncio.sleep(0.05)
    return found


async def live_session[T](
    profile: SchwabProfile,
    vault: Vault,
    use: Callable[[SchwabLiveSession], Any],
    restart: Callable[[], None] = lambda: None,
) -> T:
    """Run the connector's live session (load, prove, keep alive) while `use` looks at it; `restart` is what the
    window does when the session asks to be run again from the vault."""
    env = SessionEnv(vault=vault, sandbox=None, on_change=lambda: None, on_vault_change=lambda: None, restart=restart)
    session = CONNECTOR.open_session(profile, env)
    assert isinstance(session, SchwabLiveSession)
    running = asyncio.ensure_future(session.run())
    try:
        return await use(session)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await session.close()
