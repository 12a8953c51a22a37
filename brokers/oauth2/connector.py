"""The generic `oauth2` connector: a browser sign-in once, then silent renewal while the window runs.

Connectors for brokers that speak OAuth 2 (Robinhood, Schwab) build on the same engine. Heavy parts
(httpx) are imported when a session or a sign-in needs them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from brokers.core.actions import ActionOffer, ActionRoute, NextAction
from brokers.core.connector import Connector, ConnectorSession, SessionEnv, SignedIn, SignInStarted
from brokers.core.health import ConnectionState, CredentialHealth, HealthAt
from brokers.oauth2.profile import OAuth2Profile

if TYPE_CHECKING:
    import httpx

    from brokers.core.credential_notes import CredentialNote
    from brokers.core.rotation import ArchivedSet, Progress, RotationStatus
    from brokers.core.secrets import BlobCheck, SecretStore
    from brokers.oauth2.login import LoginFlow
    from brokers.oauth2.rotation import ReRegistration
    from brokers.oauth2.session import OAuthSession, SessionFacts

log = logging.getLogger(__name__)

_RETRY = ActionOffer(NextAction.RETRY, "Retry now", ActionRoute.SESSION, tooltip="Try the failed renewal or check now")


class OAuth2Connector(Connector[OAuth2Profile]):
    profile_class = OAuth2Profile
    title = "OAuth 2.1 authorization server (browser sign-in)"
    signs_in = True
    rotates = True  # re-registration: a new dynamic client and a sign-in with it (brokers/oauth2/rotation.py)

    def setup_hint(self, profile: OAuth2Profile) -> str:
        from brokers.oauth2.health import sign_in_hint

        return sign_in_hint(profile)

    def stored_health(self, profile: OAuth2Profile, vault: SecretStore, checks: Sequence[BlobCheck]) -> HealthAt:
        from brokers.oauth2.health import oauth2_health

        facts = stored_sign_in(vault, profile)
        return lambda now: oauth2_health(profile, facts, now, live=False)

    def credential_checks(
        self, profile: OAuth2Profile, vault: SecretStore, checks: Sequence[BlobCheck]
    ) -> tuple[CredentialNote, ...]:
        from brokers.oauth2.sign_in_notes import sign_in_notes

        return sign_in_notes(profile, stored_sign_in(vault, profile), vault, checks)

    def published_health(self, profile: OAuth2Profile, facts: Mapping[str, Any]) -> HealthAt | None:
        from brokers.oauth2.health import oauth2_health
        from brokers.oauth2.session import SessionFacts

        published = SessionFacts.from_json(facts)
        if published is None:
            return None
        return lambda now: oauth2_health(profile, published, now, live=True)

    def offers(self, profile: OAuth2Profile, health: CredentialHealth) -> tuple[ActionOffer, ...]:
        retry = (_RETRY,) if health.next_action == NextAction.RETRY else ()
        if health.state == ConnectionState.NOT_CONNECTED:
            connect = ActionOffer(
                NextAction.CONNECT,
                "Connect",
                ActionRoute.SIGN_IN,
                tooltip="Open the broker's sign-in page in your browser",
                panel=True,
            )
            return (connect, *retry)
        reconnect = ActionOffer(
            NextAction.RECONNECT,
            "Reconnect",
            ActionRoute.SIGN_IN,
            tooltip="Sign in again in your browser to replace this profile's tokens",
            panel=True,
        )
        disconnect = ActionOffer(
            NextAction.DISCONNECT,
            "Disconnect",
            ActionRoute.SIGN_OUT,
            tooltip="Revoke this profile's tokens at the broker and delete them here",
            panel=True,
        )
        return (reconnect, disconnect, *retry)

    def open_session(self, profile: OAuth2Profile, env: SessionEnv) -> ConnectorSession:
        return OAuthLiveSession(profile, env)

    def sign_in(self, profile: OAuth2Profile, vault: SecretStore, *, listen: bool = True) -> OAuthSignIn:
        return OAuthSignIn(profile, vault, listen=listen)

    async def sign_out(self, profile: OAuth2Profile, vault: SecretStore) -> str:
        from brokers.oauth2.session import OAuthSession
        from brokers.oauth2.store import OAuthStore
        from brokers.oauth2.transport import new_http_client

        async with new_http_client() as http:
            return await OAuthSession(profile, OAuthStore(vault, profile.name), http).logout()

    def rotation_status(self, profile: OAuth2Profile, vault: SecretStore) -> RotationStatus:
        return _reregistration(profile, vault).status()

    async def rotation_start(
        self, profile: OAuth2Profile, vault: SecretStore, progress: Progress, *, new_dh: bool
    ) -> RotationStatus:
        return await _reregistration(profile, vault).start(progress)

    async def rotation_confirm(
        self, profile: OAuth2Profile, vault: SecretStore, answers: dict[str, str], progress: Progress
    ) -> RotationStatus:
        return await _reregistration(profile, vault).confirm(progress)

    def rotation_abort(self, profile: OAuth2Profile, vault: SecretStore) -> RotationStatus:
        return _reregistration(profile, vault).abort()

    def archived_sets(self, profile: OAuth2Profile, vault: SecretStore) -> tuple[ArchivedSet, ...]:
        return _reregistration(profile, vault).archived()

    async def restore_archived(
        self, profile: OAuth2Profile, vault: SecretStore, archive_id: str, progress: Progress
    ) -> str:
        return await _reregistration(profile, vault).restore(archive_id, progress)


def _reregistration(profile: OAuth2Profile, vault: SecretStore) -> ReRegistration:
    from brokers.oauth2.rotation import ReRegistration

    return ReRegistration(profile, vault)


def stored_sign_in(vault: SecretStore, profile: OAuth2Profile) -> SessionFacts:
    """The facts of the sign-in the vault holds for `profile`, for the health when no session runs."""
    from brokers.oauth2.session import SessionFacts
    from brokers.oauth2.store import OAuthStore

    try:
        return SessionFacts.of(OAuthStore(vault, profile.name).sign_in_for(profile.issuer))
    except (ValueError, KeyError, TypeError):
        return SessionFacts(login_required="the stored sign-in is from an unknown format and cannot be used")


class OAuthLiveSession(ConnectorSession):
    """Reads the stored sign-in, then renews the access token ahead of expiry; no browser after the first.

    It checks the token at the profile's resource when asked, and follows a sign-in another process
    (`brokerdeck login`) stored meanwhile by asking the window to run it again from the vault.
    """

    def __init__(self, profile: OAuth2Profile, env: SessionEnv) -> None:
        from brokers.oauth2.session import OAuthSession
        from brokers.oauth2.store import OAuthStore
        from brokers.oauth2.transport import new_http_client

        self._profile = profile
        self._env = env
        self._http: httpx.AsyncClient = new_http_client()
        self._session: OAuthSession = OAuthSession(
            profile, OAuthStore(env.vault, profile.name), self._http, on_change=lambda _facts: env.on_change()
        )
        self._loaded = False
        self._tried = False  # a load was attempted, whatever came of it
        self._renewing = False  # the keep-alive runs: "Retry now" has someone to wake
        self._chores: dict[str, asyncio.Task[object]] = {}  # the last check and vault comparison, by name

    accounts_refresh_s = 0.0  # a kind that reads accounts in its check: how often the check runs again (0: never)

    async def run(self) -> None:
        schedule = asyncio.create_task(self._check_every(self.accounts_refresh_s)) if self.accounts_refresh_s else None
        try:
            await self._keep_alive()
        finally:
            if schedule is not None:
                schedule.cancel()
                await asyncio.gather(schedule, return_exceptions=True)

    async def _check_every(self, period_s: float) -> None:
        """The accounts' scheduled read: the check reads them, so a running check needs no second one."""
        while True:
            await asyncio.sleep(period_s)
            self.probe()

    def refresh_accounts(self) -> bool:
        return bool(self.accounts_refresh_s) and self.probe()

    async def _keep_alive(self) -> None:
        try:
            await self._session.load()
            self._loaded = True
        finally:
            self._tried = True
        self._env.on_change()
        self.probe()  # a stored token may have died while nobody looked (revoked, another server's): prove it now
        self._renewing = True
        try:
            await self._session.run()
        finally:
            self._renewing = False

    async def close(self) -> None:
        for chore in self._chores.values():
            chore.cancel()
        await asyncio.gather(*self._chores.values(), return_exceptions=True)
        await self._http.aclose()

    def health(self, now: float) -> CredentialHealth | None:
        from brokers.oauth2.health import oauth2_health

        return oauth2_health(self._profile, self._session.facts, now, live=True) if self._loaded else None

    @property
    def settled(self) -> bool:
        return self._tried and all(chore.done() for chore in self._chores.values())

    def probe(self) -> bool:
        if not self._loaded or not self._session.facts.connected or not self._profile.resource:
            return False
        self._chore("check", self._session.check())
        return True

    def recheck(self) -> None:
        if self._loaded:
            self._chore("follow vault", self._follow_vault())

    def published(self) -> dict[str, Any] | None:
        return self._session.facts.to_json() if self._loaded else None

    def act(self, action: NextAction) -> str | None:
        if action != NextAction.RETRY:
            return None
        if self._session.facts.check_error and self.probe():
            return f"Checking the access token of {self._profile.name}…"
        if not self._renewing:
            return None
        self._session.retry_now()
        return f"Renewing the access token of {self._profile.name}…"

    async def _follow_vault(self) -> None:
        if await self._session.stored_changed():
            log.info("OAuth profile %s: the vault holds a newer sign-in; reading it", self._profile.name)
            self._env.restart()

    def _chore(self, name: str, work: Coroutine[Any, Any, object]) -> None:
        """Run `work` beside the keep-alive; while one of the same name runs, another would add nothing."""
        busy = self._chores.get(name)
        if busy is not None and not busy.done():
            work.close()
            return
        chore = self._chores[name] = asyncio.ensure_future(work)
        chore.add_done_callback(self._chore_done)

    def _chore_done(self, chore: asyncio.Task[object]) -> None:
        if not chore.cancelled() and chore.exception() is not None:
            log.error("OAuth profile %s: a background check failed", self._profile.name, exc_info=chore.exception())
        self._env.on_change()


class OAuthSignIn:
    """A `LoginFlow` with its own HTTP client, closed when the sign-in ends however it ends."""

    def __init__(self, profile: OAuth2Profile, vault: SecretStore, *, listen: bool) -> None:
        from brokers.oauth2.store import OAuthStore

        self._profile = profile
        self._vault = vault
        self._store = OAuthStore(vault, profile.name)
        self._listen = listen
        self._http: httpx.AsyncClient | None = None
        self._flow: LoginFlow | None = None
        self._cancelled = False

    @property
    def server(self) -> str:
        return self._profile.issuer

    @property
    def redirect_hint(self) -> str:
        from brokers.oauth2.login import callback_path

        return f"http://127.0.0.1:…{callback_path(self._profile.name)}"

    @property
    def timeout_s(self) -> float:
        from brokers.oauth2.login import LOGIN_TIMEOUT_S

        return LOGIN_TIMEOUT_S

    async def start(self) -> SignInStarted:
        from brokers.oauth2.rotation import sign_in_store
        from brokers.oauth2.transport import new_http_client

        self._http = new_http_client()
        try:
            self._store = await asyncio.to_thread(sign_in_store, self._vault, self._profile.name)
            self._flow = self._new_flow(self._http)
            if self._cancelled:
                self._flow.cancel()
            return await self._flow.start()
        except BaseException:
            await self._close()
            raise

    def _new_flow(self, http: httpx.AsyncClient) -> LoginFlow:
        """The login this sign-in runs, into `_store` (the staged entries while a re-registration waits for this
        sign-in); a broker whose server needs no discovery brings its own."""
        from brokers.oauth2.login import LoginFlow

        return LoginFlow(self._profile, self._store, http, listen=self._listen)

    async def finish(self) -> SignedIn:
        if self._flow is None:
            raise RuntimeError("start() the sign-in first")
        try:
            tokens = await self._flow.finish()
        finally:
            await self._close()
        return SignedIn(expires_at=tokens.expires_at, renews=bool(tokens.refresh_token))

    def submit_pasted(self, text: str) -> None:
        if self._flow is None:
            raise RuntimeError("start() the sign-in first")
        self._flow.submit_pasted(text)

    def cancel(self) -> None:
        self._cancelled = True
        if self._flow is not None:
            self._flow.cancel()

    async def _close(self) -> None:
        http, self._http = self._http, None
        if http is not None:
            await http.aclose()
