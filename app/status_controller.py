"""Keeps the connection panel and the health indicator current.

Status is collected off the UI thread (keyring and disk are blocking) and pushed to the window as
plain view data. It refreshes on start, on request, when profiles.toml changes, and every 30 s.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from app.context import AppContext
from app.operations import Operations
from brokers.core.health import SEVERITY, CredentialHealth
from brokers.core.status import StatusReport, collect_status
from brokers.sandbox.endpoints import SandboxEndpoints
from brokers.vault import Vault
from widgets.main_window import MainWindow
from widgets.view_models import CredentialRow, ProfileRow, StatusView

REFRESH_INTERVAL_MS = 30_000


class StatusController(QObject):
    """Collects `StatusReport`s in the background and renders them; `applied` fires after each."""

    applied = Signal()

    def __init__(self, context: AppContext, vault: Vault, window: MainWindow, operations: Operations) -> None:
        super().__init__(window)
        self._context = context
        self._vault = vault
        self._window = window
        self._operations = operations
        self._running = False
        self._again = False

        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_INTERVAL_MS)
        self._timer.timeout.connect(self.refresh)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(300)
        self._debounce.timeout.connect(self.refresh)
        self._watcher = QFileSystemWatcher(self)
        self._watcher.fileChanged.connect(self._on_file_event)
        self._watcher.directoryChanged.connect(self._on_file_event)

        window.connection_panel.reloadRequested.connect(self.refresh)
        window.health_indicator.refreshRequested.connect(self.refresh)

    def start(self) -> None:
        self._watch()
        self._timer.start()
        self.refresh()

    def stop(self) -> None:
        self._timer.stop()
        self._debounce.stop()

    def refresh(self) -> None:
        if self._running:
            self._again = True  # one more pass after the current one, never two at once
            return
        self._running = True
        self._operations.run_blocking(self._collect, self._apply, self._failed)

    def _collect(self) -> tuple[StatusReport, SandboxEndpoints | None]:
        sandbox = self._context.sandbox()
        report = collect_status(self._context.profiles(sandbox), self._vault, sandbox.services if sandbox else None)
        return report, sandbox

    def _apply(self, result: tuple[StatusReport, SandboxEndpoints | None]) -> None:
        report, sandbox = result
        self._window.show_status(status_view(report, sandbox))
        self._window.show_message(f"Status checked at {datetime.now():%H:%M:%S}")
        self._finish()
        self.applied.emit()

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

    def _watch(self) -> None:
        """Watch profiles.toml and its folder (an editor's save may replace the file)."""
        paths = self._context.paths
        wanted = [str(p) for p in (paths.config_dir, paths.profiles_file) if p.exists()]
        missing = [p for p in wanted if p not in self._watcher.files() + self._watcher.directories()]
        if missing:
            self._watcher.addPaths(missing)

    def _on_file_event(self, _path: str) -> None:
        self._debounce.start()


def status_view(report: StatusReport, sandbox: SandboxEndpoints | None) -> StatusView:
    """Map the core's report onto the plain data the widgets render."""
    vault_text = f"Vault: {report.vault.backend}: " + ("OK" if report.vault.ok else report.vault.problem)
    return StatusView(
        profiles=tuple(_profile_row(h) for h in report.health),
        profile_errors=tuple(str(e) for e in report.profile_errors),
        profiles_file=report.profiles_file,
        vault_text=vault_text,
        vault_ok=report.vault.ok,
        sandbox_text=_sandbox_text(sandbox),
        checked_at=f"{datetime.now():%H:%M:%S}",
    )


def _profile_row(health: CredentialHealth) -> ProfileRow:
    return ProfileRow(
        name=health.profile,
        label=health.label or health.profile,
        kind=health.kind,
        origin=f"from {health.origin}",
        state=health.state.value,
        severity=health.severity.value,
        reason=health.reason,
        hint=health.hint,
        expires=_local(health.expires_at),
        credentials=tuple(
            CredentialRow(
                name=item.name,
                state=item.state.value,
                severity=SEVERITY[item.state].value,
                detail=item.detail,
                expires=_local(item.expires_at),
            )
            for item in health.items
        ),
    )


def _sandbox_text(sandbox: SandboxEndpoints | None) -> str:
    if sandbox is None:
        return "Sandbox: not running. Start it with `brokerdeck sandbox` (or use `make run`)."
    services = ", ".join(f"{name} at {url}" for name, url in sandbox.services.items())
    brokers = [name for name in sandbox.services if name != "control"]
    note = "" if brokers else " No broker emulators are in this version yet."
    return f"Sandbox running (seed {sandbox.seed}): {services}.{note}"


def _local(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S") if moment else ""
