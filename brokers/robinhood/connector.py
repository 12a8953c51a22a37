"""The `robinhood-mcp` connector: the OAuth engine's sign-in and renewal, proven at Robinhood's MCP server.

Signing in, renewing and signing out are the generic OAuth 2 connector's, run on the profile as the engine
sees it (issuer = resource = the MCP URL, scope `internal`). What is Robinhood's own: the probe is an
authenticated MCP handshake (granted, waitlisted, revoked), the session keeps the one agentic account, shows
a read-only snapshot of that account, and routes the trading core's orders to it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any

from brokers.core.actions import ActionOffer, NextAction
from brokers.core.connector import Connector, ConnectorSession, SessionEnv
from brokers.core.health import CredentialHealth, HealthAt, identity
from brokers.oauth2.connector import OAuth2Connector, OAuthLiveSession, OAuthSignIn
from brokers.robinhood.profile import RobinhoodProfile

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from brokers.core.accounts import AccountsReport
    from brokers.core.order_route import OrderRoute
    from brokers.core.rotation import ArchivedSet, Progress, RotationStatus
    from brokers.core.secrets import BlobCheck, SecretStore
    from brokers.core.tools import ToolSession
    from brokers.oauth2.rotation import ReRegistration
    from brokers.robinhood.access import AccessFacts
    from brokers.robinhood.orders import RobinhoodOrderRoute

_ENGINE = OAuth2Connector()
ACCOUNTS_REFRESH_S = 60.0  # a check (four read calls) a minute: far inside Robinhood's rate limit
ACCESS_KEY = "robinhood"  # where the published facts keep the MCP check's


class RobinhoodConnector(Connector[RobinhoodProfile]):
    profile_class = RobinhoodProfile
    title = "Robinhood agentic trading (MCP server, OAuth 2.1)"
    signs_in = True
    trades = True
    rotates = True  # re-registration, proven by the MCP handshake (brokers/oauth2/rotation.py)

    def setup_hint(self, profile: RobinhoodProfile) -> str:
        return _ENGINE.setup_hint(profile.oauth())

    def stored_health(self, profile: RobinhoodProfile, vault: SecretStore, checks: Sequence[BlobCheck]) -> HealthAt:
        engine = _ENGINE.stored_health(profile.oauth(), vault, checks)
        return lambda now: dataclasses.replace(engine(now), **identity(profile))

    def published_health(self, profile: RobinhoodProfile, facts: Mapping[str, Any]) -> HealthAt | None:
        from brokers.oauth2.session import SessionFacts
        from brokers.robinhood.access import AccessFacts
        from brokers.robinhood.health import robinhood_health

        rest = dict(facts)
        access = AccessFacts.from_json(rest.pop(ACCESS_KEY, None))
        published = SessionFacts.from_json(rest)
        if published is None:
            return None
        return lambda now: robinhood_health(profile, published, access, now, live=True)

    def offers(self, profile: RobinhoodProfile, health: CredentialHealth) -> tuple[ActionOffer, ...]:
        return _ENGINE.offers(profile.oauth(), health)

    def open_session(self, profile: RobinhoodProfile, env: SessionEnv) -> ConnectorSession:
        return RobinhoodLiveSession(profile, env)

    def sign_in(self, profile: RobinhoodProfile, vault: SecretStore, *, listen: bool = True) -> OAuthSignIn:
        return _ENGINE.sign_in(profile.oauth(), vault, listen=listen)

    async def sign_out(self, profile: RobinhoodProfile, vault: SecretStore) -> str:
        return await _ENGINE.sign_out(profile.oauth(), vault)

    def rotation_status(self, profile: RobinhoodProfile, vault: SecretStore) -> RotationStatus:
        return _reregistration(profile, vault).status()

    async def rotation_start(
        self, profile: RobinhoodProfile, vault: SecretStore, progress: Progress, *, new_dh: bool
    ) -> RotationStatus:
        return await _reregistration(profile, vault).start(progress)

    async def rotation_confirm(
        self, profile: RobinhoodProfile, vault: SecretStore, answers: dict[str, str], progress: Progress
    ) -> RotationStatus:
        return await _reregistration(profile, vault).confirm(progress)

    def rotation_abort(self, profile: RobinhoodProfile, vault: SecretStore) -> RotationStatus:
        return _reregistration(profile, vault).abort()

    def archived_sets(self, profile: RobinhoodProfile, vault: SecretStore) -> tuple[ArchivedSet, ...]:
        return _reregistration(profile, vault).archived()

    async def restore_archived(
        self, profile: RobinhoodProfile, vault: SecretStore, archive_id: str, progress: Progress
    ) -> str:
        return await _reregistration(profile, vault).restore(archive_id, progress)

    def open_tools(self, profile: RobinhoodProfile, vault: SecretStore) -> AbstractAsyncContextManager[ToolSession]:
        """The MCP server's tools on the stored sign-in (`brokerdeck mcp`); renews silently, never a browser."""
        return _tools(profile, vault)


def _reregistration(profile: RobinhoodProfile, vault: SecretStore) -> ReRegistration:
    """The engine's re-registration, proven where Robinhood proves a sign-in: an authenticated MCP handshake."""
    from brokers.oauth2.rotation import ReRegistration
    from brokers.robinhood.access import sign_in_accepted

    return ReRegistration(profile.oauth(), vault, prove=lambda session: sign_in_accepted(profile.url, session))


@asynccontextmanager
async def _tools(profile: RobinhoodProfile, vault: SecretStore) -> AsyncIterator[ToolSession]:
    from brokers.oauth2.session import OAuthSession
    from brokers.oauth2.store import OAuthStore
    from brokers.oauth2.transport import new_http_client
    from brokers.robinhood.tools import McpTools

    async with new_http_client() as http:
        tokens = OAuthSession(profile.oauth(), OAuthStore(vault, profile.name), http)
        async with McpTools.open(profile.url, tokens) as tools:
            yield tools


class RobinhoodLiveSession(OAuthLiveSession):
    """The engine's live session; its probe is the MCP handshake, and it keeps the agentic account's snapshot."""

    accounts_refresh_s = ACCOUNTS_REFRESH_S

    def __init__(self, profile: RobinhoodProfile, env: SessionEnv) -> None:
        from brokers.robinhood.access import AccessFacts

        super().__init__(profile.oauth(), env)
        self._robinhood = profile
        self._access: AccessFacts = AccessFacts()
        self._report: AccountsReport | None = None
        self._route: RobinhoodOrderRoute | None = None

    def health(self, now: float) -> CredentialHealth | None:
        from brokers.robinhood.health import robinhood_health

        if not self._loaded:
            return None
        return robinhood_health(self._robinhood, self._session.facts, self._access, now, live=True)

    def probe(self) -> bool:
        if not self._loaded or not self._session.facts.connected:
            return False
        self._chore("check", self._check())
        return True

    def act(self, action: NextAction) -> str | None:
        access = self._access
        if action == NextAction.RETRY and (access.error or access.agentic_problem) and self.probe():
            return f"Checking {self._robinhood.display_name} at Robinhood…"
        return super().act(action)

    def published(self) -> dict[str, Any] | None:
        facts = super().published()
        return None if facts is None else facts | {ACCESS_KEY: self._access.to_json()}

    def accounts(self) -> AccountsReport | None:
        return self._report

    def order_route(self) -> OrderRoute | None:
        """The agentic account's order desk once a check found exactly one agentic account (None before, or
        when the sign-in is not usable); one route while that account stays, so its open questions and what it
        placed survive between callers."""
        from brokers.robinhood.orders import RobinhoodOrderRoute

        number = self._access.account_number
        if not self._loaded or not self._session.facts.connected or not number or self._access.agentic_problem:
            return None
        if self._route is None or self._route.account != number:
            self._route = RobinhoodOrderRoute(self._robinhood.url, self._session, number)
        return self._route

    async def _check(self) -> None:
        from brokers.robinhood.access import check_access

        self._access, report = await check_access(self._robinhood.url, self._session)
        if report is not None:
            self._report = dataclasses.replace(report, refresh_s=ACCOUNTS_REFRESH_S)
