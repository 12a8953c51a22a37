"""Encrypted blob files: one AES-256-GCM file per (profile, secret kind).

File format (JSON): {"v": 1, "mode": "keyring"|"passphrase", "nonce": b64, "ct": b64}. The profile, the
kind and the key mode are bound as associated data, so a blob copied to another profile or read with the
other key mode fails authentication instead of being used. Every write has a fresh nonce and replaces
the file atomically with mode 0600; a reader sees the old blob or the new one, never a mix.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import threading
import uuid
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from brokers.core.atomicfile import sweep_stale_temp_files, write_atomic
from brokers.core.paths import ensure_private_dir
from brokers.core.secrets import BlobCheck
from brokers.vault.errors import VaultBlobDamaged, VaultError, VaultKeyMissing
from brokers.vault.keys import KeySource

_FORMAT_VERSION = 1
_PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_KIND_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")  # no dot: it ends the profile part
_SUFFIX = ".blob"
_LOCK_SUFFIX = ".lock"
_TAG_BYTES = 16


class Vault:
    """Stores and reads secrets for profiles. Thread-safe; blocking (run it off the UI thread)."""

    def __init__(self, directory: Path, key_source: KeySource) -> None:
        self.directory = directory
        self.key_source = key_source
        self._key: bytes | None = None
        self._lock = threading.Lock()

    @staticmethod
    def install_id(directory: Path) -> str:
        """This installation's id, which names its keyring entry; created on first use."""
        id_file = directory / "install-id"
        try:
            return id_file.read_text("ascii").strip()
        except FileNotFoundError:
            ensure_private_dir(directory)
            new_id = uuid.uuid4().hex
            write_atomic(id_file, new_id.encode("ascii"), mode=0o600)
            return new_id

    # -- public API ----------------------------------------------------------------------------

    def put(self, profile: str, kind: str, secret: bytes) -> None:
        """Encrypt and store `secret`, replacing any previous value atomically."""
        path = self._path(profile, kind)
        key = self._key_for_write()
        nonce = secrets.token_bytes(12)
        ciphertext = AESGCM(key).encrypt(nonce, secret, self._aad(profile, kind))
        record = {
            "v": _FORMAT_VERSION,
            "mode": self.key_source.mode,
            "nonce": base64.b64encode(nonce).decode("ascii"),
            "ct": base64.b64encode(ciphertext).decode("ascii"),
        }
        write_atomic(path, json.dumps(record, separators=(",", ":")).encode("ascii"))

    def get(self, profile: str, kind: str) -> bytes | None:
        """The stored secret, or None when there is none. Raises VaultBlobDamaged, never guesses."""
        path = self._path(profile, kind)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        mode, nonce, ciphertext = self._parse(profile, kind, path, raw)
        if mode != self.key_source.mode:
            raise VaultError(
                f"The stored {kind} of profile '{profile}' was written with the {mode} key, but the vault "
                f"now uses the {self.key_source.mode} key. Switch BROKERDECK_VAULT back to '{mode}', or "
                "connect the profile again to store it under the new key."
            )
        key = self._key_for_read()
        try:
            return AESGCM(key).decrypt(nonce, ciphertext, self._aad(profile, kind))
        except InvalidTag:
            raise VaultBlobDamaged(profile, kind, "tampered", str(path)) from None

    def delete(self, profile: str, kind: str) -> bool:
        """Remove one secret; True when something was removed."""
        path = self._path(profile, kind)
        existed = path.exists()
        path.unlink(missing_ok=True)
        return existed

    def kinds(self, profile: str) -> list[str]:
        """The kinds of secret stored for `profile`, sorted."""
        self._check_name(profile, "profile")
        found = []
        for path in self._blob_files():
            owner, _, kind = path.name[: -len(_SUFFIX)].rpartition(".")
            if owner == profile:
                found.append(kind)
        return sorted(found)

    def check(self, profile: str) -> list[BlobCheck]:
        """Authenticate every secret of `profile` without returning any content.

        Each check says when its entry was written: every write replaces the whole file, so the file's
        modification time is the moment the secret was stored (a key's age, an access token's age).
        """
        results = []
        for kind in self.kinds(profile):
            path = self._path(profile, kind)
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue  # deleted since it was listed: nothing is stored any more
            size, written_at = stat.st_size, stat.st_mtime
            try:
                stored = self.get(profile, kind)
            except VaultBlobDamaged as exc:
                results.append(BlobCheck(profile, kind, size, intact=False, problem=exc.how, written_at=written_at))
            else:
                if stored is not None:
                    results.append(BlobCheck(profile, kind, size, intact=True, written_at=written_at))
        return results

    def lock_path(self, profile: str, purpose: str) -> Path:
        """`<profile>.<purpose>.lock` in the vault folder: empty, never a blob, never swept or deleted (removing a
        lock file while a process holds it would let the next one lock a new file beside it)."""
        self._check_name(profile, "profile")
        self._check_name(purpose, "lock purpose", _KIND_NAME)
        return self.directory / f"{profile}.{purpose}{_LOCK_SUFFIX}"

    def probe(self) -> bool:
        """Reach the key source now (keyring unlocked? passphrase right?); True when a key exists."""
        with self._lock:
            if self._key is None:
                self._key = self.key_source.load_key()
            return self._key is not None

    def sweep(self) -> int:
        """Remove temp files left by writers that were killed mid-write; return how many."""
        return len(sweep_stale_temp_files(self.directory))

    # -- internals -----------------------------------------------------------------------------

    def _blob_files(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return [p for p in self.directory.iterdir() if p.name.endswith(_SUFFIX) and not p.name.startswith(".")]

    def _key_for_read(self) -> bytes:
        with self._lock:
            if self._key is None:
                key = self.key_source.load_key()
                if key is None:
                    raise VaultKeyMissing(
                        f"The vault in {self.directory} holds encrypted secrets but its key is missing from "
                        f"the {self.key_source.mode}. The secrets cannot be read: restore the keyring (or the "
                        "passphrase setup) from a backup, or connect each profile again."
                    )
                self._key = key
            return self._key

    def _key_for_write(self) -> bytes:
        with self._lock:
            if self._key is None:
                key = self.key_source.load_key()
                if key is None:
                    if self._blob_files():
                        raise VaultKeyMissing(
                            f"The vault in {self.directory} holds secrets written with a key that is no "
                            f"longer in the {self.key_source.mode}. Brokerdeck will not start a new key over "
                            "them: restore the key, or move the old .blob files away to start afresh."
                        )
                    ensure_private_dir(self.directory)
                    key = self.key_source.create_key()
                self._key = key
            return self._key

    def _path(self, profile: str, kind: str) -> Path:
        self._check_name(profile, "profile")
        self._check_name(kind, "secret kind", _KIND_NAME)
        return self.directory / f"{profile}.{kind}{_SUFFIX}"

    def _parse(self, profile: str, kind: str, path: Path, raw: bytes) -> tuple[str, bytes, bytes]:
        try:
            record = json.loads(raw)
            mode = record["mode"]
            nonce = base64.b64decode(record["nonce"], validate=True)
            ciphertext = base64.b64decode(record["ct"], validate=True)
            version = record["v"]
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise VaultBlobDamaged(profile, kind, "truncated or not a vault file", str(path)) from None
        if version != _FORMAT_VERSION:
            raise VaultError(f"{path} was written by a newer Brokerdeck (format {version}); update Brokerdeck.")
        if len(nonce) != 12 or len(ciphertext) < _TAG_BYTES:
            raise VaultBlobDamaged(profile, kind, "truncated", str(path))
        return mode, nonce, ciphertext

    def _aad(self, profile: str, kind: str) -> bytes:
        return f"brokerdeck/vault/v{_FORMAT_VERSION}|{profile}|{kind}|{self.key_source.mode}".encode()

    @staticmethod
    def _check_name(name: str, what: str, pattern: re.Pattern[str] = _PROFILE_NAME) -> None:
        if not pattern.fullmatch(name):
            raise ValueError(f"invalid {what} name {name!r}")
