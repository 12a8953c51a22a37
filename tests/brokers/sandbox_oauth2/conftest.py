"""The `peer` fixture: an OAuth peer bound to a fresh sandbox process per test."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.brokers.sandbox_oauth2.oauth_helpers import OAuthPeer


@pytest.fixture
def peer(sandbox) -> Iterator[OAuthPeer]:
    with httpx.Client(timeout=10, follow_redirects=False) as http:
        yield OAuthPeer(http, sandbox.services["oauth2"], sandbox.services["oauth2-api"])
