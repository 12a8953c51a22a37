"""Fixtures for tests against third-party peers: `oidc_provider`, `browser` and `loopback_catcher`.

They are defined next to what they start, so a conftest or test module elsewhere can import them the same way:
`from tests.browser import browser`, `from tests.peers.oidc_provider import oidc_provider`,
`from tests.peers.loopback import loopback_catcher`.
"""

from __future__ import annotations

from tests.browser import browser
from tests.peers.loopback import loopback_catcher
from tests.peers.oidc_provider import oidc_provider

__all__ = ["browser", "loopback_catcher", "oidc_provider"]
