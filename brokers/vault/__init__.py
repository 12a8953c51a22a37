"""Secret storage: a data key in the OS keyring, AES-256-GCM blobs on disk, no plaintext ever."""

from brokers.core.secrets import BlobCheck
from brokers.vault.errors import (
    VaultBlobDamaged,
    VaultError,
    VaultKeyMissing,
    VaultLocked,
    VaultPassphraseWrong,
    VaultUnavailable,
)
from brokers.vault.keys import KeyringKeySource, KeySource, PassphraseKeySource, key_source_from_env
from brokers.vault.store import Vault

__all__ = [
    "BlobCheck",
    "KeySource",
    "KeyringKeySource",
    "PassphraseKeySource",
    "Vault",
    "VaultBlobDamaged",
    "VaultError",
    "VaultKeyMissing",
    "VaultLocked",
    "VaultPassphraseWrong",
    "VaultUnavailable",
    "key_source_from_env",
]
