"""The objects one Brokerdeck process works with, built from paths and the environment.

Shared by the GUI and the CLI so both see the same profiles, vault and sandbox.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from brokers.core.paths import Paths
from brokers.core.profiles import IbkrProfile, ProfileSet, load_profiles
from brokers.sandbox.endpoints import SandboxEndpoints, read_endpoints, sandbox_profiles

if TYPE_CHECKING:
    from brokers.status import LiveHealth
    from brokers.vault import Vault

# The vault (keyring, cryptography) and the IBKR client (httpx) are imported where they are used,
# so the window can paint before they load.


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

    def published_sessions(self, profiles: ProfileSet) -> dict[str, LiveHealth]:
        """Health of the IBKR sessions a running Brokerdeck window publishes, for the CLI."""
        from brokers.ibkr.health import ibkr_health
        from brokers.ibkr.session_state import read_snapshot, state_file

        live: dict[str, LiveHealth] = {}
        for profile in profiles.profiles:
            if isinstance(profile, IbkrProfile):
                snapshot = read_snapshot(state_file(self.paths.data_dir, profile.name))
                if snapshot is not None:
                    live[profile.name] = lambda now, p=profile, s=snapshot: ibkr_health(p, s, now)
        return live

    def vault(self, ask_passphrase: Callable[[], str] | None = None) -> Vault:
        """The vault; without `ask_passphrase` a passphrase vault asks on the terminal."""
        from brokers.vault import Vault, key_source_from_env
        from brokers.vault.keys import prompt_passphrase_from_terminal

        directory = self.paths.vault_dir
        ask = ask_passphrase or prompt_passphrase_from_terminal
        return Vault(directory, key_source_from_env(directory, Vault.install_id(directory), ask))
