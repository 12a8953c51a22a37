"""The trader's browser on the sandbox Robinhood consent page, and the sandbox's Robinhood controls."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

_REQUEST_ID = re.compile(r'name="request_id" value="([^"]+)"')
_ACTION = re.compile(r'<form method="post" action="([^"]+)"')


def approve(url: str, decision: str = "allow") -> httpx.Response:
    """Open the authorization URL, sign in, press Allow (or Deny), and follow the redirect to the app."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    with httpx.Client(follow_redirects=False, timeout=20) as http:
        page = http.get(url)
        assert page.status_code == 200, page.text
        request_id, action = _REQUEST_ID.search(page.text), _ACTION.search(page.text)
        assert request_id is not None, page.text
        assert action is not None, page.text
        form = {"request_id": request_id.group(1), "username": "trader", "password": "sandbox", "decision": decision}
        decided = http.post(origin + action.group(1), data=form)
        assert decided.status_code == 302, decided.text
        return http.get(decided.headers["location"])


@dataclass
class RobinhoodSandbox:
    """The sandbox's Robinhood service: its MCP URL and the controls tests use."""

    http: httpx.Client
    base: str

    @property
    def url(self) -> str:
        return f"{self.base}/mcp/trading"

    def settings(self, **values: Any) -> dict[str, Any]:
        response = self.http.post(f"{self.base}/sandbox/robinhood/settings", json=values)
        assert response.status_code == 200, response.text
        return response.json()

    def restart(self, **values: Any) -> dict[str, Any]:
        response = self.http.post(f"{self.base}/sandbox/robinhood/restart", json=values)
        assert response.status_code == 200, response.text
        return response.json()

    def state(self) -> dict[str, Any]:
        return self.http.get(f"{self.base}/sandbox/robinhood/state").raise_for_status().json()

    def requests(self) -> list[dict[str, Any]]:
        return list(self.state()["requests"])

    def oauth_state(self) -> dict[str, Any]:
        return self.http.get(f"{self.base}/sandbox/oauth2/state").raise_for_status().json()

    def refreshes(self) -> list[dict[str, Any]]:
        return [r for r in self.oauth_state()["token_requests"] if r["grant_type"] == "refresh_token"]

    def expire_access(self) -> None:
        self.http.post(f"{self.base}/sandbox/oauth2/expire-access").raise_for_status()

    def revoke_all(self) -> None:
        self.http.post(f"{self.base}/sandbox/oauth2/revoke-all").raise_for_status()
