"""The one bridge from the connectors' running sessions into Qt.

Sessions report changes through plain callbacks; the bridge writes what they publish for `brokerdeck
status`, and coalesces every change of every session into one `changed` signal per loop turn. It starts a
session for each profile whose connector has one, stops it when the profile goes or changes, and routes
the trader's actions to it. It never asks which broker a profile belongs to.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.coalesce import emit_soon
from app.operations import Failure, Operations, cancel_and_wait
from app.sandbox import SandboxEndpoints
from brokers.core.accounts import AccountsReport
from brokers.core.actions import NextAction
from brokers.core.connector import ConnectorSession, SessionEnv
from brokers.core.errors import BrokerError
from brokers.core.health import LiveHealth
from brokers.core.market import MarketSource
from brokers.core.profiles import Profile, ProfileOrigin, ProfileSet
from brokers.core.published import publish, published_file
from brokers.core.registry import Registry
from brokers.vault import Vault

log = logging.getLogger(__name__)


@dataclass
class _Running:
    profile: Profile
    session: ConnectorSession
    task: asyncio.Task[None] | None = None


class SessionBridge(QObject):
    """Starts, follows and stops one session per profile; `changed` fires (coalesced) when any changes."""

    changed = Signal()
    vaultChanged = Signal()  # a session stored secrets (it set a sandbox profile up): inspect the vault again

    def __init__(
        self,
        registry: Registry,
        vault: Vault,
        data_dir: Path,
        operations: Operations,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._registry = registry
        self._vault = vault
        self._data_dir = data_dir
        self._operations = operations
        self._running: dict[str, _Running] = {}
        self._closed = False  # after shutdown nothing starts again: nothing would ever close it
        self._emit_soon = emit_soon(self, self.changed)
        self._vault_changed_soon = emit_soon(self, self.vaultChanged)

    def sync(self, profiles: ProfileSet, sandbox: SandboxEndpoints | None) -> None:
        """Start sessions for new profiles, stop those whose profile went away or changed, and let the others
        look at the vault again."""
        if self._closed:
            return
        wanted = {p.name: p for p in profiles.profiles}
        for name, running in list(self._running.items()):
            if wanted.get(name) != running.profile:
                self._stop(name)
            else:
                running.session.recheck()
        for name, profile in wanted.items():
            if name not in self._running:
                self._start(profile, sandbox)

    def restart(self, name: str) -> None:
        """What the vault holds for `name` changed (a sign-in finished): read it again, keep it alive."""
        running = self._running.get(name)
        if running is not None and not self._closed:
            self._run(running)

    def session(self, name: str) -> ConnectorSession | None:
        """`name`'s running session, if it has one."""
        running = self._running.get(name)
        return running.session if running is not None else None

    def live_health(self) -> dict[str, LiveHealth]:
        return {name: running.session.health for name, running in self._running.items()}

    def accounts(self) -> dict[str, AccountsReport]:
        """The accounts each running session last read, for the profiles whose connector shows accounts."""
        reports = {name: running.session.accounts() for name, running in self._running.items()}
        return {name: report for name, report in reports.items() if report is not None}

    def settled(self) -> bool:
        """True when no session is still loading or connecting."""
        return all(running.session.settled for running in self._running.values())

    def act(self, name: str, action: NextAction) -> str | None:
        """Let `name`'s session carry out `action`; what it is doing, or None when it cannot."""
        running = self._running.get(name)
        return running.session.act(action) if running is not None else None

    def probe(self) -> list[str]:
        """Ask every session to prove its credential now; the names of those that started a check."""
        return [name for name, running in self._running.items() if running.session.probe()]

    def sign_out(self, profile: Profile, done: Callable[[str], None], failed: Failure) -> None:
        """Stop the keep-alive, then revoke and delete the stored sign-in; the callbacks run on the UI thread.

        The keep-alive has ended (its last save written) before the sign-out reads what to revoke.
        """
        running = self._running.get(profile.name)
        keep_alive = running.task if running is not None else None
        if running is not None:
            running.task = None

        async def sign_out() -> str:
            await cancel_and_wait(keep_alive)
            return await self._registry.of(profile).sign_out(profile, self._vault)

        def finished(outcome: str) -> None:
            self.restart(profile.name)
            done(outcome)

        def broke(error: BaseException) -> None:
            self.restart(profile.name)
            failed(error)

        self._operations.run(sign_out(), finished, broke)

    def market_sources(self) -> list[MarketSource]:
        """What the running sessions can stream now, in profile order."""
        sources = (running.session.market_source() for running in self._running.values())
        return [source for source in sources if source is not None]

    async def shutdown(self) -> None:
        self._closed = True
        while self._running:
            name, running = self._running.popitem()
            await self._finish(running)
            published_file(self._data_dir, name).unlink(missing_ok=True)

    # -- internals -----------------------------------------------------------------------------

    def _start(self, profile: Profile, sandbox: SandboxEndpoints | None) -> None:
        env = SessionEnv(
            vault=self._vault,
            sandbox=sandbox.services if sandbox is not None and profile.origin == ProfileOrigin.SANDBOX else None,
            on_change=lambda: self._session_changed(profile.name),
            on_vault_change=self._vault_changed_soon,
            restart=lambda: self.restart(profile.name),
        )
        session = self._registry.of(profile).open_session(profile, env)
        if session is None:
            return
        running = self._running[profile.name] = _Running(profile, session)
        self._run(running)

    def _run(self, running: _Running) -> None:
        """Run the session, after its previous run (if any) has ended: one `run()` at a time."""
        previous = running.task

        async def run() -> None:
            await cancel_and_wait(previous)
            await running.session.run()

        running.task = self._operations.run(run(), lambda _: self._emit_soon(), self._session_broke)

    def _session_changed(self, name: str) -> None:
        running = self._running.get(name)
        facts = running.session.published() if running is not None else None
        if running is not None and facts is not None:
            publish(published_file(self._data_dir, name), facts, running.session.accounts())
        self._emit_soon()

    def _session_broke(self, error: BaseException) -> None:
        """An expected failure (a vault that cannot be read, credentials that cannot be used) is shown by the
        status view with what to do; anything else ending a session is a bug the trader must see."""
        self._emit_soon()
        if isinstance(error, BrokerError):
            log.warning("A session stopped: %s", error)
        else:
            self._operations.report(error)

    def _stop(self, name: str) -> None:
        running = self._running.pop(name)
        published_file(self._data_dir, name).unlink(missing_ok=True)
        self._operations.run(self._finish(running), lambda _: None)

    async def _finish(self, running: _Running) -> None:
        await cancel_and_wait(running.task)
        await running.session.close()
