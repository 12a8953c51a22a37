"""Keeps one OAuth session per oauth2 profile inside the GUI's asyncio loop.

Each session reads its stored sign-in from the vault (off the UI thread), then a keep-alive task renews
the access token ahead of expiry; after a restart that first renewal is silent, no browser involved.
Changes are coalesced into one `changed` signal for the window.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from PySide6.QtCore import QObject, Signal

from app.coalesce import emit_soon
from app.operations import Operations
from brokers.core.health import NextAction
from brokers.core.profiles import OAuth2Profile, ProfileSet
from brokers.oauth2.health import oauth2_health
from brokers.oauth2.session import OAuthSession
from brokers.oauth2.store import OAuthStore
from brokers.oauth2.transport import new_http_client
from brokers.status import LiveHealth
from brokers.vault import Vault, VaultError

log = logging.getLogger(__name__)


@dataclass
class _Running:
    profile: OAuth2Profile
    session: OAuthSession
    task: asyncio.Task[None] | None = None
    loaded: bool = False


class OAuthSessions(QObject):
    """Starts, renews and stops OAuth sessions; `changed` fires (coalesced) when any of them changes."""

    changed = Signal()

    def __init__(self, vault: Vault, operations: Operations, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._vault = vault
        self._operations = operations
        self._http = new_http_client()
        self._running: dict[str, _Running] = {}
        self._emit_soon = emit_soon(self, self.changed)

    @property
    def http(self) -> httpx.AsyncClient:
        """The client every OAuth request of the window goes through, logins included."""
        return self._http

    def sync(self, profiles: ProfileSet) -> None:
        """Follow the profiles: new oauth2 profiles get a session, removed or changed ones are stopped."""
        wanted = {p.name: p for p in profiles.profiles if isinstance(p, OAuth2Profile)}
        for name, running in list(self._running.items()):
            if wanted.get(name) != running.profile:
                self._stop(name)
        for name, profile in wanted.items():
            if name not in self._running:
                self._start(profile)

    def reload(self, name: str) -> None:
        """The stored sign-in changed (a login finished): read it again and restart the keep-alive."""
        running = self._running.get(name)
        if running is not None:
            self._keep_alive(running, reload=True)

    def session(self, name: str) -> OAuthSession | None:
        running = self._running.get(name)
        return running.session if running else None

    def live_health(self) -> dict[str, LiveHealth]:
        return {
            name: (lambda now, r=running: oauth2_health(r.profile, r.session.facts, now, live=True))
            for name, running in self._running.items()
            if running.loaded
        }

    def act(self, name: str, action: str) -> bool:
        """Retry a failed renewal now; False when `name` has no session or the action is not one of its."""
        running = self._running.get(name)
        if running is None or action != NextAction.RETRY:
            return False
        self._operations.run(running.session.refresh(), lambda _: self._keep_alive(running), self._refresh_failed)
        return True

    def disconnect(self, name: str, done: Callable[[str], None]) -> None:
        """Revoke and wipe; `done(outcome text)` runs on the UI thread."""
        running = self._running.get(name)
        if running is None:
            return
        if running.task is not None:
            running.task.cancel()
            running.task = None
        self._operations.run(running.session.logout(), done)

    async def shutdown(self) -> None:
        for name in list(self._running):
            running = self._running.pop(name)
            if running.task is not None:
                running.task.cancel()
                await asyncio.gather(running.task, return_exceptions=True)
        await self._http.aclose()

    # -- internals -----------------------------------------------------------------------------

    def _start(self, profile: OAuth2Profile) -> None:
        store = OAuthStore(self._vault, profile.name)
        session = OAuthSession(profile, store, self._http, on_change=lambda _facts: self._emit_soon())
        running = _Running(profile, session)
        self._running[profile.name] = running
        self._keep_alive(running, reload=True)

    def _keep_alive(self, running: _Running, *, reload: bool = False) -> None:
        if running.task is not None:
            running.task.cancel()

        async def keep() -> None:
            if reload:
                await running.session.load()
                running.loaded = True
                self._emit_soon()
            await running.session.run()

        running.task = self._operations.run(keep(), lambda _: self._emit_soon(), self._keep_alive_broke)

    def _keep_alive_broke(self, error: BaseException) -> None:
        """OAuth failures end in the session's facts and a vault that cannot be read is already shown by the
        status view (with what to do); anything else is a bug the trader must see."""
        self._emit_soon()
        if isinstance(error, VaultError):
            log.warning("OAuth session stopped: %s", error)
        else:
            self._operations.report(error)

    def _refresh_failed(self, error: BaseException) -> None:
        log.warning("OAuth renewal failed: %s", error)
        self._emit_soon()

    def _stop(self, name: str) -> None:
        running = self._running.pop(name)
        if running.task is not None:
            running.task.cancel()
