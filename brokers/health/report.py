"""The status report for every profile: the one model behind `brokerdeck status` and the GUI.

Two halves: `inspect_vault` does the blocking part (keyring, disk) and `build_report` is pure, so the
window can re-render a live countdown every second from the last inspection and the running sessions.
Each profile's connector supplies what is particular to its kind: the secrets it needs, its health from
stored or live facts, and the actions it offers.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from brokers.core.accounts import AccountsReport
from brokers.core.actions import ActionOffer, NextAction
from brokers.core.connector import Connector
from brokers.core.health import ConnectionState, CredentialHealth, CredentialItem, HealthAt, LiveHealth, identity
from brokers.core.profiles import Profile, ProfileError, ProfileSet
from brokers.core.registry import Registry
from brokers.core.secrets import BlobCheck
from brokers.health.credential_check import CredentialCheck, check_credentials, with_notes
from brokers.registry import REGISTRY
from brokers.vault import Vault, VaultError


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
    missing: dict[str, frozenset[str]] = field(default_factory=dict)  # secrets a profile still needs
    stored: dict[str, HealthAt] = field(default_factory=dict)  # health from what is stored, when nothing is missing


@dataclass(frozen=True)
class StatusReport:
    health: tuple[CredentialHealth, ...]
    profile_errors: tuple[ProfileError, ...]
    vault: VaultStatus
    profiles_file: str = ""
    sandbox: dict[str, str] = field(default_factory=dict)
    offers: dict[str, tuple[ActionOffer, ...]] = field(default_factory=dict)  # per profile, from its connector
    accounts: dict[str, AccountsReport] = field(default_factory=dict)  # per profile whose session read them

    @property
    def healthy(self) -> bool:
        return self.vault.ok and not self.profile_errors

    def to_json(self) -> dict[str, Any]:
        return {
            "profiles_file": self.profiles_file,
            "vault": self.vault.to_json(),
            "sandbox": self.sandbox,
            "profiles": [self._profile_json(h) for h in self.health],
            "profile_errors": [
                {"line": e.line, "profile": e.profile, "field": e.field, "message": e.message}
                for e in self.profile_errors
            ],
        }

    def _profile_json(self, health: CredentialHealth) -> dict[str, Any]:
        accounts = self.accounts.get(health.profile)
        return health.to_json() | ({"accounts": accounts.to_json()} if accounts is not None else {})


def collect_status(
    profiles: ProfileSet,
    vault: Vault,
    sandbox: dict[str, str] | None = None,
    live: Mapping[str, LiveHealth] | None = None,
    registry: Registry = REGISTRY,
    accounts: Mapping[str, AccountsReport] | None = None,
) -> StatusReport:
    """Blocking (keyring and disk): call it off the UI thread. Runs the credential check too."""
    findings = inspect_vault(profiles, vault, registry)
    check = check_credentials(profiles, findings.checks, frozenset(findings.stored), vault, registry)
    return build_report(profiles, findings, live or {}, time.time(), sandbox, registry, accounts, check)


def inspect_vault(profiles: ProfileSet, vault: Vault, registry: Registry = REGISTRY) -> VaultFindings:
    backend = _describe(vault)
    try:
        vault.probe()
    except VaultError as exc:
        status = VaultStatus(backend, ok=False, problem=str(exc))
        return VaultFindings(status, errors={p.name: exc for p in profiles.profiles})
    checks: dict[str, list[BlobCheck]] = {}
    errors: dict[str, VaultError] = {}
    missing: dict[str, frozenset[str]] = {}
    stored: dict[str, HealthAt] = {}
    for profile in profiles.profiles:
        connector = registry.of(profile)
        try:
            found = checks[profile.name] = vault.check(profile.name)
            if not all(c.intact for c in found):
                continue
            missing[profile.name] = connector.required_secrets(profile) - {c.kind for c in found}
            if not missing[profile.name]:
                stored[profile.name] = connector.stored_health(profile, vault, found)
        except VaultError as exc:
            errors[profile.name] = exc
    problem = str(next(iter(errors.values()))) if errors else ""
    return VaultFindings(VaultStatus(backend, ok=not errors, problem=problem), checks, errors, missing, stored)


def build_report(
    profiles: ProfileSet,
    findings: VaultFindings,
    live: Mapping[str, LiveHealth],
    now: float,
    sandbox: dict[str, str] | None = None,
    registry: Registry = REGISTRY,
    accounts: Mapping[str, AccountsReport] | None = None,
    check: CredentialCheck | None = None,
) -> StatusReport:
    """Pure: the report for `profiles` at `now`, from vault findings and the running sessions (and the
    accounts they read), with the notes of the last credential check."""
    health = []
    offers = {}
    for profile in profiles.profiles:
        connector = registry.of(profile)
        current = _health(profile, findings, live, now, connector, check)
        health.append(current)
        offers[profile.name] = connector.offers(profile, current)
    return StatusReport(
        health=tuple(health),
        profile_errors=profiles.errors,
        vault=findings.status,
        profiles_file=str(profiles.source or ""),
        sandbox=dict(sandbox or {}),
        offers=offers,
        accounts={name: report for name, report in (accounts or {}).items() if profiles.get(name) is not None},
    )


def _health(
    profile: Profile,
    findings: VaultFindings,
    live: Mapping[str, LiveHealth],
    now: float,
    connector: Connector[Any],
    check: CredentialCheck | None,
) -> CredentialHealth:
    """Vault problems first (nothing else can be trusted), then the running session, then what is stored; the
    credential check's notes join the last two."""
    if profile.name in findings.errors:
        return _vault_failure(profile, findings.errors[profile.name])
    checks = findings.checks.get(profile.name, [])
    items = _vault_items(checks)
    damaged = [c.kind for c in checks if not c.intact]
    if damaged:
        return _damaged(profile, damaged, items)
    running = live.get(profile.name)
    current = running(now) if running is not None else None
    if current is None:
        current = _at_rest(profile, findings, now, connector)
    notes = check.notes.get(profile.name) if check is not None else None
    if notes and profile.name in findings.stored:  # still stored and intact, as when it was checked
        current = with_notes(current, notes, now)
    if current.state == ConnectionState.SIGN_IN_NEEDED:
        items = tuple(_unusable(item) for item in items)
    return replace(current, items=current.items + items)


def _unusable(item: CredentialItem) -> CredentialItem:
    """A stored entry of a sign-in the broker no longer accepts: intact, but of no use until a new sign-in."""
    return replace(item, state=ConnectionState.SIGN_IN_NEEDED, detail=f"{item.detail}; the broker no longer accepts it")


def _at_rest(profile: Profile, findings: VaultFindings, now: float, connector: Connector[Any]) -> CredentialHealth:
    """The health from the vault alone, when no session (in this process or a published one) says more."""
    missing = findings.missing.get(profile.name)
    if missing:
        return _setup_needed(profile, missing, connector.setup_hint(profile))
    stored = findings.stored.get(profile.name)
    if stored is not None:
        return stored(now)
    # findings from before the profile appeared: the next inspection reads its vault entries
    return CredentialHealth(
        state=ConnectionState.NOT_CONNECTED,
        reason="not checked yet",
        next_action=NextAction.NONE,
        hint="Press Check now.",
        **identity(profile),
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


def _setup_needed(profile: Profile, missing: frozenset[str], hint: str) -> CredentialHealth:
    return CredentialHealth(
        state=ConnectionState.NOT_CONNECTED,
        reason=f"keys not set up yet (missing: {', '.join(sorted(missing))})",
        next_action=NextAction.SETUP_KEYS,
        hint=hint,
        **identity(profile),
    )


def _vault_failure(profile: Profile, error: VaultError) -> CredentialHealth:
    return CredentialHealth(
        state=ConnectionState.FAILED,
        reason=str(error),
        next_action=error.action,
        hint=error.hint,
        **identity(profile),
    )


def _describe(vault: Vault) -> str:
    try:
        return vault.key_source.describe()
    except Exception as exc:
        return f"unknown ({type(exc).__name__})"
