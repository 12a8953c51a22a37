"""Engine tests run against the real sandbox process and the real (Secret Service backed) vault."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from app.sandbox import sandbox_profiles
from brokers.oauth2.profile import OAuth2Profile
from brokers.registry import REGISTRY
from tests.brokers.oauth2.stand_in import SandboxAuth


@pytest.fixture
def auth(sandbox, vault) -> Iterator[SandboxAuth]:
    profile = next(
        p for p in sandbox_profiles(sandbox.endpoints, REGISTRY.schema).profiles if p.name == "sandbox-oauth2"
    )
    assert isinstance(profile, OAuth2Profile)
    with httpx.Client(timeout=10, follow_redirects=False) as http:
        yield SandboxAuth(http, sandbox.services["oauth2"], sandbox.services["oauth2-api"], profile)
