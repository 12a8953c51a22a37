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

    def calls(self, tool: str | None = None) -> list[dict[str, Any]]:
        """The tool calls that reached the endpoint (tool, ref_id, HTTP status or "lost"), oldest first."""
        return [c for c in self.state()["calls"] if tool in (None, c["tool"])]

    def orders(self) -> list[dict[str, Any]]:
        """Every order the sandbox holds, newest first (with its account_number)."""
        return list(self.http.get(f"{self.base}/sandbox/robinhood/orders").raise_for_status().json()["orders"])

    def advanced_orders(self) -> list[dict[str, Any]]:
        return list(self.http.get(f"{self.base}/sandbox/robinhood/orders").raise_for_status().json()["advanced_orders"])

    def advance(self, steps: int = 1, order_id: str | None = None) -> dict[str, Any]:
        """Move order states on by `steps` (every open order, or the one named)."""
        body: dict[str, Any] = {"steps": steps} | ({"order_id": order_id} if order_id else {})
        response = self.http.post(f"{self.base}/sandbox/robinhood/orders/advance", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def reset(self) -> dict[str, Any]:
        return self.http.post(f"{self.base}/sandbox/robinhood/reset").raise_for_status().json()

    def oauth_state(self) -> dict[str, Any]:
        return self.http.get(f"{self.base}/sandbox/oauth2/state").raise_for_status().json()

    def refreshes(self) -> list[dict[str, Any]]:
        return [r for r in self.oauth_state()["token_requests"] if r["grant_type"] == "refresh_token"]

    def expire_access(self) -> None:
        self.http.post(f"{self.base}/sandbox/oauth2/expire-access").raise_for_status()

    def revoke_all(self) -> None:
        self.http.post(f"{self.base}/sandbox/oauth2/revoke-all").raise_for_status()
