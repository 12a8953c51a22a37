"""An IBKR OAuth 1.0a profile's complete credential set, as the vault entries that hold it.

A rotation stages a set, switches the active one to it and archives the one it replaced; all three are the
same four entries (two private keys, the DH parameters, the access token record) plus the consumer key they
were registered for. The set is kept as the entries' exact text, so switching and archiving copy what
`keys init` wrote byte for byte and never reinterpret it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from brokers.core.secrets import SecretStore
from brokers.ibkr.vault_entries import ACCESS_TOKEN, DH_PARAMS, ENCRYPTION_KEY, SIGNATURE_KEY

#: the active set's entries, in the order a switch writes them: the access token last, so a session that sees
#: a new token (`IbkrLiveSession`) finds the keys it belongs to already written
ACTIVE_ENTRIES = (SIGNATURE_KEY, ENCRYPTION_KEY, DH_PARAMS, ACCESS_TOKEN)
#: what `start` stages before the portal issued a token for it
KEY_ENTRIES = (SIGNATURE_KEY, ENCRYPTION_KEY, DH_PARAMS)


@dataclass(frozen=True)
class CredentialSet:
    """Vault entry kind -> its text (PEMs, the access token record), for one consumer key. Secret: never log it."""

    consumer_key: str
    entries: Mapping[str, str] = field(repr=False)

    @property
    def complete(self) -> bool:
        """Whether every entry a profile needs to connect is there (a staged set has no token until confirm)."""
        return all(kind in self.entries for kind in ACTIVE_ENTRIES)

    def with_entry(self, kind: str, text: str) -> CredentialSet:
        return CredentialSet(self.consumer_key, {**self.entries, kind: text})

    def without(self, kind: str) -> CredentialSet:
        return CredentialSet(self.consumer_key, {k: v for k, v in self.entries.items() if k != kind})

    def to_json(self) -> dict[str, Any]:
        return {"consumer_key": self.consumer_key, "entries": dict(self.entries)}

    @classmethod
    def from_json(cls, data: Any) -> CredentialSet:
        """The set `to_json` wrote; ValueError when `data` is not one."""
        if not isinstance(data, dict):
            raise ValueError("a credential set is a JSON object")
        consumer_key, entries = data.get("consumer_key"), data.get("entries")
        if not isinstance(consumer_key, str) or not isinstance(entries, dict):
            raise ValueError("a credential set names its consumer key and its entries")
        if not all(kind in ACTIVE_ENTRIES and isinstance(text, str) for kind, text in entries.items()):
            raise ValueError("a credential set holds only the four IBKR entries, as text")
        return cls(consumer_key, dict(entries))


def read_active(vault: SecretStore, profile: str, consumer_key: str) -> CredentialSet | None:
    """The profile's active set as stored, or None while any entry is missing. Blocking.

    Only a caller that knows no switch is half-done may use it: `rotation_journal.read_settled` is that caller."""
    entries = {}
    for kind in ACTIVE_ENTRIES:
        raw = vault.get(profile, kind)
        if raw is None:
            return None
        entries[kind] = raw.decode("utf-8")
    return CredentialSet(consumer_key, entries)


def write_active(
    vault: SecretStore, profile: str, credential_set: CredentialSet, written: Callable[[str], None] | None = None
) -> None:
    """Make `credential_set` the profile's active set, entry by entry (`written` after each). Blocking.

    Four puts are not one atomic write: the rotation journal (SWITCHING) makes the whole switch redoable."""
    for kind in ACTIVE_ENTRIES:
        vault.put(profile, kind, credential_set.entries[kind].encode("utf-8"))
        if written is not None:
            written(kind)
