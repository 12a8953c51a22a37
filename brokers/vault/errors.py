"""Vault failures, each with a message that tells the trader what to do next."""

from __future__ import annotations

from typing import ClassVar

from brokers.core.actions import NextAction
from brokers.core.errors import BrokerError

PASSPHRASE_HELP = (
    "On a machine without a desktop keyring you can opt in to a passphrase instead: set "  # noqa: S105 - help text
    "BROKERDECK_VAULT=passphrase (Brokerdeck then asks for it, or reads BROKERDECK_VAULT_PASSPHRASE)."
)


class VaultError(BrokerError):
    """Base class; `str(error)` is a complete, user-facing sentence; `hint` the next step in a few words."""

    action = NextAction.RESTORE_VAULT
    hint: ClassVar[str] = "See the reason; fix the vault, then refresh."


class VaultUnavailable(VaultError):
    """No usable OS keyring: nothing can be stored or read."""

    action = NextAction.UNLOCK_KEYRING
    hint = "Unlock or start the OS keyring, then refresh."


class VaultLocked(VaultError):
    """The keyring exists but is locked and could not be unlocked."""

    action = NextAction.UNLOCK_KEYRING
    hint = "Unlock or start the OS keyring, then refresh."


class VaultKeyMissing(VaultError):
    """Encrypted blobs exist but the key that wrote them is gone from the keyring."""

    hint = "Restore the vault key from a backup, or connect again."


class VaultPassphraseWrong(VaultError):
    """The passphrase does not open this vault."""


class VaultBlobDamaged(VaultError):
    """A blob failed authentication or is cut short. It is left in place, never replaced silently."""

    def __init__(self, profile: str, kind: str, how: str, path: str) -> None:
        self.profile = profile
        self.kind = kind
        self.how = how
        self.path = path
        super().__init__(
            f"The stored {kind} of profile '{profile}' is {how} and cannot be trusted, so Brokerdeck "
            f"will not use it. It was left untouched at {path} for inspection. Restore it from a backup, "
            f"or connect the profile again, which replaces it."
        )
