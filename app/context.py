"""The objects one Brokerdeck process works with, built from paths and the environment.

Shared by the GUI and the CLI so both see the same profiles, vault and sandbox.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from brokers.core.paths import Paths

if TYPE_CHECKING:
    from app.sandbox import SandboxEndpoints
    from brokers.core.accounts import AccountsReport
    from brokers.core.health import HealthAt
    from brokers.core.profiles import ProfileSet
    from brokers.core.registry import Registry
    from brokers.vault import Vault

# The connectors, the vault (keyring, cryptography) and the broker clients (httpx) are imported where they
# are used, so the window can paint before they load.


@dataclass(frozen=True)
class AppContext:
    paths: Paths

    @classmethod
    def from_environment(cls) -> AppContext:
        return cls(paths=Paths.resolve())

    @cached_property
    def registry(self) -> Registry:
        """Every connector; loaded on first use, since the connectors import httpx and the crypto libraries."""
        from brokers.registry import REGISTRY

        return REGISTRY

    def sandbox(self) -> SandboxEndpoints | None:
        """The running sandbox, if its endpoints file names a live process."""
        from app.sandbox import running_sandbox

        return running_sandbox(self.paths.sandbox_endpoints_file)

    def profiles(self, sandbox: SandboxEndpoints | None = None) -> ProfileSet:
        """The user's profiles, plus the ready-made sandbox set when a sandbox is running."""
        from app.sandbox import sandbox_profiles

        loaded = self.registry.schema.load(self.paths.profiles_file)
        return loaded.with_profiles(sandbox_profiles(sandbox, self.registry.schema).profiles) if sandbox else loaded

    def published_sessions(self, profiles: ProfileSet) -> dict[str, HealthAt]:
        """Health of the sessions a running Brokerdeck window publishes, for the CLI."""
        from brokers.core.published import published_file, read_published

        live: dict[str, HealthAt] = {}
        for profile in profiles.profiles:
            facts = read_published(published_file(self.paths.data_dir, profile.name))
            health = self.registry.of(profile).published_health(profile, facts) if facts is not None else None
            if health is not None:
                live[profile.name] = health
        return live

    def published_accounts(self, profiles: ProfileSet) -> dict[str, AccountsReport]:
        """The accounts the sessions of a running Brokerdeck window last read, for the CLI."""
        from brokers.core.published import published_file, read_published_accounts

        found = {
            p.name: read_published_accounts(published_file(self.paths.data_dir, p.name)) for p in profiles.profiles
        }
        return {name: report for name, report in found.items() if report is not None}

    def vault(self, ask_passphrase: Callable[[], str] | None = None) -> Vault:
        """The vault; without `ask_passphrase` a passphrase vault asks on the terminal."""
        from brokers.vault import Vault, key_source_from_env
        from brokers.vault.keys import prompt_passphrase_from_terminal

        directory = self.paths.vault_dir
        ask = ask_passphrase or prompt_passphrase_from_terminal
        return Vault(directory, key_source_from_env(directory, Vault.install_id(directory), ask))
