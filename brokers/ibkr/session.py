"""One IBKR session: its tokens, the brokerage session, and keeping both alive.

How requests are authorised is the session's `IbkrAuth`: OAuth 1.0a mints a live session token (LST)
that signs every request, OAuth 2.0 gets an access token and then an SSO bearer token. Either way the
session renews its tokens at 80 % of their lifetime, tickles IBKR every minute so the brokerage session
does not time out, and checks the session status when asked (Check now, the window's schedule). Only a
401 means a token is bad and gets new ones (once per request); a 429 waits out IBKR's penalty and a 5xx
or a network failure retries the failed request, neither renews. Every change is published as an
immutable `SessionSnapshot`, which the health view renders; nothing in a snapshot is secret.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, replace
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any

import httpx

from brokers.core.actions import NextAction
from brokers.core.errors import BrokerError
from brokers.core.retry import Backoff, Wakeable
from brokers.ibkr.auth import USER_AGENT, IbkrAuth, Transport, renewal_time
from brokers.ibkr.credentials import IbkrCredentials
from brokers.ibkr.errors import IbkrAuthError, IbkrError, IbkrRateLimited, IbkrUnreachable, error_from_response
from brokers.ibkr.oauth1a_auth import OAuth1aAuth

log = logging.getLogger(__name__)

_NO_ERROR: dict[str, Any] = {"error": "", "error_action": NextAction.NONE, "retry_at": None, "rate_limited": False}

TICKLE_INTERVAL_S = 60.0
FIRST_BACKOFF_S = 1.0
MAX_BACKOFF_S = 60.0
# IBKR puts an IP that keeps exceeding its rate limits in a 10-minute penalty box: after a 429, wait minutes.
FIRST_RATE_LIMIT_WAIT_S = 60.0
MAX_RATE_LIMIT_WAIT_S = 600.0
# Errors only the trader can fix: the keep-alive stops retrying and waits to be told to try again.
NEEDS_TRADER = {NextAction.SETUP_KEYS, NextAction.FIX_PROFILE}


class SessionPhase(StrEnum):
    IDLE = "idle"
    CONNECTING = "connecting"
    READY = "ready"
    RETRYING = "retrying"
    FAILED = "failed"


@dataclass(frozen=True)
class TokenLifetime:
    """One token of the session as the health view shows it; `gates_requests`: every request needs it."""

    name: str
    minted_at: float
    expires_at: float
    gates_requests: bool

    @property
    def renew_at(self) -> float:
        return renewal_time(self.minted_at, self.expires_at)


@dataclass(frozen=True)
class SessionSnapshot:
    """The session as the health view sees it; times are epoch seconds.

    An OAuth 1.0a session has a live session token (`lst_*`); an OAuth 2.0 one an access token and the
    SSO bearer token it bought (`access_token_*`, `sso_*`). `renew_at` is the next renewal of any of them."""

    phase: SessionPhase = SessionPhase.IDLE
    lst_minted_at: float | None = None
    lst_expires_at: float | None = None
    access_token_minted_at: float | None = None
    access_token_expires_at: float | None = None
    sso_minted_at: float | None = None
    sso_expires_at: float | None = None
    renew_at: float | None = None
    authenticated: bool | None = None
    competing: bool = False
    connected: bool = False
    status_message: str = ""
    last_tickle_at: float | None = None
    next_tickle_at: float | None = None
    checked_at: float | None = None  # when IBKR last accepted a signed request
    renewing: bool = False  # new tokens are being fetched while the session stays usable
    error: str = ""
    error_action: NextAction = NextAction.NONE
    retry_at: float | None = None
    rate_limited: bool = False  # the retry waits out IBKR's penalty: trying earlier prolongs it

    def tokens(self) -> tuple[TokenLifetime, ...]:
        """The session's tokens with their lifetimes, in the order they are obtained."""
        named = (
            ("live session token", self.lst_minted_at, self.lst_expires_at, True),
            ("access token", self.access_token_minted_at, self.access_token_expires_at, False),
            ("SSO session token", self.sso_minted_at, self.sso_expires_at, True),
        )
        return tuple(
            TokenLifetime(name, minted, expires, gates)
            for name, minted, expires, gates in named
            if minted is not None and expires is not None
        )

    @property
    def request_token(self) -> TokenLifetime | None:
        """The token every request carries (the LST, or the SSO bearer token), once there is one."""
        return next((token for token in self.tokens() if token.gates_requests), None)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, facts: Mapping[str, Any]) -> SessionSnapshot | None:
        """The snapshot `to_json` wrote, or None when `facts` is not one (another version, a damaged file)."""
        try:
            fields = dict(facts)
            fields["phase"] = SessionPhase(fields["phase"])
            fields["error_action"] = NextAction(fields.get("error_action") or NextAction.NONE)
            return cls(**fields)
        except (KeyError, TypeError, ValueError):
            return None


class IbkrSession:
    """Owns the tokens and the brokerage session of one IBKR profile. Runs in the app's asyncio loop.

    `auth` is how requests are authorised; OAuth 1.0a credentials stand for their `OAuth1aAuth`."""

    def __init__(
        self,
        base_url: str,
        auth: IbkrAuth | IbkrCredentials,
        *,
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.time,
        tickle_interval_s: float = TICKLE_INTERVAL_S,
        on_change: Callable[[SessionSnapshot], None] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._auth = auth if isinstance(auth, IbkrAuth) else OAuth1aAuth(auth)
        self._own_http = http is None
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=10.0))
        self._clock = clock
        self._tickle_interval_s = tickle_interval_s
        self._on_change = on_change
        self._api_session: str | None = None
        self._wake = Wakeable()
        self._backoff = Backoff(FIRST_BACKOFF_S, MAX_BACKOFF_S)
        self._rate_limit_backoff = Backoff(FIRST_RATE_LIMIT_WAIT_S, MAX_RATE_LIMIT_WAIT_S, jitter=0.0)
        self._compete = True
        self._connect_due = True  # no brokerage session yet, or IBKR ended it: open one before anything else
        self._check_due = False
        # The last answer's `Date` (the second it names) and our clock when the request went out and came back.
        self.server_clock: tuple[float, float, float] | None = None
        self.snapshot = SessionSnapshot()

    # -- what the rest of the app uses ---------------------------------------------------------

    @property
    def stream_credential(self) -> tuple[str, str]:
        """The WebSocket URL's query parameter and the token it carries: never log that URL."""
        return self._auth.stream_parameter, self._auth.stream_token

    @property
    def transport(self) -> Transport:
        """How this session sends: for a setup step that proves credentials outside the keep-alive."""
        return self._send

    @property
    def api_session(self) -> str | None:
        """The `session` value of the last tickle: the WebSocket's `api` cookie. A secret."""
        return self._api_session

    async def connect(self) -> None:
        """Open the brokerage session with valid tokens (fetched only when there are none), and read its status.

        A retry keeps showing the failure it retries until it succeeds, rather than flickering to "connecting"."""
        if self.snapshot.phase != SessionPhase.RETRYING:
            self._publish(phase=SessionPhase.CONNECTING, **_NO_ERROR)
        if not self._auth.usable(self._clock()):
            await self.authorize()
        await self.open_brokerage_session()
        await self.tickle()
        self._connect_due = False
        self._publish(phase=SessionPhase.READY, **_NO_ERROR)

    async def authorize(self) -> None:
        """Get every token afresh (a live session token, or an access token and an SSO token)."""
        self._publish(renewing=False, **await self._auth.authorize(self._send, self.base_url, self._clock()))

    async def open_brokerage_session(self, compete: bool | None = None) -> dict[str, Any]:
        compete = self._compete if compete is None else compete
        body: dict[str, Any] = await self.request(
            "POST",
            "/iserver/auth/ssodh/init",
            json={"publish": True, "compete": compete},
            what="opening the brokerage session",
        )
        self._apply_status(body)
        return body

    async def auth_status(self) -> dict[str, Any]:
        body: dict[str, Any] = await self.request("POST", "/iserver/auth/status", what="the session status")
        self._apply_status(body)
        return body

    async def check(self) -> dict[str, Any]:
        """Prove the session now: the status request IBKR answers only for valid tokens and session."""
        body = await self.auth_status()
        if not body.get("authenticated") and not body.get("competing"):
            await self.open_brokerage_session()  # it lapsed; a competing one waits for the trader
        return body

    async def tickle(self) -> dict[str, Any]:
        body: dict[str, Any] = await self.request("POST", "/tickle", what="the keep-alive tickle")
        self._api_session = body.get("session") or self._api_session
        status = (body.get("iserver") or {}).get("authStatus") or {}
        now = self._clock()
        self._publish(last_tickle_at=now, next_tickle_at=now + self._tickle_interval_s)
        if status:
            self._apply_status(status)
        return body

    async def request(
        self, method: str, path: str, *, json: Any = None, params: dict[str, str] | None = None, what: str = ""
    ) -> Any:
        """An authorised request; a 401 gets new tokens once and retries once. Returns the JSON body."""
        what = what or f"{method} {path}"
        if not self._auth.usable(self._clock()):
            await self.authorize()
        url = f"{self.base_url}{path}"
        sent = self._clock()
        response = await self._authorised(method, url, json, params, what)
        if response.status_code == 401:
            log.info("IBKR answered 401 to %s: getting a new %s and retrying once", what, self._auth.token_name)
            self._publish(renewing=True)
            try:
                await self.authorize()
            finally:
                self._publish(renewing=False)
            sent = self._clock()
            response = await self._authorised(method, url, json, params, what)
            if response.status_code == 401:
                raise IbkrAuthError(
                    f"IBKR refused {what} twice, even with a fresh {self._auth.token_name}. Reconnect; if it "
                    f"keeps failing, {self._auth.keys_advice}"
                )
        self._publish(checked_at=self._clock())
        if (date := _http_date(response.headers.get("date"))) is not None:
            self.server_clock = (date, sent, self._clock())
        return response.json() if response.content else {}

    async def run(self) -> None:
        """Keep the session alive until cancelled: connect, tickle, renew, check when asked, retry with backoff.

        After a failure the loop retries what failed; it reconnects only when IBKR ended the session or
        refused the token, so a rate limit or a server error never costs new tokens.
        """
        while True:
            try:
                if self._connect_due:
                    await self.connect()
                await self._sleep_until(self._next_duty_at())
                await self._do_duties()
                self._backoff.reset()
                self._rate_limit_backoff.reset()
                if self.snapshot.phase == SessionPhase.RETRYING:
                    self._publish(phase=SessionPhase.READY, **_NO_ERROR)
            except BrokerError as error:  # IBKR's errors, and credentials that cannot be used (a bad secret)
                if error.action in NEEDS_TRADER:
                    self._connect_due = True
                    self._publish(phase=SessionPhase.FAILED, error=str(error), error_action=error.action)
                    await self._sleep_until(None)
                    continue
                if error.action == NextAction.RECONNECT:
                    self._connect_due = True  # IBKR ended the session or refused even fresh tokens
                limited = isinstance(error, IbkrRateLimited)
                if isinstance(error, IbkrRateLimited):
                    wait = max(error.retry_after_s, self._rate_limit_backoff.next())
                else:
                    wait = self._backoff.next()
                self._publish(
                    phase=SessionPhase.RETRYING,
                    error=str(error),
                    error_action=NextAction.NONE if limited else error.action,
                    retry_at=self._clock() + wait,
                    rate_limited=limited,
                )
                if limited:
                    log.warning("IBKR rate-limited %s; waiting %.0f s before the next request", self.base_url, wait)
                await self._sleep_until(self._clock() + wait)

    def retry_now(self, compete: bool | None = None, *, fresh_token: bool = False) -> None:
        """Wake the keep-alive to reconnect at once: optionally taking over a competing session, and with new
        tokens when the trader asked for a fresh start (Reconnect)."""
        if compete is not None:
            self._compete = compete
        if fresh_token:
            self._auth.forget()
        self._connect_due = True
        self._publish(phase=SessionPhase.IDLE)
        self._wake.wake()

    def use_credentials(self, auth: IbkrAuth | IbkrCredentials) -> None:
        """Authorise with other credentials from now on (a key rotation replaced the stored set): the keep-alive
        reconnects once with new tokens, and whoever holds this session (a market stream, an order route)
        keeps it."""
        self._auth = auth if isinstance(auth, IbkrAuth) else OAuth1aAuth(auth)
        self.retry_now()

    def check_now(self) -> bool:
        """Ask the keep-alive to prove the session now; False while it cannot (connecting, waiting out an error)."""
        if self.snapshot.phase != SessionPhase.READY:
            return False
        self._check_due = True
        self._wake.wake()
        return True

    async def close(self) -> None:
        """Log out (best effort) and close the HTTP client this session made, however the logout ends."""
        try:
            if self._auth.usable(self._clock()):
                with contextlib.suppress(IbkrError, httpx.HTTPError):
                    await self.request("POST", "/logout", what="logging out")
        finally:
            self._auth.forget()  # logged out: a second close has nothing to log out (and no open client to do it with)
            if self._own_http:
                await self._http.aclose()

    # -- internals -----------------------------------------------------------------------------

    async def _authorised(
        self, method: str, url: str, json: Any, params: dict[str, str] | None, what: str
    ) -> httpx.Response:
        headers = self._auth.headers(method, url, self._api_session)
        return await self._send(method, url, headers, what=what, json=json, params=params, keep=(401,))

    async def _send(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        *,
        what: str,
        json: Any = None,
        params: dict[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        content: str | None = None,
        keep: Container[int] = (),
    ) -> httpx.Response:
        """One request; an answer of 400 and above raises its typed error unless its status is in `keep`."""
        headers = {"User-Agent": USER_AGENT, **headers}
        try:
            response = await self._http.request(
                method, url, headers=headers, json=json, params=params, data=data, content=content
            )
        except httpx.HTTPError as exc:
            raise IbkrUnreachable(
                f"Cannot reach IBKR at {self.base_url} for {what} ({type(exc).__name__}). Check the network "
                "connection; Brokerdeck keeps retrying."
            ) from None
        if response.status_code >= 400 and response.status_code not in keep:
            raise error_from_response(response, what)
        return response

    def _apply_status(self, body: dict[str, Any]) -> None:
        self._publish(
            authenticated=bool(body.get("authenticated")),
            competing=bool(body.get("competing")),
            connected=bool(body.get("connected")),
            status_message=str(body.get("message") or body.get("fail") or ""),
        )

    def _next_duty_at(self) -> float:
        if self._check_due:
            return self._clock()
        return min(self.snapshot.renew_at or 0, self.snapshot.next_tickle_at or 0)

    async def _do_duties(self) -> None:
        """Whatever is due now: a renewal of the tokens, a check the trader or the window asked for, a tickle."""
        if self._clock() >= (self.snapshot.renew_at or 0):
            self._publish(renewing=True)
            try:
                self._publish(**await self._auth.renew(self._send, self.base_url, self._clock()))
            finally:
                self._publish(renewing=False)
            self._check_due = True
        if self._check_due:
            self._check_due = False
            await self.check()
        if self._clock() >= (self.snapshot.next_tickle_at or 0):
            await self.tickle()
            if self.snapshot.authenticated is False and not self.snapshot.competing:
                await self.open_brokerage_session()  # it lapsed; a competing one waits for the trader

    async def _sleep_until(self, moment: float | None) -> None:
        """Sleep until `moment` (forever when None), or until `retry_now` wakes us."""
        await self._wake.sleep(None if moment is None else moment - self._clock())

    def _publish(self, **changes: Any) -> None:
        self.snapshot = replace(self.snapshot, **changes)
        if self._on_change is not None:
            self._on_change(self.snapshot)


def _http_date(value: str | None) -> float | None:
    """An HTTP `Date` header as epoch seconds (the start of the second it names), or None."""
    try:
        return parsedate_to_datetime(value).timestamp() if value else None
    except (TypeError, ValueError):
        return None
