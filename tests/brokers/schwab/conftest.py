"""Schwab connector tests run against the real sandbox process and the real (Secret Service backed) vault."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from app.sandbox import sandbox_profiles
from brokers.registry import REGISTRY
from brokers.schwab.profile import SchwabProfile
from tests.brokers.schwab.stand_in import SchwabSandbox


@pytest.fixture
def schwab(sandbox, vault) -> Iterator[SchwabSandbox]:
    profile = next(
        p for p in sandbox_profiles(sandbox.endpoints, REGISTRY.schema).profiles if p.name == "sandbox-schwab"
    )
    assert isinstance(profile, SchwabProfile)
    with httpx.Client(timeout=10, follow_redirects=False) as http:
        yield SchwabSandbox(http, sandbox.services["schwab"], profile, sandbox.endpoints.seed)
