"""What an emulator service is, and the shared state every service of one sandbox sees.

Kept apart from `server.py` so services can import the context without importing the server
that lists them.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from starlette.applications import Starlette

from brokers.sandbox.market import SyntheticMarket


@dataclass
class SandboxContext:
    """State shared by the services of one running sandbox.

    `services` maps every service name to its base URL, so that one emulator can point clients at
    another (an OAuth server's issuer, a broker API's authorization server). `shared` holds what one
    emulator publishes for another in the same process (the OAuth server's token authority, which the
    protected resource asks about every bearer token), keyed by the publisher's service name.
    """

    seed: int
    market: SyntheticMarket
    services: dict[str, str]
    shared: dict[str, Any] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    def uptime_s(self) -> float:
        return round(time.monotonic() - self.started, 3)


class Emulator(Protocol):
    """One emulated broker-side service; the sandbox serves each on its own loopback port."""

    name: str

    def build_app(self, context: SandboxContext) -> Starlette:
        """The ASGI app that answers this service's requests."""
        ...

    def profiles(self, urls: Mapping[str, str]) -> list[dict[str, Any]]:
        """Profile tables ({"name", "kind", fields...}) that point the app at this service.

        `urls` maps every service name to its base URL: a profile may need another service's address
        (an API profile names its authorization server). Read this service's own as urls[self.name].
        """
        ...
