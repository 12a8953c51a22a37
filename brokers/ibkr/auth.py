"""How an IBKR session proves who it is: the one part that differs between IBKR's OAuth 1.0a and 2.0.

Everything else about a session (the brokerage session, tickle, status, retries, the 429 penalty, the
snapshots) is shared in `IbkrSession`; it asks its `IbkrAuth` for a token before the first request, for the
headers of each request, for a renewal when one is due and for a fresh start after a 401.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Container, Mapping
from typing import Any, ClassVar, Protocol

import httpx

RENEW_AT_FRACTION = 0.8
USER_AGENT = "brokerdeck"  # IBKR refuses requests without a User-Agent


class Transport(Protocol):
    """The session's one way to send: its HTTP client, its network errors, its typed IBKR errors.

    An answer whose status is in `keep` is returned instead of raised, for the caller to explain."""

    async def __call__(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        *,
        what: str,
        data: Mapping[str, str] | None = None,
        content: str | None = None,
        keep: Container[int] = (),
    ) -> httpx.Response: ...


def renewal_time(minted_at: float, expires_at: float) -> float:
    """When a token is renewed: at 80 % of its lifetime, well before it lapses."""
    return minted_at + (expires_at - minted_at) * RENEW_AT_FRACTION


class IbkrAuth(ABC):
    """One profile's way of authorising requests to `/v1/api`. Holds secrets: never log it."""

    token_name: ClassVar[str]  # what authorises requests, for people: "live session token"
    stream_parameter: ClassVar[str]  # the WebSocket URL's query parameter that carries `stream_token`
    keys_advice: ClassVar[str]  # what fixes credentials IBKR keeps refusing

    @abstractmethod
    def usable(self, now: float) -> bool:
        """Whether a token is held and has not expired at `now`."""

    @abstractmethod
    async def authorize(self, send: Transport, base_url: str, now: float) -> dict[str, Any]:
        """Get every token afresh; the snapshot facts (lifetimes, next renewal) that changed."""

    async def renew(self, send: Transport, base_url: str, now: float) -> dict[str, Any]:
        """Renew what is due (by default everything); the snapshot facts that changed."""
        return await self.authorize(send, base_url, now)

    @abstractmethod
    def headers(self, method: str, url: str, api_session: str | None) -> dict[str, str]:
        """The headers that authorise one request to `url`; `api_session` is the last tickle's session."""

    @property
    @abstractmethod
    def stream_token(self) -> str:
        """The secret the WebSocket URL carries (as `stream_parameter`)."""

    @abstractmethod
    def forget(self) -> None:
        """Drop every token (logged out, or the trader asked for a fresh start)."""
