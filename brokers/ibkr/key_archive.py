"""The credential sets rotations replaced, as the core's archives (`archive-<UTC time>`) holding a whole set.

An archive is one encrypted vault entry (brokers/core/rotation_journal.py) holding the whole set (keys, DH
parameters, access token and its secret) and the consumer key it was registered for. The vault binds every
entry to its profile, so an archive copied to another profile's name fails to decrypt instead of being
restored there. Its id is the entry's whole name, as `brokerdeck keys archive` lists it.
"""

from __future__ import annotations

import json

from brokers.core.rotation import RotationConflict
from brokers.core.rotation_journal import RotationArchive
from brokers.core.secrets import SecretStore
from brokers.ibkr.credential_set import CredentialSet
from brokers.ibkr.keys import load_private_key, public_key_fingerprint
from brokers.ibkr.vault_entries import ARCHIVE_PREFIX, ENCRYPTION_KEY, SIGNATURE_KEY


def archives(vault: SecretStore, profile: str) -> RotationArchive:
    """The profile's archived sets."""
    return RotationArchive(vault, profile, ARCHIVE_PREFIX, whole_ids=True)


def summary(stored: CredentialSet) -> str:
    """What a set is, without a secret: its consumer key and its keys' fingerprints."""
    signature = public_key_fingerprint(load_private_key(stored.entries[SIGNATURE_KEY]))
    encryption = public_key_fingerprint(load_private_key(stored.entries[ENCRYPTION_KEY]))
    return f"consumer key {stored.consumer_key}; signature key SHA-256 {signature}; encryption key SHA-256 {encryption}"


def put_archive(archived: RotationArchive, archive_id: str, credential_set: CredentialSet, at: float) -> None:
    """Store `credential_set` as `archive_id` (one atomic, encrypted vault write). Blocking."""
    payload = json.dumps(credential_set.to_json()).encode("utf-8")
    archived.put(archive_id, summary(credential_set), payload, at)


def read_archive(vault: SecretStore, profile: str, archive_id: str) -> CredentialSet:
    """The set archived as `archive_id`; RotationConflict when there is none or it cannot be read, the vault's
    VaultBlobDamaged when it does not decrypt for this profile. Blocking."""
    _, payload = archives(vault, profile).payload(archive_id)
    try:
        return CredentialSet.from_json(json.loads(payload))
    except ValueError as error:
        raise RotationConflict(
            f"The archived set {archive_id!r} of profile '{profile}' cannot be read ({error}); it was written by "
            "another version of Brokerdeck or is damaged."
        ) from None
