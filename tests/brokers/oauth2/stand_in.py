"""The trader's browser and the sandbox's control routes, played with plain httpx for engine tests.

The real browser (Chromium) drives the same pages in tests/e2e; here the consent form is submitted
directly so the engine's checks can be exercised quickly and many times.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx

from brokers.core.profiles import OAuth2Profile

_REQUEST_ID = re.compile(r'name="request_id" value="([^"]+)"')


def consent(url: str, decision: str = "allow") -> str:
    """Open the authorization URL, press Allow or Deny, and return where the server sends the browser."""
    with httpx.Client(follow_redirects=False, timeout=20) as http:
        page = http.get(url)
        assert page.status_code == 200, page.text[:300]
        request_id = _REQUEST_ID.search(page.text)
        assert request_id is not None, "the consent page has no request_id"
        issuer = url.split("/authorize?")[0]
        form = {"request_id": request_id.group(1), "username": "trader", "password": "sandbox", "decision": decision}
        answer = http.post(f"{issuer}/authorize/decision", data=form)
        assert answer.status_code == 302, answer.text[:300]
        return answer.headers["location"]


def follow(location: str) -> httpx.Response:
    """What the browser does next: load the redirect target (the app's loopback listener)."""
    return httpx.get(location, timeout=20)


def approve(url: str, decision: str = "allow") -> httpx.Response:
    return follow(consent(url, decision))


@dataclass
class SandboxAuth:
    """The sandbox's authorization server and API, as tests control and inspect them."""

    profile: OAuth2Profile
    auth_base: str
    api_base: str

    def settings(self, **values: Any) -> dict[str, Any]:
        response = httpx.post(f"{self.auth_base}/sandbox/oauth2/settings", json=values, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def resource_settings(self, **values: Any) -> dict[str, Any]:
        response = httpx.post(f"{self.api_base}/sandbox/oauth2-api/settings", json=values, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def state(self) -> dict[str, Any]:
        response = httpx.get(f"{self.auth_base}/sandbox/oauth2/state", timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def grants(self, grant_type: str) -> list[dict[str, Any]]:
        return [r for r in self.state()["token_requests"] if r["grant_type"] == grant_type]

    def expire_access(self) -> None:
        httpx.post(f"{self.auth_base}/sandbox/oauth2/expire-access", timeout=10).raise_for_status()

    def revoke_all(self) -> None:
        httpx.post(f"{self.auth_base}/sandbox/oauth2/revoke-all", timeout=10).raise_for_status()

    @property
    def account_url(self) -> str:
        return f"{self.api_base}/api/account"
