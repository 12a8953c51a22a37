"""End-to-end fixtures: a real headless Chromium and the third-party OAuth server."""

from __future__ import annotations

from tests.browser import browser
from tests.peers.oidc_provider import oidc_provider

__all__ = ["browser", "oidc_provider"]
