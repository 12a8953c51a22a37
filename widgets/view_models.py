"""Plain data the widgets render. The app maps core models onto these, so widgets never import the core."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CredentialRow:
    name: str
    state: str
    severity: str  # "ok" | "warn" | "error" | "idle"
    detail: str
    expires: str = ""


@dataclass(frozen=True)
class ProfileRow:
    name: str
    label: str  # what the trader called it; the name when no label was given
    kind: str
    origin: str
    state: str  # the state in words ("Sign-in needed")
    severity: str
    reason: str
    hint: str
    expires: str = ""
    action: str = ""  # the intent sent back when the trader presses the action button
    action_label: str = ""  # the button's text; no button when empty
    credentials: tuple[CredentialRow, ...] = ()
    # What the trader may do with the connection now: a subset of ("connect", "reconnect", "disconnect"),
    # in that order. The profile's connector decides; the panel only enables the matching buttons.
    connect_actions: tuple[str, ...] = ()


@dataclass(frozen=True)
class LoginView:
    """A browser sign-in under way. The widget counts down from `deadline` itself, so the app
    need not re-render every second."""

    profile: str
    label: str
    url: str  # the authorization URL the browser was sent to; the trader may copy it
    deadline: float  # time.time() epoch seconds when the wait gives up
    redirect_hint: str  # where the browser returns, e.g. "http://127.0.0.1:53121/callback/NAME"
    message: str = ""  # an error or progress line; empty while simply waiting
    failed: bool = False


@dataclass(frozen=True)
class StatusView:
    """Everything the connection panel and the health indicator show at one moment."""

    profiles: tuple[ProfileRow, ...] = ()
    profile_errors: tuple[str, ...] = ()
    profiles_file: str = ""
    vault_text: str = ""
    vault_ok: bool = True
    sandbox_text: str = ""
    checked_at: str = ""
    login: LoginView | None = None  # the sign-in under way, if any; at most one at a time
