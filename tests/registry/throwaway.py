"""A connector that exists only in the tests: registered in the registry and nowhere else.

Its kind has its own profile class, its own health and one action (ping the desk), so the tests can show
that the loader, `brokerdeck status --json`, `brokerdeck login` and the window pick up a new broker from
its registration alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from brokers.core.actions import ActionOffer, ActionRoute, NextAction
from brokers.core.connector import Connector, ConnectorSession, SessionEnv
from brokers.core.health import ConnectionState, CredentialHealth, HealthAt, identity
from brokers.core.profiles import Profile, declared, parse_text
from brokers.core.secrets import BlobCheck, SecretStore

KIND = "throwaway"
TITLE = "A desk that exists only in the tests"
PING = ActionOffer(NextAction.CONNECT, "Ping the desk", ActionRoute.SESSION, panel=True)


@dataclass(frozen=True, kw_only=True)
class DeskProfile(Profile):
    kind: ClassVar[str] = KIND
    desk: str = declared(parse_text)


class DeskSession(ConnectorSession):
    def __init__(self, profile: DeskProfile, env: SessionEnv) -> None:
        self.profile = profile
        self._env = env
        self.started = False
        self.pings: list[NextAction] = []

    async def run(self) -> None:
        self.started = True
        self._env.on_change()
        await asyncio.Event().wait()  # a keep-alive: runs until the window stops it

    def health(self, now: float) -> CredentialHealth | None:
        if not self.started:
            return None
        if self.pings:
            return CredentialHealth(
                **identity(self.profile),
                state=ConnectionState.ACTIVE,
                reason=f"The {self.profile.desk} desk answered.",
                next_action=NextAction.NONE,
            )
        return CredentialHealth(
            **identity(self.profile),
            state=ConnectionState.NOT_CONNECTED,
            reason=f"The {self.profile.desk} desk has not been pinged yet.",
            next_action=NextAction.CONNECT,
            hint="Ping the desk.",
        )

    def act(self, action: NextAction) -> str | None:
        self.pings.append(action)
        self._env.on_change()
        return f"Pinged the {self.profile.desk} desk"


class DeskConnector(Connector[DeskProfile]):
    profile_class = DeskProfile
    title = TITLE

    def __init__(self) -> None:
        self.sessions: list[DeskSession] = []

    def setup_hint(self, profile: DeskProfile) -> str:
        return "Ping the desk from the window."

    def stored_health(self, profile: DeskProfile, vault: SecretStore, checks: Sequence[BlobCheck]) -> HealthAt:
        health = CredentialHealth(
            **identity(profile),
            state=ConnectionState.NOT_CONNECTED,
            reason=f"The {profile.desk} desk is reached only from the window.",
            next_action=NextAction.CONNECT,
            hint="Open Brokerdeck and ping the desk.",
        )
        return lambda _now: health

    def offers(self, profile: DeskProfile, health: CredentialHealth) -> tuple[ActionOffer, ...]:
        return (PING,)

    def open_session(self, profile: DeskProfile, env: SessionEnv) -> DeskSession:
        session = DeskSession(profile, env)
        self.sessions.append(session)
        return session


def run_cli_with_desk(argv: list[str]) -> int:
    """The real `brokerdeck` entry point, in a process whose registry also holds the desk connector."""
    from app.cli import main
    from brokers.registry import REGISTRY

    REGISTRY.register(DeskConnector())
    return main(argv)
