"""The IBKR connectors' shared half, and the OAuth 1.0a one: self-service keys in the vault, a live session
kept alive by the window.

Both IBKR kinds (OAuth 1.0a here, OAuth 2.0 in oauth2_connector.py) share the health, the actions, the
keep-alive session, the market data and the orders; a kind brings its profile, its vault entries, how its
credentials load (and a sandbox profile is set up) and its `keys init`. Heavy parts (cryptography, httpx)
are imported when a session or a health check needs them, so listing the connectors costs nothing at startup.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from brokers.core.actions import ActionOffer, ActionRoute, NextAction
from brokers.core.connector import Connector, ConnectorSession, Dialogue, SessionEnv
from brokers.core.health import ConnectionState, CredentialHealth, HealthAt, identity
from brokers.core.retry import Wakeable
from brokers.ibkr import vault_entries
from brokers.ibkr.oauth2_profile import IbkrOAuth2Profile
from brokers.ibkr.profile import AnyIbkrProfile, IbkrProfile

if TYPE_CHECKING:
    from brokers.core.accounts import AccountsReport
    from brokers.core.market import MarketSource
    from brokers.core.order_route import OrderRoute
    from brokers.core.rotation import ArchivedSet, Progress, RotationStatus
    from brokers.core.secrets import BlobCheck, SecretStore
    from brokers.ibkr.accounts_reader import IbkrAccountsReader
    from brokers.ibkr.auth import IbkrAuth
    from brokers.ibkr.credentials import IbkrCredentials
    from brokers.ibkr.orders import IbkrOrderRoute
    from brokers.ibkr.session import IbkrSession

log = logging.getLogger(__name__)

SANDBOX_SERVICE = "ibkr"  # the sandbox's IBKR gateway, which also serves the self-service portal

_SESSION_ACTIONS = {
    NextAction.CONNECT: "Connect",
    NextAction.RETRY: "Retry now",
    NextAction.RECONNECT: "Reconnect",
    NextAction.TAKE_OVER: "Take over session",
}


#: reads a profile's credentials from the vault (None while setup is unfinished); blocking
type LoadCredentials = Callable[[SecretStore], IbkrAuth | IbkrCredentials | None]
#: registers a sandbox profile's keys with the sandbox's IBKR service at the URL given; blocking
type ProvisionSandbox = Callable[[SecretStore, str], None]
#: the stored value whose change means a rotation replaced the credentials (the access token); blocking
type StoredToken = Callable[[SecretStore], str | None]


class IbkrConnectorBase[P: (IbkrProfile, IbkrOAuth2Profile)](Connector[P]):
    """What both IBKR kinds share: keys set up from a terminal, a kept-alive session that trades."""

    sets_up_keys = True
    trades = True

    def setup_hint(self, profile: P) -> str:
        return profile.setup_hint()

    def stored_health(self, profile: P, vault: SecretStore, checks: Sequence[BlobCheck]) -> HealthAt:
        health = CredentialHealth(
            **identity(profile),
            state=ConnectionState.NOT_CONNECTED,
            reason="credentials stored; no session is running (the Brokerdeck window connects it)",
            next_action=NextAction.CONNECT,
            hint="Open Brokerdeck (`brokerdeck`), which connects the profile and keeps it alive.",
        )
        return lambda _now: health

    def published_health(self, profile: P, facts: Mapping[str, Any]) -> HealthAt | None:
        from brokers.ibkr.health import ibkr_health
        from brokers.ibkr.session import SessionSnapshot

        snapshot = SessionSnapshot.from_json(facts)
        if snapshot is None:
            return None
        return lambda now: ibkr_health(profile, snapshot, now)

    def offers(self, profile: P, health: CredentialHealth) -> tuple[ActionOffer, ...]:
        command = f"brokerdeck keys init {profile.name}"
        setup = ActionOffer(
            NextAction.SETUP_KEYS,
            "Copy setup command",
            ActionRoute.COMMAND,
            tooltip=f"Copies `{command}`: run it in a terminal to set up the keys",
            command=command,
        )
        return (*(ActionOffer(a, label, ActionRoute.SESSION) for a, label in _SESSION_ACTIONS.items()), setup)


class IbkrConnector(IbkrConnectorBase[IbkrProfile]):
    profile_class = IbkrProfile
    title = "Interactive Brokers (Client Portal Web API, OAuth 1.0a self-service keys)"
    rotates = True

    def required_secrets(self, profile: IbkrProfile) -> frozenset[str]:
        return vault_entries.REQUIRED

    def open_session(self, profile: IbkrProfile, env: SessionEnv) -> ConnectorSession:
        return IbkrLiveSession(
            profile,
            env,
            load=lambda vault: _load_credentials(vault, profile),
            provision=lambda vault, service_url: _provision_sandbox(vault, profile, service_url),
            stored_token=lambda vault: _stored_access_token(vault, profile),
        )

    async def setup_keys(
        self, profile: IbkrProfile, vault: SecretStore, dialogue: Dialogue, *, dhparam_pem: bytes | None, replace: bool
    ) -> str:
        from brokers.ibkr.setup import keys_init

        return await keys_init(vault, profile, dialogue, dhparam_pem=dhparam_pem, replace=replace)

    # ---- rotation (brokers/ibkr/rotation.py) ------------------------------------------------------

    def rotation_status(self, profile: IbkrProfile, vault: SecretStore) -> RotationStatus:
        from brokers.ibkr import rotation

        return rotation.rotation_status(vault, profile)

    async def rotation_start(
        self, profile: IbkrProfile, vault: SecretStore, progress: Progress, *, new_dh: bool
    ) -> RotationStatus:
        from brokers.ibkr import rotation

        return await rotation.start(vault, profile, progress, new_dh=new_dh)

    async def rotation_confirm(
        self, profile: IbkrProfile, vault: SecretStore, answers: dict[str, str], progress: Progress
    ) -> RotationStatus:
        from brokers.ibkr import rotation

        return await rotation.confirm(vault, profile, answers, progress)

    def rotation_abort(self, profile: IbkrProfile, vault: SecretStore) -> RotationStatus:
        from brokers.ibkr import rotation

        return rotation.abort(vault, profile)

    def archived_sets(self, profile: IbkrProfile, vault: SecretStore) -> tuple[ArchivedSet, ...]:
        from brokers.ibkr import rotation

        return rotation.archived_sets(vault, profile)

    async def restore_archived(
        self, profile: IbkrProfile, vault: SecretStore, archive_id: str, progress: Progress
    ) -> str:
        from brokers.ibkr import rotation

        return await rotation.restore(vault, profile, archive_id, progress)


def _load_credentials(vault: SecretStore, profile: IbkrProfile) -> IbkrCredentials | None:
    from brokers.ibkr.credentials import load_credentials

    return load_credentials(vault, profile)


def _stored_access_token(vault: SecretStore, profile: IbkrProfile) -> str | None:
    from brokers.ibkr.credentials import stored_access_token

    return stored_access_token(vault, profile.name)


def _provision_sandbox(vault: SecretStore, profile: IbkrProfile, service_url: str) -> None:
    from brokers.ibkr.sandbox_setup import provision_sandbox_ibkr

    provision_sandbox_ibkr(vault, profile, service_url)


class IbkrLiveSession(ConnectorSession):
    """Loads the credentials (setting a sandbox profile up first), then runs the keep-alive.

    Until the credentials load, it tries again at every vault inspection and when the trader presses
    Connect, so keys set up while the window is open connect without a restart. Once running, a kind whose
    keys rotate (`stored_token`) looks at the stored token at every vault inspection: when a rotation (in this
    window or a terminal) replaced the set, the same session switches to it with one reconnect, so a market
    stream on it carries on. `load`, `provision` and `stored_token` are the profile kind's: everything after
    them is the same for both IBKR kinds.
    """

    def __init__(
        self,
        profile: AnyIbkrProfile,
        env: SessionEnv,
        *,
        load: LoadCredentials,
        provision: ProvisionSandbox,
        stored_token: StoredToken | None = None,
    ) -> None:
        self._profile = profile
        self._env = env
        self._load_credentials = load
        self._provision = provision
        self._stored_token = stored_token
        self._token: str | None = None  # the stored token when the running credentials were loaded
        self._vault_looked_at = Wakeable()
        self._session: IbkrSession | None = None
        self._route: IbkrOrderRoute | None = None
        self._reader: IbkrAccountsReader | None = None
        self._loading = True
        self._failure = ""
        self._provisioned = False
        self._wake = Wakeable()

    async def run(self) -> None:
        from brokers.ibkr.session import IbkrSession

        await self.close()  # a restart: the previous keep-alive's session is over
        while True:
            self._loading = True
            credentials = None
            try:
                credentials, provisioned = await asyncio.to_thread(self._load)
            except Exception as error:  # any reason the stored keys cannot be used is the trader's to fix
                self._failure = f"Could not load or set up the credentials: {error}"
                log.warning("IBKR profile %s: %s", self._profile.name, error)
            else:
                if provisioned:
                    self._env.on_vault_change()
            self._loading = False
            if credentials is not None:
                break
            self._env.on_change()  # the stored health (setup unfinished) or the failure says what to do
            await self._wake.sleep(None)
        self._failure = ""
        self._session = IbkrSession(self._profile.base_url, credentials, on_change=lambda _: self._session_changed())
        log.info("IBKR session for %s started", self._profile.name)
        await self._run_with_reader(self._session)

    async def _run_with_reader(self, session: IbkrSession) -> None:
        """The keep-alive, and beside it the accounts reader (`accounts_reader`), ended together."""
        from brokers.ibkr.accounts_reader import IbkrAccountsReader
        from brokers.ibkr.portfolio import IbkrPortfolio

        self._reader = IbkrAccountsReader(IbkrPortfolio(session, self._profile.account), self._env.on_change)
        helpers = [
            asyncio.create_task(self._reader.run())
        ]  # it catches its own failures: a read never ends the session
        if self._stored_token is not None:
            helpers.append(asyncio.create_task(self._follow_rotations(session, self._stored_token)))
        try:
            await session.run()
        finally:
            for helper in helpers:
                helper.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)

    async def _follow_rotations(self, session: IbkrSession, stored_token: StoredToken) -> None:
        """At every vault inspection: when the stored token is no longer the running one, a rotation switched
        the set; load it (a switch cut off is finished first) and hand it to the running session."""
        while True:
            await self._vault_looked_at.sleep(None)
            try:
                token = await asyncio.to_thread(stored_token, self._env.vault)
                if token is None or token == self._token:
                    continue
                credentials = await asyncio.to_thread(self._load_credentials, self._env.vault)
            except Exception as error:  # the vault is unreadable now: the running set stays, the next look retries
                log.warning("IBKR profile %s: could not read the stored credentials: %s", self._profile.name, error)
                continue
            if credentials is None:
                continue
            self._token = token
            log.info("IBKR profile %s: the stored credentials were rotated; switching the session", self._profile.name)
            session.use_credentials(credentials)
            self._env.on_change()

    def _session_changed(self) -> None:
        self._env.on_change()
        if self._reader is not None:
            self._reader.session_changed()

    def recheck(self) -> None:
        if self._waiting_for_credentials:
            self._wake.wake()
        elif self._session is not None:
            self._vault_looked_at.wake()

    def _load(self) -> tuple[IbkrAuth | IbkrCredentials | None, bool]:
        """Blocking: a sandbox profile is set up once, as a trader would with `keys init`; then the credentials.
        The flag says whether this call stored new secrets."""
        service_url = (self._env.sandbox or {}).get(SANDBOX_SERVICE)
        provisioned = service_url is not None and not self._provisioned
        if service_url is not None and provisioned:
            self._provision(self._env.vault, service_url)
            self._provisioned = True
        # read before the credentials: a rotation in between shows as a changed token later, never as none
        self._token = self._stored_token(self._env.vault) if self._stored_token is not None else None
        return self._load_credentials(self._env.vault), provisioned

    @property
    def _waiting_for_credentials(self) -> bool:
        return self._session is None and not self._loading

    async def close(self) -> None:
        self._reader = None
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def health(self, now: float) -> CredentialHealth | None:
        from brokers.ibkr.health import ibkr_health, setup_failure_health

        if self._failure:
            return setup_failure_health(self._profile, self._failure)
        if self._session is None:
            return None
        return ibkr_health(self._profile, self._session.snapshot, now)

    @property
    def settled(self) -> bool:
        from brokers.ibkr.session import SessionPhase

        if self._loading:
            return False
        return self._session is None or self._session.snapshot.phase not in (SessionPhase.IDLE, SessionPhase.CONNECTING)

    def act(self, action: NextAction) -> str | None:
        if action not in _SESSION_ACTIONS:
            return None
        if self._session is not None:
            self._session.retry_now(
                compete=True if action == NextAction.TAKE_OVER else None,
                fresh_token=action == NextAction.RECONNECT,
            )
        elif self._waiting_for_credentials:
            self._wake.wake()
        else:
            return None  # still loading: the result is on its way
        return f"{_SESSION_ACTIONS[action]}: {self._profile.name}"

    def probe(self) -> bool:
        return self._session is not None and self._session.check_now()

    def published(self) -> dict[str, Any] | None:
        return self._session.snapshot.to_json() if self._session is not None else None

    def market_source(self) -> MarketSource | None:
        from brokers.ibkr.market import IbkrMarketSource
        from brokers.ibkr.session import SessionPhase

        session = self._session
        if session is None or session.snapshot.phase != SessionPhase.READY or not session.snapshot.authenticated:
            return None
        return IbkrMarketSource(self._profile, session)

    def order_route(self) -> OrderRoute | None:
        """The profile account's order desk while the brokerage session is ready (None for a profile without an
        account); one route per session, so its one-order-at-a-time lock and its pacing hold across callers."""
        from brokers.ibkr.orders import IbkrOrderRoute
        from brokers.ibkr.session import SessionPhase

        session = self._session
        if session is None or session.snapshot.phase != SessionPhase.READY or not session.snapshot.authenticated:
            return None
        if not self._profile.account:  # orders need the account the profile names
            return None
        if self._route is None or self._route.session is not session:
            self._route = IbkrOrderRoute(session, self._profile.account)
            self._route.on_fills = self._reader.orders_filled if self._reader is not None else None
        return self._route

    def accounts(self) -> AccountsReport:
        from brokers.core.accounts import AccountsReport
        from brokers.ibkr.accounts_reader import NOT_READ

        if self._reader is None:
            return AccountsReport(problem=NOT_READ)
        self._reader.want()
        return self._reader.report

    def refresh_accounts(self) -> bool:
        return self._reader is not None and self._reader.refresh()
