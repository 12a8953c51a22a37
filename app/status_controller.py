"""Keeps the connection panel and the health indicator current, and carries out the trader's actions.

The vault is inspected off the UI thread (keyring and disk block) on start, on request, when
profiles.toml changes and every 30 s. Every running session proves its credential with the broker
(a probe) about once a minute, every five minutes while the window is minimised, and at once on
Check now. The credential check (key ages against the rotation policy, sign-in horizons, certificates) runs
off the UI thread after the first inspection, every four hours, on Check now and whenever an inspection finds
the vault changed. Between inspections the window is re-rendered from the last findings, the last check and
the live sessions once a second, so countdowns move without any I/O. Each button comes from the profile's
connector (an `ActionOffer`), and a click is routed by the offer's route.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal
from PySide6.QtGui import QGuiApplication

from app.account_rows import accounts_view
from app.context import AppContext
from app.login_controller import LoginController, open_in_system_browser
from app.operations import Operations
from app.sandbox import SandboxEndpoints
from app.session_bridge import SessionBridge
from brokers.core.accounts import AccountsReport
from brokers.core.actions import ActionOffer, ActionRoute, NextAction
from brokers.core.errors import BrokerError
from brokers.core.health import SEVERITY, CredentialHealth
from brokers.core.profiles import Profile, ProfileSet
from brokers.core.timefmt import countdown
from brokers.health.credential_check import CredentialCheck, check_credentials
from brokers.health.report import StatusReport, VaultFindings, build_report, inspect_vault
from brokers.vault import Vault, VaultError
from widgets.main_window import MainWindow
from widgets.view_models import CredentialRow, LoginView, ProfileRow, StatusView

REFRESH_INTERVAL_MS = 30_000
RENDER_INTERVAL_MS = 1_000
PROBE_INTERVAL_S = 60.0
PROBE_INTERVAL_MINIMISED_S = 300.0
# Key ages change by the day: a few credential checks a day keep "due in N days" true.
CREDENTIAL_CHECK_INTERVAL_MS = 4 * 60 * 60 * 1000
_CONNECT_ACTIONS = (NextAction.CONNECT, NextAction.RECONNECT)


@dataclass(frozen=True)
class _Inspection:
    profiles: ProfileSet
    findings: VaultFindings
    sandbox: SandboxEndpoints | None
    at: datetime


class StatusController(QObject):
    """Collects vault findings in the background and renders them; `applied` fires after each render."""

    applied = Signal()
    credentialsChecked = Signal()  # a credential check finished (its notes are rendered)
    rotationRequested = Signal(str)  # profile: open the rotation wizard for it (the window connects the wizard)

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
        self._offers: dict[str, tuple[ActionOffer, ...]] = {}
        self._check: CredentialCheck | None = None
        self._checking = False
        self._check_wanted = False
        self.sessions = SessionBridge(context.registry, vault, context.paths.data_dir, operations, self)
        self.sessions.changed.connect(self.render)
        self.sessions.vaultChanged.connect(self.refresh)
        self.login = LoginController(
            context.registry,
            vault,
            window,
            operations,
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
        self._ticker.timeout.connect(self._probe_when_due)
        self._check_timer = QTimer(self)
        self._check_timer.timeout.connect(self.check_credentials)
        self._probed_at = time.monotonic()
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(300)
        self._debounce.timeout.connect(self.refresh)
        self._watcher = QFileSystemWatcher(self)
        self._watcher.fileChanged.connect(self._on_file_event)
        self._watcher.directoryChanged.connect(self._on_file_event)

        panel = window.connection_panel
        panel.reloadRequested.connect(self.refresh)
        panel.connectRequested.connect(self._on_connect)
        panel.disconnectRequested.connect(lambda name: self.perform(name, NextAction.DISCONNECT))
        window.health_indicator.refreshRequested.connect(self.check_now)
        window.health_indicator.actionRequested.connect(self.perform)

    def start(self) -> None:
        self._watch()
        self._timer.start()
        self._ticker.start()
        self._check_timer.start(CREDENTIAL_CHECK_INTERVAL_MS)
        self.refresh()  # the first inspection runs the first credential check

    async def stop(self) -> None:
        self._stopped = True
        watched = self._watcher.files() + self._watcher.directories()
        if watched:
            self._watcher.removePaths(watched)
        self._timer.stop()
        self._ticker.stop()
        self._check_timer.stop()
        self._debounce.stop()
        await self.sessions.shutdown()

    def refresh(self) -> None:
        if self._stopped:
            return
        if self._running:
            self._again = True  # one more pass after the current one, never two at once
            return
        self._running = True
        self._operations.run_blocking(self._inspect, self._inspected, self._failed)

    def profiles(self) -> tuple[Profile, ...]:
        """The profiles of the last inspection (none before the first)."""
        return self._last.profiles.profiles if self._last is not None else ()

    def check_now(self) -> None:
        """Check now: inspect the vault, check the credentials and ask every running session to prove its
        credential with the broker."""
        self.check_credentials()
        self._probe()

    def check_credentials(self) -> None:
        """Run the credential check on a fresh inspection of the vault (the schedule, Check now)."""
        self._check_wanted = True
        self.refresh()

    def render(self) -> None:
        """Render the last inspection with the sessions' current state, if the picture changed. No I/O."""
        if self._last is None:
            return
        last = self._last
        services = last.sandbox.services if last.sandbox else None
        live = self.sessions.live_health()
        report = build_report(
            last.profiles,
            last.findings,
            live,
            time.time(),
            services,
            self._context.registry,
            self.sessions.accounts(),
            self._check,
        )
        self._offers = report.offers
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
        if self._last is not None:  # a file left unreadable mid-edit keeps the profiles and their sessions
            profiles = profiles.keeping_if_unreadable(self._last.profiles)
        findings = inspect_vault(profiles, self._vault, self._context.registry)
        return _Inspection(profiles, findings, sandbox, datetime.now())

    def _inspected(self, inspection: _Inspection) -> None:
        if self._stopped:
            return  # the window is closing: nothing may start now
        self._last = inspection
        self.sessions.sync(inspection.profiles, inspection.sandbox)
        self._shown = None  # a new inspection is always shown, so `applied` follows every refresh
        self._finish()
        self._check_when_due(inspection)
        self.render()

    def _check_when_due(self, inspection: _Inspection) -> None:
        """The credential check, off the UI thread: when asked, and when the vault holds other entries (or other
        versions of them) than at the last check, so a rotation or a new sign-in is seen at once."""
        stale = self._check is None or not self._check.matches(inspection.findings.checks)
        if self._checking or not (stale or self._check_wanted):
            return  # a check under way: the next inspection runs the one asked for
        self._check_wanted = False
        self._checking = True
        findings, registry = inspection.findings, self._context.registry

        def work() -> CredentialCheck:
            ready = frozenset(findings.stored)
            return check_credentials(inspection.profiles, findings.checks, ready, self._vault, registry)

        self._operations.run_blocking(work, self._checked, self._check_failed)

    def _checked(self, check: CredentialCheck) -> None:
        self._checking = False
        if not self._stopped:
            self._check = check
            self.render()
            self.credentialsChecked.emit()

    def _check_failed(self, error: BaseException) -> None:
        self._checking = False
        if not isinstance(error, VaultError):  # the vault's own problems show in its inspection
            self._operations.report(error)

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

    def perform(self, name: str, action: str) -> None:
        """Carry out `action` for profile `name` the way its connector offers it; nothing when it offers none."""
        offer = next((o for o in self._offers.get(name, ()) if o.action == action), None)
        if offer is None:
            return
        if offer.route == ActionRoute.SIGN_IN:
            self.login.start(name)
        elif offer.route == ActionRoute.SIGN_OUT:
            self._sign_out(name)
        elif offer.route == ActionRoute.ROTATION:
            self.rotationRequested.emit(name)
        elif offer.route == ActionRoute.COMMAND:
            QGuiApplication.clipboard().setText(offer.command)
            self._window.show_message(f"Copied `{offer.command}`: run it in a terminal.")
        else:
            message = self.sessions.act(name, offer.action)
            if message:
                self._window.show_message(message)

    def _on_connect(self, name: str) -> None:
        """The panel's Connect or Reconnect: whichever the connector offers now."""
        offers = self._offers.get(name, ())
        offer = next((o for o in offers if o.panel and o.action in _CONNECT_ACTIONS), None)
        if offer is not None:
            self.perform(name, offer.action)

    def _sign_out(self, name: str) -> None:
        profile = self._last.profiles.get(name) if self._last else None
        if profile is None:
            return

        def done(outcome: str) -> None:
            self._window.show_message(f"Disconnected {name}: {outcome}.")
            self.refresh()  # the vault's entries changed

        def failed(error: BaseException) -> None:
            self.refresh()
            if not isinstance(error, BrokerError):
                self._operations.report(error)
                return
            self._window.show_message(f"Could not disconnect {name}: {error}")

        self.sessions.sign_out(profile, done, failed)

    def _on_signed_in(self, profile: str) -> None:
        self.sessions.restart(profile)
        self.refresh()  # the vault's entries changed too

    def _watch(self) -> None:
        """Watch profiles.toml and its folder (an editor's save may replace the file)."""
        paths = self._context.paths
        wanted = [str(p) for p in (paths.config_dir, paths.profiles_file) if p.exists()]
        missing = [p for p in wanted if p not in self._watcher.files() + self._watcher.directories()]
        if missing:
            self._watcher.addPaths(missing)

    def _probe_when_due(self) -> None:
        interval = PROBE_INTERVAL_MINIMISED_S if self._window.isMinimized() else PROBE_INTERVAL_S
        if time.monotonic() - self._probed_at >= interval:
            self._probe()

    def _probe(self) -> None:
        self._probed_at = time.monotonic()
        if not self._stopped:
            self.sessions.probe()

    def _on_file_event(self, _path: str) -> None:
        self._debounce.start()


def status_view(
    report: StatusReport, sandbox: SandboxEndpoints | None, checked_at: datetime, login: LoginView | None = None
) -> StatusView:
    """Map the core's report onto the plain data the widgets render."""
    vault_text = f"Vault: {report.vault.backend}: " + ("OK" if report.vault.ok else report.vault.problem)
    return StatusView(
        profiles=tuple(
            _profile_row(h, report.offers.get(h.profile, ()), report.accounts.get(h.profile)) for h in report.health
        ),
        profile_errors=tuple(str(e) for e in report.profile_errors),
        profiles_file=report.profiles_file,
        vault_text=vault_text,
        vault_ok=report.vault.ok,
        sandbox_text=_sandbox_text(sandbox),
        checked_at=f"{checked_at:%H:%M:%S}",
        login=login,
    )


def _profile_row(
    health: CredentialHealth, offers: tuple[ActionOffer, ...], accounts: AccountsReport | None
) -> ProfileRow:
    now = datetime.now().astimezone()
    fix = next((o for o in offers if o.action == health.next_action), None)
    return ProfileRow(
        name=health.profile,
        label=health.label or health.profile,
        kind=health.kind,
        origin=f"from {health.origin}",
        state=health.state.label,
        severity=health.severity.value,
        reason=health.reason,
        hint=health.hint,
        expires=countdown(health.expires_at, now),
        action=fix.action.value if fix else "",
        action_label=fix.label if fix else "",
        action_tooltip=fix.tooltip if fix else "",
        connect_actions=tuple(o.action.value for o in offers if o.panel),
        credentials=tuple(
            CredentialRow(
                name=item.name,
                state=item.state.label,
                severity=SEVERITY[item.state].value,
                detail=item.detail,
                expires=countdown(item.expires_at, now),
            )
            for item in health.items
        ),
        accounts=accounts_view(accounts, now) if accounts is not None else None,
    )


def _sandbox_text(sandbox: SandboxEndpoints | None) -> str:
    if sandbox is None:
        return "Sandbox: not running. Start it with `brokerdeck sandbox` (or use `make run`)."
    services = ", ".join(f"{name} at {url}" for name, url in sandbox.services.items())
    brokers = [name for name in sandbox.services if name != "control"]
    note = "" if brokers else " No broker emulators are in this version yet."
    return f"Sandbox running (seed {sandbox.seed}): {services}.{note}"
