"""Sign-in and MCP sessions against the sandbox Robinhood, the way the app runs them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from brokers.core.connector import SignedIn
from brokers.core.secrets import SecretStore
from brokers.oauth2.session import OAuthSession
from brokers.oauth2.store import OAuthStore
from brokers.oauth2.transport import new_http_client
from brokers.registry import REGISTRY
from brokers.robinhood.connection import McpConnection
from brokers.robinhood.profile import RobinhoodProfile
from tests.brokers.robinhood.peer import approve


async def sign_in(profile: RobinhoodProfile, vault: SecretStore) -> SignedIn:
    """The connector's browser sign-in, with the stand-in browser pressing Allow."""
    flow = REGISTRY.of(profile).sign_in(profile, vault)
    started = await flow.start()
    landing = await asyncio.to_thread(approve, started.url)
    assert landing.status_code == 200, landing.text
    return await flow.finish()


@asynccontextmanager
async def tokens(profile: RobinhoodProfile, vault: SecretStore) -> AsyncIterator[OAuthSession]:
    """A new OAuth session on what the vault holds (as a restarted app would have)."""
    async with new_http_client() as http:
        yield OAuthSession(profile.oauth(), OAuthStore(vault, profile.name), http)


@asynccontextmanager
async def connected(profile: RobinhoodProfile, vault: SecretStore) -> AsyncIterator[McpConnection]:
    async with tokens(profile, vault) as session, McpConnection(profile.url, session, timezone="Europe/Berlin") as mcp:
        yield mcp
