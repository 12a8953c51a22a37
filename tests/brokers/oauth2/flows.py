"""Async building blocks for engine tests: one login through the real listener, one session."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

from brokers.core.connector import SignInStarted as LoginStarted
from brokers.oauth2.login import LoginFlow
from brokers.oauth2.profile import OAuth2Profile
from brokers.oauth2.session import OAuthSession
from brokers.oauth2.store import OAuthStore
from brokers.oauth2.tokens import TokenSet
from brokers.oauth2.transport import new_http_client
from brokers.vault import Vault
from tests.brokers.oauth2.stand_in import approve

type Browser = Callable[[LoginStarted], Any]


def browser(decision: str = "allow") -> Browser:
    return lambda started: approve(started.url, decision)


async def sign_in(profile: OAuth2Profile, vault: Vault, act: Browser | None = None, **flow_args: Any) -> TokenSet:
    """Start a login, let `act` (the browser, on a thread) answer it, and return the stored tokens."""
    async with new_http_client() as http:
        flow = LoginFlow(profile, OAuthStore(vault, profile.name), http, **flow_args)
        started = await flow.start()
        finish = asyncio.ensure_future(flow.finish())
        await asyncio.to_thread(act or browser(), started)
        return await finish


async def with_session[T](profile: OAuth2Profile, vault: Vault, use: Callable[[OAuthSession], Any]) -> T:
    """A fresh session (as after a restart: nothing in memory) over its own HTTP client."""
    async with httpx.AsyncClient(timeout=20) as http:
        session = OAuthSession(profile, OAuthStore(vault, profile.name), http)
        return await use(session)
