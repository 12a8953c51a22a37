"""The generic `oauth2` connector: a browser sign-in once, then silent renewal while the window runs.

Connectors for brokers that speak OAuth 2 (Robinhood, Schwab) build on the same engine. Heavy parts
(httpx) are imported when a session or a sign-in needs them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from brokers.core.actions import ActionOffer, ActionRoute, NextAction
from brokers.core.connector import Connector, ConnectorSession, SessionEnv, SignedIn, SignInStarted
from brokers.core.health import ConnectionState, CredentialHealth, HealthAt
from brokers.oauth2.profile import OAuth2Profile

if TYPE_CHECKING:
    import httpx

    from brokers.core.secrets import BlobCheck, SecretStore
    from brokers.oauth2.login import LoginFlow
    from brokers.oauth2.session import OAuthSession, SessionFacts

_RETRY = ActionOffer(NextAction.RETRY, "Retry now", ActionRoute.SESSION, tooltip="Renew the access token now")


class OAuth2Connector(Connector[OAuth2Profile]):
    profile_class = OAuth2Profile
    title = "OAuth 2.1 authorization server (browser sign-in)"
    signs_in = True

    def setup_hint(self, profile: OAuth2Profile) -> str:
        return f"Press Connect, or run `brokerdeck login {profile.name}`."

    def stored_health(self, profile: OAuth2Profile, vault: SecretStore, checks: Sequence[BlobCheck]) -> HealthAt:
        from brokers.oauth2.health import oauth2_health

        facts = _stored_sign_in(vault, profile)
        return lambda now: oauth2_health(profile, facts, now, live=False)

    def published_health(self, profile: OAuth2Profile, facts: Mapping[str, Any]) -> HealthAt | None:
        from brokers.oauth2.health import oauth2_health
        from brokers.oauth2.session import SessionFacts

        published = SessionFacts.from_json(facts)
        if published is None:
            return None
        return lambda now: oauth2_health(profile, published, now, live=True)

    def offers(self, profile: OAuth2Profile, health: CredentialHealth) -> tuple[ActionOffer, ...]:
        retry = (_RETRY,) if health.next_action == NextAction.RETRY else ()
        if health.state == ConnectionState.PENDING:
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


def _stored_sign_in(vault: SecretStore, profile: OAuth2Profile) -> SessionFacts:
    from brokers.oauth2.session import SessionFacts
    from brokers.oauth2.store import OAuthStore

    try:
        return SessionFacts.of(OAuthStore(vault, profile.name).sign_in_for(profile.issuer))
    except (ValueError, KeyError, TypeError):
        return SessionFacts(login_required="the stored sign-in is from an unknown format and cannot be used")


class OAuthLiveSession(ConnectorSession):
    """Reads the stored sign-in, then renews the access token ahead of expiry; no browser after the first."""

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

    async def run(self) -> None:
        try:
            await self._session.load()
            self._loaded = True
        finally:
            self._tried = True
        self._env.on_change()
        self._renewing = True
        try:
            await self._session.run()
        finally:
            self._renewing = False

    async def close(self) -> None:
        await self._http.aclose()

    def health(self, now: float) -> CredentialHealth | None:
        from brokers.oauth2.health import oauth2_health

        return oauth2_health(self._profile, self._session.facts, now, live=True) if self._loaded else None

    @property
    def settled(self) -> bool:
        return self._tried

    def published(self) -> dict[str, Any] | None:
        return self._session.facts.to_json() if self._loaded else None

    def act(self, action: NextAction) -> str | None:
        if action != NextAction.RETRY or not self._renewing:
            return None
        self._session.retry_now()
        return f"Renewing the access token of {self._profile.name}…"


class OAuthSignIn:
    """A `LoginFlow` with its own HTTP client, closed when the sign-in ends however it ends."""

    def __init__(self, profile: OAuth2Profile, vault: SecretStore, *, listen: bool) -> None:
        self._profile = profile
        self._vault = vault
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
        from brokers.oauth2.login import LoginFlow
        from brokers.oauth2.store import OAuthStore
        from brokers.oauth2.transport import new_http_client

        self._http = new_http_client()
        self._flow = LoginFlow(
            self._profile, OAuthStore(self._vault, self._profile.name), self._http, listen=self._listen
        )
        if self._cancelled:
            self._flow.cancel()
        try:
            return await self._flow.start()
        except BaseException:
            await self._close()
            raise

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
