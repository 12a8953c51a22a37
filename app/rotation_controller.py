"""The rotation wizard in the window: runs a profile's rotation steps off the UI thread and shows them.

A rotation is the connector's (`rotation_*`, `archived_sets`, `restore_archived`); this controller only
runs those through the one operations helper, feeds their progress lines and outcomes to the wizard, and
keeps the menu's "Rotate keys…" enabled for exactly the profiles whose connectors rotate. One step runs
at a time; its result is shown even when the wizard was closed while it ran. The values the trader typed
live only as long as the step that uses them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from app.operations import Operations
from app.rotation_rows import (
    archived_at,
    discarded_result,
    failed_result,
    restored_result,
    rotation_view,
    switched_result,
)
from app.status_controller import StatusController
from brokers.core.connector import Connector, NotOffered
from brokers.core.errors import BrokerError
from brokers.core.profiles import Profile
from brokers.core.registry import Registry
from brokers.core.rotation import ArchivedSet, RotationStatus
from brokers.vault import Vault
from widgets.main_window import MainWindow
from widgets.rotation_view_models import RotationView, WizardPage
from widgets.rotation_wizard import RotationWizard

log = logging.getLogger(__name__)

UNEXPECTED = "An unexpected error stopped this step; the error report has the details."


@dataclass(frozen=True)
class _Journal:
    """What the wizard needs from the vault: the journal and the archived sets."""

    status: RotationStatus
    archives: tuple[ArchivedSet, ...]


class RotationController(QObject):
    credentialsChanged = Signal(str)  # a step ended that may have changed a profile's active set
    progressed = Signal(str)  # a step's progress line; a signal, so a line from a worker thread is queued

    def __init__(
        self,
        registry: Registry,
        vault: Vault,
        window: MainWindow,
        operations: Operations,
        profiles: Callable[[], Sequence[Profile]],
    ) -> None:
        super().__init__(window)
        self._registry = registry
        self._vault = vault
        self._window = window
        self._operations = operations
        self._profiles = profiles
        self._profile: Profile | None = None  # the profile the wizard shows
        self._archives: tuple[ArchivedSet, ...] = ()
        self._step: asyncio.Task[None] | None = None
        self.wizard = RotationWizard(window)
        self.wizard.startRequested.connect(self.start)
        self.wizard.confirmRequested.connect(self.confirm)
        self.wizard.resumeRequested.connect(self.resume)
        self.wizard.abortRequested.connect(self.abort)
        self.wizard.restoreRequested.connect(self.restore)
        self.progressed.connect(self.wizard.add_progress)
        window.rotate_keys_action.requested.connect(self.open)

    def follow(self, status: StatusController) -> None:
        """Work with the window's status: its rotation offers open the wizard, every render brings the menu up to
        date, and a step that may have changed the active set has the vault inspected again (which is how a
        running session learns of a switch and moves to the new set)."""
        status.rotationRequested.connect(self.open)
        status.applied.connect(self.sync_menu)
        self.credentialsChanged.connect(lambda _name: status.refresh())

    @property
    def running(self) -> bool:
        return self._step is not None and not self._step.done()

    def sync_menu(self) -> None:
        """Offer "Rotate keys…" for the profiles whose connectors rotate (after every status render)."""
        names = (p.name for p in self._profiles() if self._registry.of(p).rotates)
        self._window.rotate_keys_action.show_rotating(names)

    def open(self, name: str) -> None:
        """Open the wizard on `name`, at the step its journal is at."""
        current = self._profile
        if self.running and current is not None:
            if current.name != name:
                self._window.show_message(f"A rotation step of {current.name} is running; wait until it ends.")
            self._present()
            return
        profile = next((p for p in self._profiles() if p.name == name), None)
        if profile is None or not self._registry.of(profile).rotates:
            self._window.show_message(f"{name} has no credentials to rotate by hand.")
            return

        def failed(error: BaseException) -> None:
            if not isinstance(error, BrokerError):
                self._operations.report(error)
            self._window.show_message(f"Could not read the rotation of {name}: {error}")

        def opened(journal: _Journal) -> None:
            self._profile = profile
            self.wizard.open_for(self._view(profile, journal))

        self._step = self._operations.run_blocking(lambda: self._read(profile), opened, failed)

    def start(self, name: str, new_dh: bool) -> None:
        profile = self._wizard_profile(name)
        if profile is None:
            return
        self.wizard.show_busy(WizardPage.START, "Making new credentials beside the active set…")
        work = self._connector(profile).rotation_start(profile, self._vault, self.progressed.emit, new_dh=new_dh)

        def started(status: RotationStatus) -> None:
            self.wizard.show_view(rotation_view(profile, status, self._archives))
            self._present()

        self._run(work, started, self._refused(profile))

    def confirm(self, name: str, answers: dict[str, str]) -> None:
        self._prove(name, answers, "Proving the new credentials with the broker…")

    def resume(self, name: str) -> None:
        self._prove(name, {}, "Carrying on the step that was cut off…")

    def abort(self, name: str) -> None:
        profile = self._wizard_profile(name)
        if profile is None:
            return
        self.wizard.show_busy(self.wizard.page, "Discarding the new credentials…")

        def discard() -> _Journal:
            self._connector(profile).rotation_abort(profile, self._vault)
            return self._read(profile)

        def discarded(journal: _Journal) -> None:
            self.wizard.show_result(discarded_result(), self._view(profile, journal))
            self._present()

        self._step = self._operations.run_blocking(discard, discarded, self._refused(profile))

    def restore(self, name: str, archive_id: str) -> None:
        profile = self._wizard_profile(name)
        if profile is None:
            return
        archive = next((a for a in self._archives if a.archive_id == archive_id), None)
        when = f" archived {archived_at(archive.archived_at)}" if archive is not None else ""
        self.wizard.show_busy(WizardPage.PROVING, f"Proving the set{when} with the broker…")
        work = self._connector(profile).restore_archived(profile, self._vault, archive_id, self.progressed.emit)

        def restored(sentence: str) -> None:
            self.credentialsChanged.emit(profile.name)
            self._reread(profile, lambda journal, view: self.wizard.show_result(restored_result(sentence), view))

        def not_restored(error: BaseException) -> None:
            self.credentialsChanged.emit(profile.name)
            self._refused(profile, prefix="The archived set was not restored: ")(error)

        self._run(work, restored, not_restored)

    # -- internals -----------------------------------------------------------------------------

    def _prove(self, name: str, answers: dict[str, str], first_line: str) -> None:
        """Confirm (or resume): prove, then switch; the connector rolls back on failure."""
        profile = self._wizard_profile(name)
        if profile is None:
            return
        self.wizard.show_busy(WizardPage.PROVING, first_line)
        work = self._connector(profile).rotation_confirm(profile, self._vault, answers, self.progressed.emit)
        entered = bool(answers)  # the callbacks keep only this, never what was typed

        def switched(status: RotationStatus) -> None:
            self.credentialsChanged.emit(profile.name)
            self._reread(profile, lambda journal, view: self.wizard.show_result(switched_result(status), view))

        def failed(error: BaseException) -> None:
            self.credentialsChanged.emit(profile.name)
            if not isinstance(error, BrokerError):
                self._operations.report(error)

            def show(journal: _Journal, view: RotationView) -> None:
                result = failed_result(error, journal.status) if isinstance(error, BrokerError) else None
                if result is not None:
                    self.wizard.show_result(result, view)
                else:  # refused before any proof (a mistake in what was entered): back where it was entered
                    self.wizard.show_view(view)
                    back_to = WizardPage.PASTE if entered and view.page != WizardPage.START else None
                    self.wizard.show_error(str(error) if isinstance(error, BrokerError) else UNEXPECTED, back_to)

            self._reread(profile, show)

        self._run(work, switched, failed)

    def _run[T](self, work: Awaitable[T], done: Callable[[T], None], failed: Callable[[BaseException], None]) -> None:
        self._step = self._operations.run(work, done, failed)

    def _reread(self, profile: Profile, show: Callable[[_Journal, RotationView], None]) -> None:
        """Read the journal and the archives again (a step changed them), then show them."""

        def read(journal: _Journal) -> None:
            show(journal, self._view(profile, journal))
            self._present()

        self._step = self._operations.run_blocking(lambda: self._read(profile), read, self._refused(profile))

    def _refused(self, profile: Profile, prefix: str = "") -> Callable[[BaseException], None]:
        """A step that could not run: say why where the wizard is (an unexpected error is also reported)."""

        def refused(error: BaseException) -> None:
            if not isinstance(error, BrokerError):
                self._operations.report(error)
            if self._profile is profile:
                self.wizard.show_error(prefix + str(error) if isinstance(error, BrokerError) else UNEXPECTED)
                self._present()

        return refused

    def _read(self, profile: Profile) -> _Journal:
        """Blocking (the vault): the journal and the archived sets; a connector without archives has none."""
        connector = self._connector(profile)
        status = connector.rotation_status(profile, self._vault)
        try:
            archives = connector.archived_sets(profile, self._vault)
        except NotOffered:
            archives = ()
        return _Journal(status, tuple(archives))

    def _view(self, profile: Profile, journal: _Journal) -> RotationView:
        self._archives = journal.archives
        return rotation_view(profile, journal.status, journal.archives)

    def _wizard_profile(self, name: str) -> Profile | None:
        """The profile the wizard shows, when it is `name` and no other step runs."""
        profile = self._profile
        if profile is None or profile.name != name or self.running:
            return None
        return profile

    def _connector(self, profile: Profile) -> Connector[Profile]:
        return self._registry.of(profile)

    def _present(self) -> None:
        """Bring the wizard back with what just happened, even if it was closed while the step ran."""
        self.wizard.show()
        self.wizard.raise_()
