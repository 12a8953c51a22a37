"""Runs one IBKR session per IBKR profile inside the GUI's asyncio loop.

Credentials are loaded off the UI thread; the sandbox profile is provisioned first, as the trader would
with `keys init` and IBKR's portal. Every snapshot change is published to the window (coalesced) and to
a small state file that `brokerdeck status` reads.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from app.coalesce import emit_soon
from app.context import AppContext
from app.operations import Operations
from brokers.core.health import ConnectionState, CredentialHealth, NextAction, identity
from brokers.core.profiles import IbkrProfile, ProfileOrigin, ProfileSet
from brokers.ibkr.credentials import IbkrCredentials, load_credentials
from brokers.ibkr.health import ibkr_health
from brokers.ibkr.session import IbkrSession, SessionPhase, SessionSnapshot
from brokers.ibkr.session_state import state_file, write_snapshot
from brokers.sandbox.endpoints import SandboxEndpoints
from brokers.sandbox.provisioning import provision_sandbox_ibkr
from brokers.status import LiveHealth
from brokers.vault import Vault

log = logging.getLogger(__name__)

_UNSETTLED = (SessionPhase.IDLE, SessionPhase.CONNECTING)


@dataclass
class _Running:
    profile: IbkrProfile
    session: IbkrSession
    task: asyncio.Task[None]


class IbkrSessions(QObject):
    """Starts, follows and stops the sessions; `changed` fires (coalesced) when any snapshot changes."""

    changed = Signal()
    credentialsStored = Signal()  # the sandbox profile was provisioned: the vault holds new secrets

    def __init__(
        self, context: AppContext, vault: Vault, operations: Operations, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._context = context
        self._vault = vault
        self._operations = operations
        self._running: dict[str, _Running] = {}
        self._loading: set[str] = set()
        self._failed: dict[str, tuple[IbkrProfile, str]] = {}
        self._provisioned: set[str] = set()
        self._closed = False
        self._emit_soon = emit_soon(self, self.changed)

    def sync(self, profiles: ProfileSet, sandbox: SandboxEndpoints | None) -> None:
        """Start sessions for new IBKR profiles and stop those whose profile went away or changed."""
        wanted = {p.name: p for p in profiles.profiles if isinstance(p, IbkrProfile)}
        for name, running in list(self._running.items()):
            if wanted.get(name) != running.profile:
                self._stop(name)
        for name, profile in wanted.items():
            if name not in self._running and name not in self._loading:
                self._start(profile, sandbox)

    def live_health(self) -> dict[str, LiveHealth]:
        live: dict[str, LiveHealth] = {
            name: (lambda now, r=running: ibkr_health(r.profile, r.session.snapshot, now))
            for name, running in self._running.items()
        }
        for name, (profile, message) in self._failed.items():
            live.setdefault(name, lambda _now, p=profile, m=message: _setup_failure(p, m))
        return live

    def ready(self) -> list[tuple[IbkrProfile, IbkrSession]]:
        """Sessions whose brokerage session is open, in profile order: market data can use them."""
        return [
            (r.profile, r.session)
            for r in self._running.values()
            if r.session.snapshot.phase == SessionPhase.READY and r.session.snapshot.authenticated
        ]

    def settled(self) -> bool:
        """True when no credentials are loading and no session is still connecting."""
        connecting = any(r.session.snapshot.phase in _UNSETTLED for r in self._running.values())
        return not self._loading and not connecting

    def act(self, profile: str, action: str) -> bool:
        """Carry out a health action for `profile`; False when it has no running session."""
        running = self._running.get(profile)
        if running is None:
            return False
        running.session.retry_now(compete=True if action == NextAction.TAKE_OVER else None)
        return True

    async def shutdown(self) -> None:
        self._closed = True  # credentials still loading start no session: nothing would ever close it
        for name in list(self._running):
            running = self._running.pop(name)
            running.task.cancel()
            await asyncio.gather(running.task, return_exceptions=True)
            await running.session.close()

    # -- internals -----------------------------------------------------------------------------

    def _start(self, profile: IbkrProfile, sandbox: SandboxEndpoints | None) -> None:
        self._loading.add(profile.name)
        service = sandbox.services.get("ibkr") if sandbox and profile.origin == ProfileOrigin.SANDBOX else None
        provision = service is not None and profile.name not in self._provisioned

        def load() -> IbkrCredentials | None:
            if provision:
                provision_sandbox_ibkr(self._vault, profile, service)
            return load_credentials(self._vault, profile)

        def loaded(credentials: IbkrCredentials | None) -> None:
            self._loading.discard(profile.name)
            self._failed.pop(profile.name, None)
            if provision:
                self._provisioned.add(profile.name)
                self.credentialsStored.emit()
            if credentials is not None and not self._closed:
                self._run(profile, credentials)

        def failed(error: BaseException) -> None:
            self._loading.discard(profile.name)
            self._failed[profile.name] = (profile, f"Could not load or set up the credentials: {error}")
            log.warning("IBKR profile %s: %s", profile.name, error)
            self._emit_soon()

        self._operations.run_blocking(load, loaded, failed)

    def _run(self, profile: IbkrProfile, credentials: IbkrCredentials) -> None:
        path = state_file(self._context.paths.data_dir, profile.name)

        def on_change(snapshot: SessionSnapshot) -> None:
            write_snapshot(path, snapshot)
            self._emit_soon()

        session = IbkrSession(profile.base_url, credentials, on_change=on_change)
        # A keep-alive only ends by cancellation; anything else is a bug the trader must see (the reporter).
        task = self._operations.run(session.run(), lambda _: None)
        self._running[profile.name] = _Running(profile, session, task)
        log.info("IBKR session for %s started", profile.name)

    def _stop(self, name: str) -> None:
        running = self._running.pop(name)
        running.task.cancel()
        state_file(self._context.paths.data_dir, name).unlink(missing_ok=True)
        self._operations.run(running.session.close(), lambda _: None)


def _setup_failure(profile: IbkrProfile, message: str) -> CredentialHealth:
    return CredentialHealth(
        **identity(profile),
        state=ConnectionState.FAILED,
        reason=message,
        next_action=NextAction.SETUP_KEYS,
        hint=f"Run `brokerdeck keys init {profile.name}`, then reload the profiles.",
    )
