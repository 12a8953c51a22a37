"""A bare Schwab client over httpx: authorize, consent, token requests and Trader API calls, nothing hidden."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

_REQUEST_ID = re.compile(r'name="request_id" value="([^"]+)"')


@dataclass
class SchwabWire:
    http: httpx.Client
    base: str
    app_key: str
    app_secret: str
    callback: str

    def authorize(self, redirect_uri: str | None = None, **extra: str) -> httpx.Response:
        params = {"client_id": self.app_key, "redirect_uri": redirect_uri or self.callback, **extra}
        return self.http.get(f"{self.base}/v1/oauth/authorize", params=params)

    def code(self, decision: str = "allow") -> dict[str, str]:
        """The callback's parameters after logging in and deciding."""
        page = self.authorize(state="s1")
        assert page.status_code == 200, page.text
        match = _REQUEST_ID.search(page.text)
        assert match is not None
        form = {"request_id": match.group(1), "username": "trader", "password": "pw", "decision": decision}
        answer = self.http.post(f"{self.base}/v1/oauth/authorize/decision", data=form)
        assert answer.status_code == 302
        location = answer.headers["location"]
        assert location.startswith(self.callback + "?")
        return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}

    def token(self, form: dict[str, str], auth: tuple[str, str] | bool | None = True) -> httpx.Response:
        basic = (self.app_key, self.app_secret) if auth is True else auth or None
        return self.http.post(f"{self.base}/v1/oauth/token", data=form, auth=basic)

    def exchange(self, code: str, redirect_uri: str | None = None) -> httpx.Response:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri or self.callback}
        return self.token(form)

    def refresh(self, refresh_token: str) -> httpx.Response:
        return self.token({"grant_type": "refresh_token", "refresh_token": refresh_token})

    def signed_in(self) -> dict[str, Any]:
        response = self.exchange(self.code()["code"])
        assert response.status_code == 200, response.text
        return response.json()

    def api(self, path: str, access_token: str, **params: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {access_token}"}
        return self.http.get(f"{self.base}/trader/v1{path}", params=params, headers=headers)

    def control(self, name: str, body: dict[str, Any] | None = None) -> None:
        self.http.post(f"{self.base}/sandbox/schwab/{name}", json=body or {}).raise_for_status()
