"""The status report for every profile: the one model behind `brokerdeck status` and the GUI.

Two halves: `inspect_vault` does the blocking part (keyring, disk) and `build_report` is pure, so the
window can re-render a live countdown every second from the last inspection and the running sessions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from brokers.core.health import ConnectionState, CredentialHealth, CredentialItem, NextAction, identity
from brokers.core.profiles import OAuth2Profile, Profile, ProfileError, ProfileKind, ProfileSet
from brokers.ibkr.credentials import ACCESS_TOKEN, DH_PARAMS, ENCRYPTION_KEY, SIGNATURE_KEY
from brokers.oauth2.health import oauth2_health
from brokers.oauth2.session import SessionFacts
from brokers.oauth2.store import OAuthStore
from brokers.vault import BlobCheck, Vault, VaultError, VaultKeyMissing, VaultLocked, VaultUnavailable

#: health of a profile with a running session, at a given time
type LiveHealth = Callable[[float], CredentialHealth]

_SETUP_KINDS: dict[ProfileKind, set[str]] = {
    ProfileKind.IBKR_OAUTH1A: {SIGNATURE_KEY, ENCRYPTION_KEY, DH_PARAMS, ACCESS_TOKEN},
}


@dataclass(frozen=True)
class VaultStatus:
    backend: str
    ok: bool
    problem: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"backend": self.backend, "ok": self.ok, "problem": self.problem}


@dataclass(frozen=True)
class VaultFindings:
    """What the vault holds for each profile, or why it could not be read."""

    status: VaultStatus
    checks: dict[str, list[BlobCheck]] = field(default_factory=dict)
    errors: dict[str, VaultError] = field(default_factory=dict)
    oauth: dict[str, SessionFacts] = field(default_factory=dict)  # stored sign-ins of OAuth profiles


@dataclass(frozen=True)
class StatusReport:
    health: tuple[CredentialHealth, ...]
    profile_errors: tuple[ProfileError, ...]
    vault: VaultStatus
    profiles_file: str = ""
    sandbox: dict[str, str] = field(default_factory=dict)

    @property
    def healthy(self) -> bool:
        return self.vault.ok and not self.profile_errors

    def to_json(self) -> dict[str, Any]:
        return {
            "profiles_file": self.profiles_file,
            "vault": self.vault.to_json(),
            "sandbox": self.sandbox,
            "profiles": [h.to_json() for h in self.health],
            "profile_errors": [
                {"line": e.line, "profile": e.profile, "field": e.field, "message": e.message}
                for e in self.profile_errors
            ],
        }


def collect_status(
    profiles: ProfileSet,
    vault: Vault,
    sandbox: dict[str, str] | None = None,
    live: Mapping[str, LiveHealth] | None = None,
) -> StatusReport:
    """Blocking (keyring and disk): call it off the UI thread."""
    return build_report(profiles, inspect_vault(profiles, vault), live or {}, time.time(), sandbox)


def inspect_vault(profiles: ProfileSet, vault: Vault) -> VaultFindings:
    backend = _describe(vault)
    try:
        vault.probe()
    except VaultError as exc:
        status = VaultStatus(backend, ok=False, problem=str(exc))
        return VaultFindings(status, errors={p.name: exc for p in profiles.profiles})
    checks: dict[str, list[BlobCheck]] = {}
    errors: dict[str, VaultError] = {}
    oauth: dict[str, SessionFacts] = {}
    for profile in profiles.profiles:
        try:
            checks[profile.name] = vault.check(profile.name)
            if isinstance(profile, OAuth2Profile) and all(c.intact for c in checks[profile.name]):
                oauth[profile.name] = _stored_sign_in(vault, profile)
        except VaultError as exc:
            errors[profile.name] = exc
    problem = str(next(iter(errors.values()))) if errors else ""
    return VaultFindings(VaultStatus(backend, ok=not errors, problem=problem), checks, errors, oauth)


def _stored_sign_in(vault: Vault, profile: OAuth2Profile) -> SessionFacts:
    try:
        return SessionFacts.of(OAuthStore(vault, profile.name).sign_in_for(profile.issuer))
    except (ValueError, KeyError, TypeError):
        return SessionFacts(login_required="the stored sign-in is from an unknown format and cannot be used")


def build_report(
    profiles: ProfileSet,
    findings: VaultFindings,
    live: Mapping[str, LiveHealth],
    now: float,
    sandbox: dict[str, str] | None = None,
) -> StatusReport:
    """Pure: the report for `profiles` at `now`, from vault findings and the running sessions."""
    health = []
    for profile in profiles.profiles:
        if profile.name in findings.errors:
            health.append(_vault_failure(profile, findings.errors[profile.name]))
            continue
        checks = findings.checks.get(profile.name, [])
        items = _vault_items(checks)
        damaged = [c.kind for c in checks if not c.intact]
        if damaged:
            health.append(_damaged(profile, damaged, items))
        elif profile.name in live:
            current = live[profile.name](now)
            health.append(_with_items(current, current.items + items))
        elif isinstance(profile, OAuth2Profile):
            current = oauth2_health(profile, findings.oauth.get(profile.name, SessionFacts()), now, live=False)
            health.append(_with_items(current, current.items + items))
        else:
            health.append(_not_connected(profile, checks, items))
    return StatusReport(
        health=tuple(health),
        profile_errors=profiles.errors,
        vault=findings.status,
        profiles_file=str(profiles.source or ""),
        sandbox=dict(sandbox or {}),
    )


def _vault_items(checks: list[BlobCheck]) -> tuple[CredentialItem, ...]:
    return tuple(
        CredentialItem(
            name=f"vault: {c.kind}",
            state=ConnectionState.ACTIVE if c.intact else ConnectionState.FAILED,
            detail=f"stored, intact ({c.size} bytes encrypted)" if c.intact else f"{c.problem}; not used",
        )
        for c in checks
    )


def _damaged(profile: Profile, kinds: list[str], items: tuple[CredentialItem, ...]) -> CredentialHealth:
    return CredentialHealth(
        state=ConnectionState.FAILED,
        reason=f"stored secret failed its integrity check: {', '.join(kinds)}",
        next_action=NextAction.RESTORE_VAULT,
        hint="Restore the vault file from a backup, or set the profile up again to replace it.",
        items=items,
        **identity(profile),
    )


def _not_connected(profile: Profile, checks: list[BlobCheck], items: tuple[CredentialItem, ...]) -> CredentialHealth:
    stored = {c.kind for c in checks}
    needed = _SETUP_KINDS.get(profile.kind)
    if needed is None:
        stored_text = f"{len(checks)} secret(s) stored" if checks else "no secrets stored"
        reason = f"{stored_text}; connecting this kind of profile is not available yet"
        return CredentialHealth(
            state=ConnectionState.PENDING,
            reason=reason,
            next_action=NextAction.NONE,  # nothing the trader can do until the connector exists
            hint="This version cannot connect this kind of profile yet.",
            items=items,
            **identity(profile),
        )
    if needed - stored:
        return CredentialHealth(
            state=ConnectionState.PENDING,
            reason=f"keys not set up yet (missing: {', '.join(sorted(needed - stored))})",
            next_action=NextAction.SETUP_KEYS,
            hint=f"Run `brokerdeck keys init {profile.name}` and register what it prints with the broker.",
            items=items,
            **identity(profile),
        )
    return CredentialHealth(
        state=ConnectionState.PENDING,
        reason="credentials stored; no session is running (the Brokerdeck window connects it)",
        next_action=NextAction.CONNECT,
        hint="Open Brokerdeck (`brokerdeck`), which connects the profile and keeps it alive.",
        items=items,
        **identity(profile),
    )


def _vault_failure(profile: Profile, error: VaultError) -> CredentialHealth:
    if isinstance(error, VaultLocked | VaultUnavailable):
        action, hint = NextAction.UNLOCK_KEYRING, "Unlock or start the OS keyring, then refresh."
    elif isinstance(error, VaultKeyMissing):
        action, hint = NextAction.RESTORE_VAULT, "Restore the vault key from a backup, or connect again."
    else:
        action, hint = NextAction.RESTORE_VAULT, "See the reason; fix the vault, then refresh."
    return CredentialHealth(
        state=ConnectionState.FAILED, reason=str(error), next_action=action, hint=hint, **identity(profile)
    )


def _with_items(health: CredentialHealth, items: tuple[CredentialItem, ...]) -> CredentialHealth:
    return replace(health, items=items)


def _describe(vault: Vault) -> str:
    try:
        return vault.key_source.describe()
    except Exception as exc:
        return f"unknown ({type(exc).__name__})"
