"""The trader's browser and the sandbox's control routes, for engine tests, on the sandbox tests' own peer.

The real browser (Chromium) drives the same pages in tests/e2e; here the consent form is submitted by
`OAuthPeer` (plain httpx), so the engine's checks can be exercised quickly and many times.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from brokers.oauth2.profile import OAuth2Profile
from tests.brokers.sandbox_oauth2.oauth_helpers import OAuthPeer


def consent(url: str, decision: str = "allow") -> str:
    """Open the authorization URL, press Allow or Deny, and return where the server sends the browser."""
    base = url.split("/auth/authorize?")[0]
    with httpx.Client(follow_redirects=False, timeout=20) as http:
        return OAuthPeer(http, base, api="").sign_in(http.get(url), decision)


def follow(location: str) -> httpx.Response:
    """What the browser does next: load the redirect target (the app's loopback listener)."""
    return httpx.get(location, timeout=20)


def approve(url: str, decision: str = "allow") -> httpx.Response:
    return follow(consent(url, decision))


@dataclass
class SandboxAuth(OAuthPeer):
    """The sandbox's authorization server and API with the profile that points at them."""

    profile: OAuth2Profile

    def resource_settings(self, **values: Any) -> dict[str, Any]:
        response = self.http.post(f"{self.api}/sandbox/oauth2-api/settings", json=values)
        assert response.status_code == 200, response.text
        return response.json()

    def grants(self, grant_type: str) -> list[dict[str, Any]]:
        return [r for r in self.state()["token_requests"] if r["grant_type"] == grant_type]

    def expire_access(self) -> None:
        self.http.post(f"{self.base}/sandbox/oauth2/expire-access").raise_for_status()

    def revoke_all(self) -> None:
        self.http.post(f"{self.base}/sandbox/oauth2/revoke-all").raise_for_status()

    @property
    def account_url(self) -> str:
        return f"{self.api}/api/account"
