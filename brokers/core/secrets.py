"""Where a connector keeps a profile's secrets: the interface the vault implements.

Broker packages program against `SecretStore`, never against the vault itself, so the core and the
broker packages stay independent of how and where secrets are encrypted (`brokers/vault`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class BlobCheck:
    """The state of one stored secret, for the health view: never its content."""

    profile: str
    kind: str
    size: int
    intact: bool
    problem: str = ""
    written_at: float | None = None  # epoch seconds the entry was last written (its age); None when unknown


class SecretStore(Protocol):
    """Secrets by profile and kind. Blocking (keyring, disk): call it off the UI thread."""

    def put(self, profile: str, kind: str, secret: bytes) -> None: ...

    def get(self, profile: str, kind: str) -> bytes | None: ...

    def delete(self, profile: str, kind: str) -> bool: ...

    def kinds(self, profile: str) -> list[str]: ...

    def check(self, profile: str) -> list[BlobCheck]:
        """Every stored secret of `profile`, each verified but never returned, with when it was written."""
        ...

    def lock_path(self, profile: str, purpose: str) -> Path:
        """A file beside `profile`'s secrets that processes sharing this store lock for `purpose`."""
        ...
