"""Our engine's access token on every MCP request, below the SDK, so its transport never sees a 401 or a 429.

The MCP SDK tears its whole transport down on any 4xx but 404. So this `httpx.Auth` answers them first: a 401
renews the token once (single-flight: concurrent 401s cause one refresh, Robinhood's refresh tokens being
single-use) and sends the request again; a 429 waits (Retry-After, else 5 s) and sends it again when the
request may be repeated (reads; never an order); a 403 is Robinhood saying "not for you yet" (waitlist).
What cannot be absorbed is raised as the error the trader needs to see, not as an HTTP status.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Callable

import httpx

from brokers.oauth2.session import OAuthSession
from brokers.robinhood.errors import RateLimited, SignInRevoked, Waitlisted

DEFAULT_RETRY_AFTER_S = 5.0
MAX_RATE_WAITS = 3
MAX_RETRY_AFTER_S = 60.0


class BearerAuth(httpx.Auth):
    """Bearer tokens from one `OAuthSession`; `may_repeat(request)` says whether a 429 may be retried."""

    def __init__(self, tokens: OAuthSession, may_repeat: Callable[[httpx.Request], bool]) -> None:
        self._tokens = tokens
        self._may_repeat = may_repeat
        self._renewing = asyncio.Lock()
        self.refreshes = 0  # renewals this auth asked for (after a 401)
        self.rate_waits = 0  # 429s it absorbed

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self._tokens.access_token()
        request.headers["Authorization"] = f"Bearer {token}"
        renewed = False
        waits = 0
        while True:
            response = yield request
            status = response.status_code
            if status == 401 and not renewed:
                renewed = True
                token = await self._renew(token)
                request.headers["Authorization"] = f"Bearer {token}"
                continue
            if status == 401:
                raise SignInRevoked(
                    "Robinhood refuses even a freshly renewed token: the agent's access was revoked or has ended; "
                    "sign in again to reconnect"
                )
            if status == 403:
                raise Waitlisted(await _refusal_text(response))
            if status == 429:
                if waits < MAX_RATE_WAITS and self._may_repeat(request):
                    waits += 1
                    self.rate_waits += 1
                    await asyncio.sleep(retry_after(response))
                    continue
                raise RateLimited(
                    "Robinhood is limiting requests (HTTP 429); wait a few seconds and try again"
                    + ("" if self._may_repeat(request) else " (an order is never sent again on its own)"),
                    retry_after(response),
                )
            return

    async def _renew(self, sent: str) -> str:
        """A token newer than `sent`: someone else's renewal if one happened meanwhile, else one refresh."""
        async with self._renewing:
            current = await self._tokens.access_token()
            if current != sent:
                return current
            self.refreshes += 1
            return (await self._tokens.refresh()).access_token


def retry_after(response: httpx.Response) -> float:
    """Seconds to wait before the next try: the server's Retry-After (in seconds), else 5."""
    try:
        seconds = float(response.headers.get("retry-after", ""))
    except ValueError:
        return DEFAULT_RETRY_AFTER_S
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


async def _refusal_text(response: httpx.Response) -> str:
    await response.aread()
    description = ""
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    if isinstance(body, dict):
        if body.get("error") == "insufficient_scope":
            return "Robinhood says the sign-in lacks the permission this needs; sign in again and approve all it asks"
        text = body.get("error_description") or body.get("message")
        description = text[:300] if isinstance(text, str) else ""
    said = f" ({description.rstrip('.')})" if description else ""
    return (
        f"Robinhood accepts the sign-in but does not let this agent trade yet{said}. Agentic trading opens by "
        "waitlist, which nothing in Brokerdeck can change; once Robinhood grants access, the next check finds it"
    )
