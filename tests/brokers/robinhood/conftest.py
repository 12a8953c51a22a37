"""Robinhood connector tests run against the real sandbox process and the real (Secret Service backed) vault."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from app.sandbox import sandbox_profiles
from brokers.registry import REGISTRY
from brokers.robinhood.profile import RobinhoodProfile
from tests.brokers.robinhood.peer import RobinhoodSandbox


@pytest.fixture
def robinhood(sandbox) -> Iterator[RobinhoodSandbox]:
    with httpx.Client(timeout=20, follow_redirects=False) as http:
        yield RobinhoodSandbox(http, sandbox.services["robinhood"])


@pytest.fixture
def rh_profile(sandbox) -> RobinhoodProfile:
    profiles = sandbox_profiles(sandbox.endpoints, REGISTRY.schema).profiles
    profile = next(p for p in profiles if p.name == "sandbox-robinhood")
    assert isinstance(profile, RobinhoodProfile)
    return profile
