"""Where the vault's 256-bit data key comes from.

Default: a random key kept in the OS keyring (Secret Service, macOS Keychain, Windows Credential
Manager) under service `brokerdeck`, one entry per installation. Opt-in for headless hosts: a key
derived with scrypt from a passphrase. There is no third way: never a key or secret in plaintext.
"""

from __future__ import annotations

import base64
import getpass
import json
import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import keyring
import keyring.errors
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from brokers.core.atomicfile import write_atomic
from brokers.core.environment import VAULT_BACKEND_ENV, VAULT_PASSPHRASE_ENV
from brokers.vault.errors import (
    PASSPHRASE_HELP,
    VaultError,
    VaultLocked,
    VaultPassphraseWrong,
    VaultUnavailable,
)

KEYRING_SERVICE = "brokerdeck"
KEY_BYTES = 32
BACKEND_ENV = VAULT_BACKEND_ENV
PASSPHRASE_ENV = VAULT_PASSPHRASE_ENV


class KeySource(Protocol):
    """Supplies the data key. `mode` is bound into every blob so a key mix-up is named, not guessed."""

    mode: str

    def load_key(self) -> bytes | None:
        """The existing key, or None when none was ever created."""

    def create_key(self) -> bytes:
        """Create, store and return a new key (called only when no blob exists yet)."""

    def describe(self) -> str:
        """One line for the health view, e.g. 'OS keyring (SecretService)'."""


class KeyringKeySource:
    """The data key as a base64url entry in the OS keyring, named after this installation."""

    mode = "keyring"

    def __init__(self, install_id: str, service: str = KEYRING_SERVICE) -> None:
        self.service = service
        self.username = f"vault-data-key:{install_id}"

    def load_key(self) -> bytes | None:
        encoded = self._call(lambda: keyring.get_password(self.service, self.username))
        if encoded is None:
            return None
        try:
            key = base64.urlsafe_b64decode(encoded.encode("ascii") + b"==")
        except (ValueError, UnicodeEncodeError):
            key = b""
        if len(key) != KEY_BYTES:
            raise VaultError(
                f"The keyring entry '{self.username}' of service '{self.service}' is not a Brokerdeck "
                "data key. Remove it with your keyring manager only if no vault uses it."
            )
        return key

    def create_key(self) -> bytes:
        key = secrets.token_bytes(KEY_BYTES)
        encoded = base64.urlsafe_b64encode(key).rstrip(b"=").decode("ascii")
        self._call(lambda: keyring.set_password(self.service, self.username, encoded))
        return key

    def delete_key(self) -> bool:
        """Remove the key from the keyring; False when there was none."""
        try:
            self._call(lambda: keyring.delete_password(self.service, self.username))
        except VaultUnavailable as exc:
            if isinstance(exc.__cause__, keyring.errors.PasswordDeleteError):
                return False
            raise
        return True

    def describe(self) -> str:
        backend = type(keyring.get_keyring())
        return f"OS keyring ({backend.__module__.rsplit('.', 1)[-1]})"

    def _call[T](self, action: Callable[[], T]) -> T:
        try:
            return action()
        except keyring.errors.NoKeyringError as exc:
            raise VaultUnavailable(
                "No OS keyring is available, so Brokerdeck cannot keep secrets safely. On Linux, install "
                "and start a Secret Service (gnome-keyring or KWallet) in your desktop session. " + PASSPHRASE_HELP
            ) from exc
        except (keyring.errors.KeyringLocked, keyring.errors.InitError) as exc:
            # InitError: the collection is missing and no prompt could be shown to create or unlock it.
            raise VaultLocked(
                "The OS keyring is locked and could not be unlocked. Unlock it (log in to your desktop "
                "session, or open your keyring manager and unlock the 'login' keyring), then retry. " + PASSPHRASE_HELP
            ) from exc
        except keyring.errors.KeyringError as exc:
            raise VaultUnavailable(
                f"The OS keyring refused the request ({type(exc).__name__}). Check that your keyring "
                "service is running and unlocked, then retry. " + PASSPHRASE_HELP
            ) from exc


class PassphraseKeySource:
    """A key derived from a passphrase with scrypt; for hosts with no keyring, by explicit opt-in.

    The salt and a check value live in `passphrase.json` beside the blobs (neither is secret), so a
    wrong passphrase is reported as wrong instead of as a damaged vault.
    """

    mode = "passphrase"
    _CHECK = b"brokerdeck vault passphrase check v1"
    _N, _R, _P = 2**15, 8, 1

    def __init__(self, vault_dir: Path, passphrase: Callable[[], str]) -> None:
        self._file = vault_dir / "passphrase.json"
        self._passphrase = passphrase

    def load_key(self) -> bytes | None:
        try:
            record = json.loads(self._file.read_text("utf-8"))
            salt = base64.b64decode(record["salt"])
            nonce = base64.b64decode(record["nonce"])
            check = base64.b64decode(record["check"])
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError) as exc:
            raise VaultError(
                f"{self._file} is damaged, so the passphrase cannot be checked. Restore it from a backup."
            ) from exc
        key = self._derive(salt)
        try:
            AESGCM(key).decrypt(nonce, check, self._CHECK)
        except InvalidTag as exc:
            raise VaultPassphraseWrong("That passphrase does not open this vault. Try again.") from exc
        return key

    def create_key(self) -> bytes:
        salt = secrets.token_bytes(16)
        key = self._derive(salt)
        nonce = secrets.token_bytes(12)
        record = {
            "v": 1,
            "kdf": "scrypt",
            "n": self._N,
            "r": self._R,
            "p": self._P,
            "salt": base64.b64encode(salt).decode(),
            "nonce": base64.b64encode(nonce).decode(),
            "check": base64.b64encode(AESGCM(key).encrypt(nonce, self._CHECK, self._CHECK)).decode(),
        }
        write_atomic(self._file, json.dumps(record).encode())
        return key

    def describe(self) -> str:
        return "passphrase (scrypt), opted in with BROKERDECK_VAULT=passphrase"

    def _derive(self, salt: bytes) -> bytes:
        passphrase = self._passphrase()
        if not passphrase:
            raise VaultPassphraseWrong("An empty passphrase cannot protect the vault. Enter a passphrase.")
        kdf = Scrypt(salt=salt, length=KEY_BYTES, n=self._N, r=self._R, p=self._P)
        return kdf.derive(passphrase.encode("utf-8"))


def prompt_passphrase_from_terminal() -> str:
    """Read the vault passphrase from the environment, else from the terminal without echo."""
    from_env = os.environ.get(PASSPHRASE_ENV)
    if from_env:
        return from_env
    if not sys.stdin.isatty():
        raise VaultPassphraseWrong(
            f"The vault uses a passphrase and no terminal is attached to ask for it: set {PASSPHRASE_ENV}."
        )
    return getpass.getpass("Brokerdeck vault passphrase: ")


def key_source_from_env(
    vault_dir: Path, install_id: str, ask_passphrase: Callable[[], str] = prompt_passphrase_from_terminal
) -> KeySource:
    """The key source selected by `BROKERDECK_VAULT` (`keyring`, the default, or `passphrase`)."""
    choice = os.environ.get(BACKEND_ENV, "keyring").strip().lower() or "keyring"
    if choice == "keyring":
        return KeyringKeySource(install_id)
    if choice == "passphrase":
        return PassphraseKeySource(vault_dir, _once(ask_passphrase))
    raise VaultError(f"{BACKEND_ENV}={choice!r} is not understood: use 'keyring' (default) or 'passphrase'.")


def _once(ask: Callable[[], str]) -> Callable[[], str]:
    """Ask for the passphrase at most once per process."""
    answer: list[str] = []

    def cached() -> str:
        if not answer:
            answer.append(ask())
        return answer[0]

    return cached
