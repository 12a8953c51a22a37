"""The objects one Brokerdeck process works with, built from paths and the environment.

Shared by the GUI and the CLI so both see the same profiles, vault and sandbox.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from brokers.core.paths import Paths
from brokers.core.profiles import ProfileSet, load_profiles
from brokers.sandbox.endpoints import SandboxEndpoints, read_endpoints, sandbox_profiles
from brokers.vault import Vault, key_source_from_env
from brokers.vault.keys import prompt_passphrase_from_terminal


@dataclass(frozen=True)
class AppContext:
    paths: Paths

    @classmethod
    def from_environment(cls) -> AppContext:
        return cls(paths=Paths.resolve())

    def sandbox(self) -> SandboxEndpoints | None:
        """The running sandbox, if its endpoints file names a live process."""
        return read_endpoints(self.paths.sandbox_endpoints_file)

    def profiles(self, sandbox: SandboxEndpoints | None = None) -> ProfileSet:
        """The user's profiles, plus the ready-made sandbox set when a sandbox is running."""
        loaded = load_profiles(self.paths.profiles_file)
        return loaded.with_profiles(sandbox_profiles(sandbox)) if sandbox else loaded

    def vault(self, ask_passphrase: Callable[[], str] = prompt_passphrase_from_terminal) -> Vault:
        directory = self.paths.vault_dir
        return Vault(directory, key_source_from_env(directory, Vault.install_id(directory), ask_passphrase))
