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
    state: str
    severity: str
    reason: str
    hint: str
    expires: str = ""
    action: str = ""  # the intent sent back when the trader presses the action button
    action_label: str = ""  # the button's text; no button when empty
    credentials: tuple[CredentialRow, ...] = ()


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
