"""The browser sign-in in the window: the wait for the browser, a pasted address, and adding a profile.

A sign-in is the connector's (`Connector.sign_in`); this controller runs it and shows it. The system
browser is opened through Qt (never an embedded view, RFC 8252). Only one sign-in runs at a time; the
panel shows its countdown, a browser that could not be opened says so with the manual way at hand, and
every failure stays on screen with Try again until the trader closes it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices

from app.operations import Operations
from app.profile_form import form_fields
from brokers.core.connector import SignedIn, SignInFlow
from brokers.core.errors import BrokerError
from brokers.core.profile_writer import add_profile, validate_profile_table
from brokers.core.profiles import Profile, ProfileSet
from brokers.core.registry import Registry
from brokers.vault import Vault
from widgets.add_profile_dialog import AddProfileDialog
from widgets.main_window import MainWindow
from widgets.paste_url_dialog import PasteUrlDialog
from widgets.view_models import LoginStage, LoginView

log = logging.getLogger(__name__)


def open_in_system_browser(url: str) -> bool:
    return QDesktopServices.openUrl(QUrl(url))


def _sentence(clause: str) -> str:
    """An error's clause ("access was denied…; sign in again") as a sentence on its own line."""
    clause = clause.strip()
    ending = "" if clause.endswith((".", "!", "?", "…")) else "."
    return f"{clause[:1].upper()}{clause[1:]}{ending}"


@dataclass
class _Pending:
    profile: Profile
    view: LoginView
    flow: SignInFlow


class LoginController(QObject):
    """Owns the sign-in under way (at most one); `changed` fires whenever its view changes."""

    changed = Signal()
    connected = Signal(str)  # a profile finished signing in: its stored sign-in changed
    profilesChanged = Signal()  # profiles.toml was written

    def __init__(
        self,
        registry: Registry,
        vault: Vault,
        window: MainWindow,
        operations: Operations,
        profiles: Callable[[], ProfileSet | None],
        profiles_file: Callable[[], Path],
        open_url: Callable[[str], bool] = open_in_system_browser,
    ) -> None:
        super().__init__(window)
        self._registry = registry
        self._vault = vault
        self._window = window
        self._operations = operations
        self._profiles = profiles
        self._profiles_file = profiles_file
        self._open_url = open_url
        self._pending: _Pending | None = None
        self.paste_dialog = PasteUrlDialog(window)
        fields = form_fields(registry.schema.profile_class(AddProfileDialog.KIND))
        self.add_dialog = AddProfileDialog(self._validate, fields, window)

        panel = window.connection_panel
        panel.cancelLoginRequested.connect(self.cancel)
        panel.reopenBrowserRequested.connect(self.reopen)
        panel.pasteUrlRequested.connect(self._open_paste)
        panel.login_wait.retryRequested.connect(self.retry)
        panel.addProfileRequested.connect(self.add_dialog.open_new)
        self.paste_dialog.submitted.connect(self.submit_pasted)
        self.add_dialog.profileSubmitted.connect(self._save_profile)

    @property
    def view(self) -> LoginView | None:
        return self._pending.view if self._pending else None

    def start(self, name: str) -> None:
        """Begin signing `name` in: discovery, the listener, then the system browser."""
        if self._pending is not None and not self._pending.view.ended:
            self._window.show_message("A sign-in is already under way; finish or cancel it first.")
            return
        profiles = self._profiles()
        profile = profiles.get(name) if profiles else None
        if profile is None or not self._registry.of(profile).signs_in:
            self._window.show_message(f"{name} has no browser sign-in.")
            return
        flow = self._registry.of(profile).sign_in(profile, self._vault)
        view = LoginView(
            profile=name,
            label=profile.display_name,
            url="",
            deadline=time.time() + flow.timeout_s,
            redirect_hint=flow.redirect_hint,
            message=f"Contacting {flow.server}…",
            stage=LoginStage.CONTACTING,
        )
        self._pending = pending = _Pending(profile, view, flow)
        self.changed.emit()
        self._operations.run(self._login(pending), lambda _: self._done(pending), self._failure(pending))

    def cancel(self, name: str) -> None:
        pending = self._pending
        if pending is None or pending.profile.name != name:
            return
        if not pending.view.ended:
            pending.flow.cancel()  # finish() ends with a cancellation and closes the listener
        self._pending = None
        self.paste_dialog.close()
        self.changed.emit()

    def reopen(self, name: str) -> None:
        pending = self._pending
        if pending is not None and pending.profile.name == name and pending.view.url and not pending.view.ended:
            self._open(pending, pending.view.url)

    def retry(self, name: str) -> None:
        """Try again: a new sign-in for the profile whose sign-in failed."""
        pending = self._pending
        if pending is not None and pending.profile.name == name and pending.view.ended:
            self.start(name)

    def submit_pasted(self, name: str, text: str) -> None:
        pending = self._pending
        if pending is None or pending.profile.name != name or pending.view.ended:
            self.paste_dialog.show_error("This sign-in has ended, so no address is awaited; start a new sign-in.")
            return
        try:
            pending.flow.submit_pasted(text)
        except BrokerError as exc:
            self.paste_dialog.show_error(str(exc))
            return
        self.paste_dialog.accept()
        self._update(pending, stage=LoginStage.FINISHING, message="Address accepted; fetching the tokens…")

    # -- internals -----------------------------------------------------------------------------

    async def _login(self, pending: _Pending) -> SignedIn:
        flow = pending.flow
        started = await flow.start()
        if self._pending is not pending:  # cancelled while the server was being contacted
            flow.cancel()
            return await flow.finish()
        hint = started.redirect_uri
        self._update(
            pending,
            url=started.url,
            deadline=started.deadline,
            redirect_hint=hint,
            message=started.notice,
            stage=LoginStage.WAITING,
        )
        self._open(pending, started.url)
        return await flow.finish()

    def _open(self, pending: _Pending, url: str) -> None:
        """Ask for the system browser; when none opens, say so and leave the manual way (copy, paste) at hand."""
        try:
            opened = self._open_url(url)
        except Exception as exc:  # whatever the opener raises, the sign-in goes on by hand
            log.warning("Opening the system browser failed: %s", exc)
            problem = f"Opening a browser failed: {str(exc).rstrip('.') or type(exc).__name__}."
        else:
            problem = "" if opened else "The system did not open a browser for the sign-in page."
        if problem:
            self._update(pending, stage=LoginStage.NO_BROWSER, message=problem)
        elif pending.view.stage == LoginStage.NO_BROWSER:
            self._update(pending, stage=LoginStage.WAITING, message="")

    def _done(self, pending: _Pending) -> None:
        if self._pending is pending:
            self._pending = None
            self.paste_dialog.close()
            self.changed.emit()
        log.info("Profile %s signed in", pending.profile.name)
        self._window.show_message(f"Connected {pending.profile.display_name}.")
        self.connected.emit(pending.profile.name)

    def _failure(self, pending: _Pending) -> Callable[[BaseException], None]:
        def failed(error: BaseException) -> None:
            if not isinstance(error, BrokerError):
                self._operations.report(error)
            if self._pending is not pending:
                return  # cancelled: nothing more to say
            log.info("Sign-in for %s ended: %s", pending.profile.name, error)
            self.paste_dialog.close()  # no address is awaited any more
            self._update(pending, stage=LoginStage.FAILED, message=_sentence(str(error)))

        return failed

    def _update(self, pending: _Pending, **changes: Any) -> None:
        pending.view = replace(pending.view, **changes)
        if self._pending is pending:
            self.changed.emit()

    def _open_paste(self, name: str) -> None:
        pending = self._pending
        if pending is not None and pending.profile.name == name:
            self.paste_dialog.open_for(name, pending.view.label, pending.view.redirect_hint)

    def _validate(self, table: dict[str, object]) -> list[tuple[str | None, str]]:
        existing = self._profiles() or ProfileSet()
        schema = self._registry.schema
        return [(error.field, error.message) for error in validate_profile_table(table, existing, schema)]

    def _save_profile(self, table: dict[str, object]) -> None:
        def saved(profile: Profile) -> None:
            self.add_dialog.accept()
            self._window.show_message(f"Added profile {profile.name}; select it and press Connect.")
            self.profilesChanged.emit()

        def failed(error: BaseException) -> None:
            if isinstance(error, BrokerError | OSError):
                self.add_dialog.show_error(str(error))
            else:
                self._operations.report(error)

        path = self._profiles_file()
        schema = self._registry.schema
        self._operations.run_blocking(lambda: add_profile(path, table, schema), saved, failed)
