"""A connected OAuth profile at run time: hands out access tokens, refreshes them, logs out.

Refreshing is single-flight: however many callers find the token stale at once, in this process or in
another one using the same vault (the window and a command line), one refresh request goes out and all
of them get its result. A rotated refresh token is written to the vault before the new access token
is handed to anyone, because the old one is dead the moment the server answers. A dead grant is
recorded as "login required" and never retried, so a revoked app cannot spin in a loop. A refused client
secret (a confidential client's, tokens.py) is recorded as "client refused" instead: the refresh token is
kept but not used again until a secret proves by renewing it (a rotation's confirm, `keys init`).
`check()` proves the access token where it is used (a request to the profile's resource) without
refreshing just to check: only the resource's 401 leads to a refresh, as it would for any request.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from brokers.core.actions import NextAction
from brokers.core.retry import Backoff, Wakeable
from brokers.oauth2.errors import ClientRefused, LoginRequired, OAuthError
from brokers.oauth2.profile import OAuth2Profile
from brokers.oauth2.refresh_lock import REFRESH_LOCK_TIMEOUT_S, refresh_lock
from brokers.oauth2.store import OAuthStore
from brokers.oauth2.tokens import TokenRecord, TokenSet, refresh_tokens, revoke
from brokers.oauth2.transport import send

log = logging.getLogger(__name__)

#: refresh this long before the access token expires (capped at a fifth of its lifetime)
REFRESH_AHEAD_S = 300.0
RETRY_MIN_S = 5.0
RETRY_MAX_S = 300.0


def refresh_due_at(tokens: TokenSet) -> float | None:
    """When the keep-alive should refresh: ahead of expiry by 5 minutes or a fifth of the lifetime."""
    if tokens.expires_at is None:
        return None
    issued = tokens.refreshed_at or tokens.authorized_at
    ahead = min(REFRESH_AHEAD_S, max(0.0, tokens.expires_at - issued) / 5)
    return tokens.expires_at - ahead


@dataclass(frozen=True)
class SessionFacts:
    """What the health view may know of a session: times and reasons, never a token."""

    connected: bool = False
    expires_at: float | None = None
    authorized_at: float | None = None
    refreshed_at: float | None = None
    refresh_expires_at: float | None = None
    has_refresh_token: bool = False
    next_refresh_at: float | None = None
    login_required: str = ""
    client_refused: str = ""  # the client's secret was refused; the tokens are kept for a secret that proves
    last_error: str = ""
    last_error_action: NextAction = NextAction.NONE  # what fixes `last_error`
    retry_at: float | None = None  # when the keep-alive tries the failed renewal again
    checked_at: float | None = None  # when the resource last accepted the access token
    check_error: str = ""  # why the last check could not prove the token
    check_refused: bool = False  # the resource refused even a renewed token
    issuer: str = ""
    client_id: str = ""
    dynamic_client: bool = False

    @classmethod
    def of(cls, record: TokenRecord | None, **extra: Any) -> SessionFacts:
        if record is None:
            return cls(**extra)
        tokens = record.tokens
        connected = tokens is not None and not record.login_required and not record.client_refused
        base = cls(
            connected=connected,
            login_required=record.login_required,
            client_refused=record.client_refused,
            issuer=record.server.issuer,
            client_id=record.client.client_id,
            dynamic_client=record.client.dynamic,
        )
        if tokens is not None:
            base = dataclasses.replace(
                base,
                expires_at=tokens.expires_at,
                authorized_at=tokens.authorized_at,
                refreshed_at=tokens.refreshed_at,
                refresh_expires_at=tokens.refresh_expires_at,
                has_refresh_token=bool(tokens.refresh_token),
                next_refresh_at=refresh_due_at(tokens) if connected and tokens.refresh_token else None,
            )
        return dataclasses.replace(base, **extra)

    def to_json(self) -> dict[str, Any]:
        """What the window publishes for `brokerdeck status` and `login` in another process (no token in it)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, facts: Mapping[str, Any]) -> SessionFacts | None:
        """The facts `to_json` wrote, or None when `facts` is not that (another version, a damaged file)."""
        try:
            fields = dict(facts)
            fields["last_error_action"] = NextAction(fields.get("last_error_action") or NextAction.NONE)
            return cls(**fields)
        except (TypeError, ValueError):
            return None


class OAuthSession:
    """One per profile and process (the in-process refresh lock lives here; refresh_lock.py spans processes)."""

    def __init__(
        self,
        profile: OAuth2Profile,
        store: OAuthStore,
        http: httpx.AsyncClient,
        *,
        on_change: Callable[[SessionFacts], None] | None = None,
        clock: Callable[[], float] = time.time,
        refresh_lock_timeout_s: float = REFRESH_LOCK_TIMEOUT_S,
    ) -> None:
        self.profile = profile
        self._store = store
        self._http = http
        self._on_change = on_change
        self._clock = clock
        self._record: TokenRecord | None = None
        self._loaded = False
        self._unsaved = False
        self._refresh_lock = asyncio.Lock()
        self._refresh_lock_timeout_s = refresh_lock_timeout_s
        self._wake = Wakeable()
        self._last_error = ""
        self._last_error_action = NextAction.NONE
        self._retry_at: float | None = None
        self._checked_at: float | None = None
        self._check_error = ""
        self._check_refused = False

    @property
    def facts(self) -> SessionFacts:
        return SessionFacts.of(
            self._record,
            last_error=self._last_error,
            last_error_action=self._last_error_action,
            retry_at=self._retry_at,
            checked_at=self._checked_at,
            check_error=self._check_error,
            check_refused=self._check_refused,
        )

    async def load(self) -> SessionFacts:
        """Read the stored record (again); the next token request uses it."""
        self._record = await asyncio.to_thread(self._store.sign_in_for, self.profile.issuer)
        self._loaded = True
        self._checked_at, self._check_error, self._check_refused = None, "", False
        self._changed()
        return self.facts

    async def stored_changed(self) -> bool:
        """Has another process (`brokerdeck login`) stored a different sign-in? Reads the vault off the loop.

        Taken under the refresh lock, so a renewal of ours that is still being written is never mistaken
        for someone else's."""
        async with self._refresh_lock:
            if not self._loaded or self._unsaved:
                return False
            stored = await asyncio.to_thread(self._store.sign_in_for, self.profile.issuer)
            return stored != self._record

    async def check(self) -> bool:
        """Prove the access token at the profile's resource; False when there is no resource to ask.

        A 401 refreshes once and asks again (as any request does); a dead grant turns into "login required"."""
        if not self.profile.resource:
            return False
        try:
            response = await self.request("GET", self.profile.resource)
        except LoginRequired:
            self._check_error, self._check_refused = "", False
        except OAuthError as exc:
            self._check_error, self._check_refused = str(exc), False
        else:
            refused = response.status_code == 401
            self._check_refused = refused
            self._check_error = f"{self.profile.resource} refused even a renewed access token (401)" if refused else ""
            if not refused:
                self._checked_at = self._clock()
        self._changed()
        return True

    async def access_token(self) -> str:
        """A valid access token, refreshed first when it is stale. Never opens a browser."""
        if not self._loaded:
            await self.load()
        tokens = self._usable_tokens()
        if self._unsaved:
            await self._save()
        if tokens.access_valid(self._clock(), leeway=30):
            return tokens.access_token
        return (await self.refresh(stale=tokens)).access_token

    async def refresh(self, stale: TokenSet | None = None) -> TokenSet:
        """Refresh now, once for all concurrent callers in every process; `stale` skips it if someone else already did.

        The asyncio lock lets one task of this process through, the profile's file lock one process. Under
        both, the vault is read again: when another process renewed meanwhile, its tokens are taken instead
        of sending a refresh token the server has already rotated out (which would revoke the grant)."""
        async with self._refresh_lock:
            if not self._loaded:
                await self.load()
            _, held = self._usable()
            if stale is not None and held is not stale:
                return held  # another caller refreshed while this one waited
            try:
                async with refresh_lock(self._store.refresh_lock_path(), self._refresh_lock_timeout_s):
                    return await self._refresh_held(held)
            except LoginRequired:
                raise
            except OAuthError as exc:
                self._last_error, self._last_error_action = str(exc), exc.action
                self._changed()
                raise

    async def _refresh_held(self, held: TokenSet) -> TokenSet:
        """Under the file lock: take what another process stored since `held`, or refresh and store."""
        record, tokens = await self._reread(held)
        if tokens is not held and tokens.access_valid(self._clock(), leeway=30):
            self._last_error, self._last_error_action = "", NextAction.NONE
            log.info("OAuth profile %s: took the tokens another process renewed", self.profile.name)
            self._changed()
            return tokens
        try:
            new = await refresh_tokens(self._http, record.server, record.client, tokens, self._clock())
        except ClientRefused as exc:
            await self._mark_client_refused(record, exc.what)
            raise
        except LoginRequired as exc:
            await self._mark_login_required(record, str(exc))
            raise
        self._record = dataclasses.replace(record, tokens=new)
        self._unsaved = True
        await self._save()
        self._last_error, self._last_error_action = "", NextAction.NONE
        log.info("OAuth profile %s: access token refreshed", self.profile.name)
        self._changed()
        return new

    async def _reread(self, held: TokenSet) -> tuple[TokenRecord, TokenSet]:
        """The record to refresh from: the stored one when another process changed it since `held`.

        A held record that could not be written yet is newer than the vault's and stays. A stored sign-in
        that died or was signed out meanwhile ends here as LoginRequired, without asking the server."""
        if self._unsaved:
            return self._usable()
        stored = await asyncio.to_thread(self._store.sign_in_for, self.profile.issuer)
        if stored is not None and stored.tokens is not None and _same_tokens(stored.tokens, held):
            return self._usable()
        self._record = stored
        self._changed()
        return self._usable()

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Call the resource with the bearer token; on a 401 refresh once and retry once."""
        token = await self.access_token()
        response = await self._bearer_request(method, url, token, **kwargs)
        if response.status_code != 401:
            return response
        tokens = self._usable_tokens()
        await self.refresh(stale=tokens)
        return await self._bearer_request(method, url, await self.access_token(), **kwargs)

    async def run(self) -> None:
        """Keep the access token fresh ahead of expiry until cancelled or the grant dies."""
        backoff = Backoff(RETRY_MIN_S, RETRY_MAX_S)
        self._wake.clear()  # a "Retry now" from before this keep-alive is not a reason to renew now
        while True:
            if not self._loaded:
                await self.load()
            record = self._record
            if record is None or record.tokens is None or not record.tokens.refresh_token:
                return
            if record.login_required or record.client_refused:
                return
            due = refresh_due_at(record.tokens)
            if due is None:
                return
            await self._wake.sleep(due - self._clock())
            try:
                await self.refresh(stale=self._record.tokens if self._record else None)
                backoff.reset()
                self._retry_at = None
            except LoginRequired:
                return
            except OAuthError as exc:
                delay = backoff.next()
                log.warning("OAuth profile %s: refresh failed (%s); retrying in %.0f s", self.profile.name, exc, delay)
                self._retry_at = self._clock() + delay
                self._changed()
                await self._wake.sleep(delay)

    def retry_now(self) -> None:
        """Renew at once: ends the keep-alive's wait for the next renewal or the next retry."""
        self._wake.wake()

    async def logout(self) -> str:
        """Revoke at the server when it offers revocation, then delete everything stored; says what happened."""
        if not self._loaded:
            await self.load()
        record = self._record
        outcome = "nothing was stored"
        if record is not None and record.client_refused:
            outcome = f"{record.client_refused}, so nothing could be revoked; the tokens were deleted here"
        elif record is not None and record.tokens is not None and not record.login_required:
            if not record.server.revocation_endpoint:
                outcome = f"{record.server.issuer} offers no token revocation; the tokens were deleted here only"
            else:
                try:
                    await revoke(self._http, record.server, record.client, record.tokens)
                    outcome = f"the tokens were revoked at {record.server.issuer} and deleted here"
                except OAuthError as exc:
                    outcome = f"revocation failed ({exc}); the tokens were deleted here anyway"
        elif record is not None:
            outcome = "the stored sign-in was already dead; it was deleted here"
        await asyncio.to_thread(self._store.wipe)
        self._record = None
        self._last_error, self._last_error_action = "", NextAction.NONE
        self._changed()
        return outcome

    # -- internals -----------------------------------------------------------------------------

    def _usable(self) -> tuple[TokenRecord, TokenSet]:
        """The stored record and its tokens; LoginRequired when there are none to use."""
        record = self._record
        if record is not None and record.login_required:
            raise LoginRequired(f"{self.profile.display_name} must sign in again: {record.login_required}")
        if record is not None and record.client_refused:
            raise ClientRefused(
                f"{self.profile.display_name} cannot renew its sign-in: {record.client_refused}",
                "the stored tokens wait for a secret that proves",
            )
        if record is None or record.tokens is None:
            raise LoginRequired(f"{self.profile.display_name} is not connected: sign in first")
        return record, record.tokens

    def _usable_tokens(self) -> TokenSet:
        return self._usable()[1]

    async def _save(self) -> None:
        record, _ = self._usable()
        await self._write(record)
        self._unsaved = False

    async def _mark_login_required(self, record: TokenRecord, reason: str) -> None:
        self._record = dataclasses.replace(record, tokens=None, login_required=reason)
        self._last_error, self._last_error_action, self._retry_at = "", NextAction.NONE, None
        await self._write(self._record)
        log.warning("OAuth profile %s: %s", self.profile.name, reason)
        self._changed()

    async def _mark_client_refused(self, record: TokenRecord, reason: str) -> None:
        """Keep the tokens (the refresh token was not refused), but use them no more until a secret proves."""
        self._record = dataclasses.replace(record, client_refused=reason)
        self._last_error, self._last_error_action, self._retry_at = "", NextAction.NONE, None
        await self._write(self._record)
        log.warning("OAuth profile %s: %s; the tokens are kept", self.profile.name, reason)
        self._changed()

    async def _write(self, record: TokenRecord) -> None:
        """Store `record`. A cancelled caller (a sign-out, a restart) still waits for the write to end before it
        stops, so no late write can put back tokens that were revoked or replaced meanwhile."""
        write = asyncio.ensure_future(asyncio.to_thread(self._store.save_record, record))
        try:
            await asyncio.shield(write)
        except asyncio.CancelledError:
            await asyncio.gather(write, return_exceptions=True)
            raise

    async def _bearer_request(self, method: str, url: str, token: str, **kwargs: Any) -> httpx.Response:
        headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {token}"}
        return await send(self._http, method, url, headers=headers, **kwargs)

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change(self.facts)


def _same_tokens(a: TokenSet, b: TokenSet) -> bool:
    """The same issued tokens (their times may have been read differently)."""
    return a.access_token == b.access_token and a.refresh_token == b.refresh_token
