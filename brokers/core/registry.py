"""The list of connectors one Brokerdeck knows; everything that handles profiles loops over it.

The registry holds no broker code itself (`brokers/registry.py` lists the real connectors), so the core
stays free of broker packages and a test can build or extend one with a connector of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from brokers.core.connector import Connector
from brokers.core.profiles import Profile, ProfileSchema


class UnknownKind(LookupError):
    """A profile whose kind no registered connector serves."""


class Registry:
    def __init__(self, connectors: Iterable[Connector[Any]] = ()) -> None:
        self._connectors: dict[str, Connector[Any]] = {}
        self._schema = ProfileSchema(())
        for connector in connectors:
            self.register(connector)

    @property
    def connectors(self) -> tuple[Connector[Any], ...]:
        return tuple(self._connectors.values())

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self._connectors)

    @property
    def schema(self) -> ProfileSchema:
        """The profile loader for exactly the registered kinds."""
        return self._schema

    def register(self, connector: Connector[Any]) -> None:
        if connector.kind in self._connectors:
            raise ValueError(f"a connector for the kind {connector.kind!r} is registered already")
        self._connectors[connector.kind] = connector
        self._schema = ProfileSchema(c.profile_class for c in self._connectors.values())

    def unregister(self, kind: str) -> None:
        self._connectors.pop(kind, None)
        self._schema = ProfileSchema(c.profile_class for c in self._connectors.values())

    def of(self, profile: Profile) -> Connector[Any]:
        """The connector of `profile`; the loader only builds profiles of registered kinds."""
        connector = self._connectors.get(profile.kind)
        if connector is None:
            raise UnknownKind(f"no connector is registered for the kind {profile.kind!r}")
        return connector
