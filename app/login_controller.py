"""Connects the connection panel to the OAuth engine: Connect, the wait for the browser, paste, Disconnect.

The system browser is opened through Qt (never an embedded view, RFC 8252). Only one sign-in runs at a
time; the panel shows its countdown, and every failure stays on screen with what to do next until the
trader closes it.
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

from app.oauth_sessions import OAuthSessions
from app.operations import Operations
from brokers.core.profile_writer import ProfileWriteError, add_profile, validate_profile_table
from brokers.core.profiles import OAuth2Profile, Profile, ProfileSet
from brokers.oauth2.errors import OAuthError
from brokers.oauth2.login import LOGIN_TIMEOUT_S, LoginFlow, callback_path
from brokers.oauth2.store import OAuthStore
from brokers.oauth2.tokens import TokenSet
from brokers.vault import Vault, VaultError
from widgets.add_profile_dialog import AddProfileDialog
from widgets.main_window import MainWindow
from widgets.paste_url_dialog import PasteUrlDialog
from widgets.view_models import LoginView

log = logging.getLogger(__name__)


def open_in_system_browser(url: str) -> bool:
    return QDesktopServices.openUrl(QUrl(url))


@dataclass
class _Pending:
    profile: OAuth2Profile
    view: LoginView
    flow: LoginFlow | None = None


class LoginController(QObject):
    """Owns the sign-in under way (at most one); `changed` fires whenever its view changes."""

    changed = Signal()
    connected = Signal(str)  # a profile finished signing in: its stored sign-in changed
    profilesChanged = Signal()  # profiles.toml was written

    def __init__(
        self,
        vault: Vault,
        window: MainWindow,
        operations: Operations,
        sessions: OAuthSessions,
        profiles: Callable[[], ProfileSet | None],
        profiles_file: Callable[[], Path],
        open_url: Callable[[str], bool] = open_in_system_browser,
    ) -> None:
        super().__init__(window)
        self._vault = vault
        self._window = window
        self._operations = operations
        self._sessions = sessions
        self._profiles = profiles
        self._profiles_file = profiles_file
        self._open_url = open_url
        self._pending: _Pending | None = None
        self.paste_dialog = PasteUrlDialog(window)
        self.add_dialog = AddProfileDialog(self._validate, window)

        panel = window.connection_panel
        panel.connectRequested.connect(self.start)
        panel.disconnectRequested.connect(self.disconnect)
        panel.cancelLoginRequested.connect(self.cancel)
        panel.reopenBrowserRequested.connect(self.reopen)
        panel.pasteUrlRequested.connect(self._open_paste)
        panel.addProfileRequested.connect(self.add_dialog.open_new)
        self.paste_dialog.submitted.connect(self.submit_pasted)
        self.add_dialog.profileSubmitted.connect(self._save_profile)

    @property
    def view(self) -> LoginView | None:
        return self._pending.view if self._pending else None

    def start(self, name: str) -> None:
        """Begin signing `name` in: discovery, the listener, then the system browser."""
        if self._pending is not None and not self._pending.view.failed:
            self._window.show_message("A sign-in is already under way; finish or cancel it first.")
            return
        profile = self._profile(name)
        if profile is None:
            self._window.show_message(f"{name} is not an OAuth profile; it has no browser sign-in.")
            return
        view = LoginView(
            profile=name,
            label=profile.display_name,
            url="",
            deadline=time.time() + LOGIN_TIMEOUT_S,
            redirect_hint=f"http://127.0.0.1:…{callback_path(name)}",
            message=f"Contacting {profile.issuer}…",
        )
        self._pending = pending = _Pending(profile, view)
        self.changed.emit()
        self._operations.run(self._login(pending), lambda tokens: self._done(pending, tokens), self._failure(pending))

    def cancel(self, name: str) -> None:
        pending = self._pending
        if pending is None or pending.profile.name != name:
            return
        if pending.flow is not None and not pending.view.failed:
            pending.flow.cancel()  # finish() ends with LoginCancelled and closes the listener
        self._pending = None
        self.paste_dialog.close()
        self.changed.emit()

    def reopen(self, name: str) -> None:
        pending = self._pending
        if pending is not None and pending.profile.name == name and pending.view.url:
            self._open(pending.view.url)

    def submit_pasted(self, name: str, text: str) -> None:
        pending = self._pending
        if pending is None or pending.flow is None or pending.profile.name != name or pending.view.failed:
            self.paste_dialog.show_error("No sign-in is waiting for this address any more; press Connect again.")
            return
        try:
            pending.flow.submit_pasted(text)
        except OAuthError as exc:
            self.paste_dialog.show_error(str(exc))
            return
        self.paste_dialog.accept()
        self._update(pending, message="Address accepted; finishing the sign-in…")

    def disconnect(self, name: str) -> None:
        def done(outcome: str) -> None:
            self._window.show_message(f"Disconnected {name}: {outcome}.")
            self.connected.emit(name)

        if self._sessions.session(name) is None:
            self._window.show_message(f"{name} has no OAuth session to disconnect.")
            return
        self._sessions.disconnect(name, done)

    # -- internals -----------------------------------------------------------------------------

    async def _login(self, pending: _Pending) -> TokenSet:
        flow = LoginFlow(pending.profile, OAuthStore(self._vault, pending.profile.name), self._sessions.http)
        pending.flow = flow
        started = await flow.start()
        if self._pending is not pending:  # cancelled while the server was being contacted
            flow.cancel()
            return await flow.finish()
        hint = started.redirect_uri
        self._update(pending, url=started.url, deadline=started.deadline, redirect_hint=hint, message="")
        self._open(started.url)
        return await flow.finish()

    def _open(self, url: str) -> None:
        if not self._open_url(url):
            pending = self._pending
            if pending is not None:
                self._update(pending, message="No browser could be opened: use Copy link and open it yourself.")

    def _done(self, pending: _Pending, tokens: TokenSet) -> None:
        if self._pending is pending:
            self._pending = None
            self.paste_dialog.close()
            self.changed.emit()
        log.info("OAuth profile %s signed in", pending.profile.name)
        self._window.show_message(f"Connected {pending.profile.display_name}.")
        self.connected.emit(pending.profile.name)

    def _failure(self, pending: _Pending) -> Callable[[BaseException], None]:
        def failed(error: BaseException) -> None:
            if not isinstance(error, OAuthError | VaultError):
                self._operations.report(error)
            if self._pending is not pending:
                return  # cancelled: nothing more to say
            log.info("OAuth sign-in for %s ended: %s", pending.profile.name, error)
            self._update(pending, message=str(error), failed=True)

        return failed

    def _update(self, pending: _Pending, **changes: Any) -> None:
        pending.view = replace(pending.view, **changes)
        if self._pending is pending:
            self.changed.emit()

    def _open_paste(self, name: str) -> None:
        pending = self._pending
        if pending is not None and pending.profile.name == name:
            self.paste_dialog.open_for(name, pending.view.label, pending.view.redirect_hint)

    def _profile(self, name: str) -> OAuth2Profile | None:
        profiles = self._profiles()
        profile: Profile | None = profiles.get(name) if profiles else None
        return profile if isinstance(profile, OAuth2Profile) else None

    def _validate(self, table: dict[str, object]) -> list[tuple[str | None, str]]:
        existing = self._profiles() or ProfileSet()
        return [(error.field, error.message) for error in validate_profile_table(table, existing)]

    def _save_profile(self, table: dict[str, object]) -> None:
        def saved(profile: Profile) -> None:
            self.add_dialog.accept()
            self._window.show_message(f"Added profile {profile.name}; select it and press Connect.")
            self.profilesChanged.emit()

        def failed(error: BaseException) -> None:
            if isinstance(error, ProfileWriteError | OSError):
                self.add_dialog.show_error(str(error))
            else:
                self._operations.report(error)

        path = self._profiles_file()
        self._operations.run_blocking(lambda: add_profile(path, table), saved, failed)
