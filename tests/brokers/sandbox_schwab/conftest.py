"""The sandbox's Schwab service, spoken to over HTTP as Schwab's own clients would."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.brokers.sandbox_schwab.client import SchwabWire


@pytest.fixture
def wire(sandbox) -> Iterator[SchwabWire]:
    with httpx.Client(timeout=10, follow_redirects=False) as http:
        app = http.get(sandbox.services["schwab"] + "/sandbox/schwab/app").json()
        yield SchwabWire(http, sandbox.services["schwab"], app["app_key"], app["app_secret"], app["callback"])
