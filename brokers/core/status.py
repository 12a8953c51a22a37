"""Build the status report for every profile: the one model behind `brokerdeck status` and the GUI.

Connectors land in later work; until a profile kind has one, its health is what the vault knows:
which secrets are stored and whether each still passes its integrity check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from brokers.core.health import ConnectionState, CredentialHealth, CredentialItem, NextAction
from brokers.core.profiles import Profile, ProfileError, ProfileSet
from brokers.vault import Vault, VaultError, VaultKeyMissing, VaultLocked, VaultUnavailable

_NO_CONNECTOR = "connecting this kind of profile is not available in this version yet"


@dataclass(frozen=True)
class VaultStatus:
    backend: str
    ok: bool
    problem: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"backend": self.backend, "ok": self.ok, "problem": self.problem}


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


def collect_status(profiles: ProfileSet, vault: Vault, sandbox: dict[str, str] | None = None) -> StatusReport:
    """Blocking (keyring and disk): call it off the UI thread."""
    backend = _describe(vault)
    try:
        vault.probe()
    except VaultError as exc:
        vault_status = VaultStatus(backend=backend, ok=False, problem=str(exc))
        health = [_vault_failure(profile, exc) for profile in profiles.profiles]
    else:
        vault_status = VaultStatus(backend=backend, ok=True)
        health = []
        for profile in profiles.profiles:
            try:
                health.append(_vault_health(profile, vault))
            except VaultError as exc:
                vault_status = VaultStatus(backend=backend, ok=False, problem=str(exc))
                health.append(_vault_failure(profile, exc))
    return StatusReport(
        health=tuple(health),
        profile_errors=profiles.errors,
        vault=vault_status,
        profiles_file=str(profiles.source or ""),
        sandbox=dict(sandbox or {}),
    )


def _vault_health(profile: Profile, vault: Vault) -> CredentialHealth:
    checks = vault.check(profile.name)
    items = tuple(
        CredentialItem(
            name=f"vault: {c.kind}",
            state=ConnectionState.PENDING if c.intact else ConnectionState.FAILED,
            detail=f"stored, intact ({c.size} bytes encrypted)" if c.intact else f"{c.problem}; not used",
        )
        for c in checks
    )
    common = {**_identity(profile), "items": items}
    damaged = [c for c in checks if not c.intact]
    if damaged:
        names = ", ".join(c.kind for c in damaged)
        return CredentialHealth(
            state=ConnectionState.FAILED,
            reason=f"stored secret failed its integrity check: {names}",
            next_action=NextAction.RESTORE_VAULT,
            hint="Restore the vault file from a backup, or connect the profile again to replace it.",
            **common,
        )
    stored = f"{len(checks)} secret(s) stored and intact" if checks else "no secrets stored yet"
    return CredentialHealth(
        state=ConnectionState.PENDING,
        reason=f"{stored}; {_NO_CONNECTOR}",
        next_action=NextAction.CONNECT,
        hint="Connect this profile once its broker connector is available.",
        **common,
    )


def _vault_failure(profile: Profile, error: VaultError) -> CredentialHealth:
    if isinstance(error, VaultLocked | VaultUnavailable):
        action, hint = NextAction.UNLOCK_KEYRING, "Unlock or start the OS keyring, then refresh."
    elif isinstance(error, VaultKeyMissing):
        action, hint = NextAction.RESTORE_VAULT, "Restore the vault key from a backup, or connect again."
    else:
        action, hint = NextAction.RESTORE_VAULT, "See the reason; fix the vault, then refresh."
    return CredentialHealth(
        state=ConnectionState.FAILED, reason=str(error), next_action=action, hint=hint, **_identity(profile)
    )


def _identity(profile: Profile) -> dict[str, str]:
    """The fields every health entry of `profile` starts with."""
    return {
        "profile": profile.name,
        "label": profile.display_name,
        "kind": profile.kind.value,
        "origin": profile.origin.value,
    }


def _describe(vault: Vault) -> str:
    try:
        return vault.key_source.describe()
    except Exception as exc:
        return f"unknown ({type(exc).__name__})"
