"""Keeps the connection panel and the health indicator current.

The vault is inspected off the UI thread (keyring and disk block) on start, on request, when
profiles.toml changes and every 30 s. Between inspections the window is re-rendered from the last
findings and the live IBKR sessions once a second, so countdowns move without any I/O.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal
from PySide6.QtGui import QGuiApplication

from app.context import AppContext
from app.ibkr_sessions import IbkrSessions
from app.login_controller import LoginController, open_in_system_browser
from app.oauth_sessions import OAuthSessions
from app.operations import Operations
from brokers.core.health import SEVERITY, ConnectionState, CredentialHealth, NextAction
from brokers.core.profiles import ProfileKind, ProfileSet
from brokers.core.timefmt import countdown
from brokers.sandbox.endpoints import SandboxEndpoints
from brokers.status import StatusReport, VaultFindings, build_report, inspect_vault
from brokers.vault import Vault
from widgets.main_window import MainWindow
from widgets.view_models import CredentialRow, LoginView, ProfileRow, StatusView

REFRESH_INTERVAL_MS = 30_000
RENDER_INTERVAL_MS = 1_000

#: buttons for the actions the window can carry out itself
ACTION_LABELS = {
    NextAction.CONNECT: "Connect",
    NextAction.RETRY: "Retry now",
    NextAction.RECONNECT: "Reconnect",
    NextAction.TAKE_OVER: "Take over session",
    NextAction.SETUP_KEYS: "Copy setup command",
}


@dataclass(frozen=True)
class _Inspection:
    profiles: ProfileSet
    findings: VaultFindings
    sandbox: SandboxEndpoints | None
    at: datetime


class StatusController(QObject):
    """Collects vault findings in the background and renders them; `applied` fires after each render."""

    applied = Signal()

    def __init__(
        self,
        context: AppContext,
        vault: Vault,
        window: MainWindow,
        operations: Operations,
        open_url: Callable[[str], bool] = open_in_system_browser,
    ) -> None:
        super().__init__(window)
        self._context = context
        self._vault = vault
        self._window = window
        self._operations = operations
        self._running = False
        self._again = False
        self._stopped = False
        self._last: _Inspection | None = None
        self._shown: StatusView | None = None
        self.sessions = IbkrSessions(context, vault, operations, self)
        self.sessions.changed.connect(self.render)
        self.sessions.credentialsStored.connect(self.refresh)
        self.oauth = OAuthSessions(vault, operations, self)
        self.oauth.changed.connect(self.render)
        self.login = LoginController(
            vault,
            window,
            operations,
            self.oauth,
            profiles=lambda: self._last.profiles if self._last else None,
            profiles_file=lambda: context.paths.profiles_file,
            open_url=open_url,
        )
        self.login.changed.connect(self.render)
        self.login.connected.connect(self._on_signed_in)
        self.login.profilesChanged.connect(self.refresh)

        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_INTERVAL_MS)
        self._timer.timeout.connect(self.refresh)
        self._ticker = QTimer(self)
        self._ticker.setInterval(RENDER_INTERVAL_MS)
        self._ticker.timeout.connect(self.render)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(300)
        self._debounce.timeout.connect(self.refresh)
        self._watcher = QFileSystemWatcher(self)
        self._watcher.fileChanged.connect(self._on_file_event)
        self._watcher.directoryChanged.connect(self._on_file_event)

        window.connection_panel.reloadRequested.connect(self.refresh)
        window.health_indicator.refreshRequested.connect(self.refresh)
        window.health_indicator.actionRequested.connect(self._on_action)

    def start(self) -> None:
        self._watch()
        self._timer.start()
        self._ticker.start()
        self.refresh()

    async def stop(self) -> None:
        self._stopped = True
        watched = self._watcher.files() + self._watcher.directories()
        if watched:
            self._watcher.removePaths(watched)
        self._timer.stop()
        self._ticker.stop()
        self._debounce.stop()
        await self.sessions.shutdown()
        await self.oauth.shutdown()

    def refresh(self) -> None:
        if self._stopped:
            return
        if self._running:
            self._again = True  # one more pass after the current one, never two at once
            return
        self._running = True
        self._operations.run_blocking(self._inspect, self._inspected, self._failed)

    def render(self) -> None:
        """Render the last inspection with the sessions' current state, if the picture changed. No I/O."""
        if self._last is None:
            return
        last = self._last
        services = last.sandbox.services if last.sandbox else None
        live = {**self.sessions.live_health(), **self.oauth.live_health()}
        report = build_report(last.profiles, last.findings, live, time.time(), services)
        view = status_view(report, last.sandbox, last.at, self.login.view)
        if view == self._shown:
            return  # nothing moved (no live countdown): the 1 Hz ticker costs nothing
        self._shown = view
        self._window.show_status(view)
        self.applied.emit()

    # -- internals -----------------------------------------------------------------------------

    def _inspect(self) -> _Inspection:
        sandbox = self._context.sandbox()
        profiles = self._context.profiles(sandbox)
        return _Inspection(profiles, inspect_vault(profiles, self._vault), sandbox, datetime.now())

    def _inspected(self, inspection: _Inspection) -> None:
        self._last = inspection
        self.sessions.sync(inspection.profiles, inspection.sandbox)
        self.oauth.sync(inspection.profiles)
        self._shown = None  # a new inspection is always shown, so `applied` follows every refresh
        self._finish()
        self.render()

    def _failed(self, error: BaseException) -> None:
        self._window.show_message(f"Could not check status: {error}")
        self._finish()
        self._operations.report(error)

    def _finish(self) -> None:
        self._running = False
        self._watch()
        if self._again:
            self._again = False
            self.refresh()

    def _on_signed_in(self, profile: str) -> None:
        self.oauth.reload(profile)
        self.refresh()  # the vault's entries changed too

    def _on_action(self, profile: str, action: str) -> None:
        known = self._last.profiles.get(profile) if self._last else None
        signs_in = known is not None and known.kind == ProfileKind.OAUTH2
        if signs_in and action in (NextAction.CONNECT, NextAction.RECONNECT):
            self.login.start(profile)
        elif self.oauth.act(profile, action):
            self._window.show_message(f"Renewing the access token of {profile}…")
        elif action == NextAction.SETUP_KEYS:
            command = f"brokerdeck keys init {profile}"
            QGuiApplication.clipboard().setText(command)
            self._window.show_message(f"Copied `{command}`: run it in a terminal to set up the keys.")
        elif self.sessions.act(profile, action):
            self._window.show_message(f"{ACTION_LABELS.get(NextAction(action), action)}: {profile}")

    def _watch(self) -> None:
        """Watch profiles.toml and its folder (an editor's save may replace the file)."""
        paths = self._context.paths
        wanted = [str(p) for p in (paths.config_dir, paths.profiles_file) if p.exists()]
        missing = [p for p in wanted if p not in self._watcher.files() + self._watcher.directories()]
        if missing:
            self._watcher.addPaths(missing)

    def _on_file_event(self, _path: str) -> None:
        self._debounce.start()


def status_view(
    report: StatusReport, sandbox: SandboxEndpoints | None, checked_at: datetime, login: LoginView | None = None
) -> StatusView:
    """Map the core's report onto the plain data the widgets render."""
    vault_text = f"Vault: {report.vault.backend}: " + ("OK" if report.vault.ok else report.vault.problem)
    return StatusView(
        profiles=tuple(_profile_row(h) for h in report.health),
        profile_errors=tuple(str(e) for e in report.profile_errors),
        profiles_file=report.profiles_file,
        vault_text=vault_text,
        vault_ok=report.vault.ok,
        sandbox_text=_sandbox_text(sandbox),
        checked_at=f"{checked_at:%H:%M:%S}",
        login=login,
    )


def _profile_row(health: CredentialHealth) -> ProfileRow:
    now = datetime.now().astimezone()
    return ProfileRow(
        name=health.profile,
        label=health.label or health.profile,
        kind=health.kind,
        origin=f"from {health.origin}",
        state=health.state.value,
        severity=health.severity.value,
        reason=health.reason,
        hint=health.hint,
        expires=countdown(health.expires_at, now),
        action=health.next_action.value if health.next_action in ACTION_LABELS else "",
        action_label=ACTION_LABELS.get(health.next_action, ""),
        connect_actions=_connect_actions(health),
        credentials=tuple(
            CredentialRow(
                name=item.name,
                state=item.state.value,
                severity=SEVERITY[item.state].value,
                detail=item.detail,
                expires=countdown(item.expires_at, now),
            )
            for item in health.items
        ),
    )


def _connect_actions(health: CredentialHealth) -> tuple[str, ...]:
    if health.kind != ProfileKind.OAUTH2:
        return ()
    if health.state == ConnectionState.PENDING:
        return ("connect",)
    return ("reconnect", "disconnect")


def _sandbox_text(sandbox: SandboxEndpoints | None) -> str:
    if sandbox is None:
        return "Sandbox: not running. Start it with `brokerdeck sandbox` (or use `make run`)."
    services = ", ".join(f"{name} at {url}" for name, url in sandbox.services.items())
    brokers = [name for name in sandbox.services if name != "control"]
    note = "" if brokers else " No broker emulators are in this version yet."
    return f"Sandbox running (seed {sandbox.seed}): {services}.{note}"
