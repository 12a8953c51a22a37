"""Vault failures, each with a message that tells the trader what to do next."""

from __future__ import annotations

PASSPHRASE_HELP = (
    "On a machine without a desktop keyring you can opt in to a passphrase instead: set "  # noqa: S105 - help text
    "BROKERDECK_VAULT=passphrase (Brokerdeck then asks for it, or reads BROKERDECK_VAULT_PASSPHRASE)."
)


class VaultError(Exception):
    """Base class; `str(error)` is a complete, user-facing sentence."""


class VaultUnavailable(VaultError):
    """No usable OS keyring: nothing can be stored or read."""


class VaultLocked(VaultError):
    """The keyring exists but is locked and could not be unlocked."""


class VaultKeyMissing(VaultError):
    """Encrypted blobs exist but the key that wrote them is gone from the keyring."""


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
