"""The credential sets rotations replaced, kept in the vault as `archive-<UTC time>` entries.

An archive is one encrypted vault entry holding the whole set (keys, DH parameters, access token and its
secret), the consumer key it was registered for and when it was archived. The vault binds every entry to
its profile, so an archive copied to another profile's name fails to decrypt instead of being restored there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from brokers.core.actions import NextAction
from brokers.core.errors import BrokerError
from brokers.core.secrets import SecretStore
from brokers.ibkr.credential_set import CredentialSet
from brokers.ibkr.vault_entries import ARCHIVE_PREFIX

_FORMAT_VERSION = 1


class UnknownArchive(BrokerError):
    """No archive of that name is stored for the profile."""

    action = NextAction.NONE


@dataclass(frozen=True)
class Archive:
    archive_id: str
    archived_at: float  # epoch seconds
    credential_set: CredentialSet


def new_archive_id(vault: SecretStore, profile: str, now: float) -> str:
    """`archive-20260512T101500Z`, with `-2`, `-3`, … when that second already has one. Blocking."""
    stamp = datetime.fromtimestamp(now, UTC).strftime("%Y%m%dT%H%M%SZ")
    taken = set(vault.kinds(profile))
    candidate, count = f"{ARCHIVE_PREFIX}{stamp}", 1
    while candidate in taken:
        count += 1
        candidate = f"{ARCHIVE_PREFIX}{stamp}-{count}"
    return candidate


def archive_ids(vault: SecretStore, profile: str) -> list[str]:
    """The profile's archives, newest first (their names sort by time). Blocking."""
    return sorted((kind for kind in vault.kinds(profile) if kind.startswith(ARCHIVE_PREFIX)), reverse=True)


def has_archive(vault: SecretStore, profile: str, archive_id: str) -> bool:
    return archive_id in vault.kinds(profile)


def put_archive(vault: SecretStore, profile: str, archive: Archive) -> None:
    """Store `archive` (one atomic, encrypted vault write). Blocking."""
    record = {"v": _FORMAT_VERSION, "archived_at": archive.archived_at, "set": archive.credential_set.to_json()}
    vault.put(profile, archive.archive_id, json.dumps(record).encode("utf-8"))


def read_archive(vault: SecretStore, profile: str, archive_id: str) -> Archive:
    """The archive `archive_id` of `profile`; UnknownArchive when there is none. A blob that does not decrypt
    for this profile raises the vault's VaultBlobDamaged. Blocking."""
    raw = vault.get(profile, archive_id) if archive_id.startswith(ARCHIVE_PREFIX) else None
    if raw is None:
        known = ", ".join(archive_ids(vault, profile)) or "none"
        raise UnknownArchive(
            f"Profile '{profile}' has no archived set {archive_id!r} (archived sets: {known}). "
            f"`brokerdeck keys archive {profile}` lists them."
        )
    try:
        record = json.loads(raw)
        if record.get("v") != _FORMAT_VERSION:
            raise ValueError(f"archive format {record.get('v')!r}")
        return Archive(archive_id, float(record["archived_at"]), CredentialSet.from_json(record["set"]))
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise UnknownArchive(
            f"The archived set {archive_id!r} of profile '{profile}' cannot be read ({error}); it was written by "
            "another version of Brokerdeck or is damaged."
        ) from None


def delete_archive(vault: SecretStore, profile: str, archive_id: str) -> None:
    vault.delete(profile, archive_id)
