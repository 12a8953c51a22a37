"""The trader's browser at the sandbox's Schwab: log in, Allow or Deny, then return to Brokerdeck over https.

The return goes to the app's own self-signed certificate; this browser trusts exactly that certificate (as a
trader does after "Proceed to 127.0.0.1"), read from the vault where the engine keeps it.
"""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass
from typing import Any

import httpx

from brokers.oauth2.store import OAuthStore
from brokers.schwab.profile import SchwabProfile
from brokers.vault import Vault

_REQUEST_ID = re.compile(r'name="request_id" value="([^"]+)"')
_PEM_CERTIFICATE = re.compile(rb"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n?", re.S)


def consent(url: str, decision: str = "allow") -> str:
    """Open the authorization URL, log in, press Allow or Deny; where Schwab sends the browser next."""
    with httpx.Client(follow_redirects=False, timeout=20) as http:
        page = http.get(url)
        assert page.status_code == 200, page.text
        request_id = _REQUEST_ID.search(page.text)
        assert request_id is not None, page.text
        base = url.split("/v1/oauth/authorize")[0]
        form = {"request_id": request_id.group(1), "username": "trader", "password": "sandbox", "decision": decision}
        answer = http.post(f"{base}/v1/oauth/authorize/decision", data=form)
        assert answer.status_code == 302, answer.text
        return answer.headers["location"]


def trusting_the_app(vault: Vault, profile: SchwabProfile) -> ssl.SSLContext:
    """A TLS context that trusts only the profile's loopback certificate."""
    bundle = OAuthStore(vault, profile.name).tls_material()
    assert bundle is not None, "the engine keeps the loopback certificate in the vault"
    certificate = _PEM_CERTIFICATE.search(bundle)
    assert certificate is not None
    return ssl.create_default_context(cadata=certificate.group(0).decode("ascii"))


def approve(vault: Vault, profile: SchwabProfile, url: str, decision: str = "allow") -> httpx.Response:
    """The whole browser round trip: consent, then the https return to Brokerdeck's listener."""
    location = consent(url, decision)
    return httpx.get(location, verify=trusting_the_app(vault, profile), timeout=20)


@dataclass
class SchwabSandbox:
    """The sandbox's Schwab service, its controls, and the profile that points at it."""

    http: httpx.Client
    base: str
    profile: SchwabProfile
    seed: int

    def app(self) -> dict[str, str]:
        return self._get("/sandbox/schwab/app")

    def state(self) -> dict[str, Any]:
        return self._get("/sandbox/schwab/state")

    def grants(self, grant_type: str) -> list[dict[str, str]]:
        return [r for r in self.state()["token_requests"] if r["grant_type"] == grant_type]

    def advance(self, seconds: float) -> None:
        self._post("/sandbox/schwab/advance", {"seconds": seconds})

    def settings(self, **lifetimes: float) -> None:
        self._post("/sandbox/schwab/settings", lifetimes)

    def revoke_all(self) -> None:
        self._post("/sandbox/schwab/revoke-all", {})

    def expire_access(self) -> None:
        self._post("/sandbox/schwab/expire-access", {})

    def new_secret(self, **body: float) -> str:
        """What the developer portal does: a new app secret; the old one keeps working for the grace period."""
        response = self.http.post(self.base + "/sandbox/schwab/app/secret", json=body)
        response.raise_for_status()
        return str(response.json()["app_secret"])

    def end_grace(self) -> None:
        self._post("/sandbox/schwab/app/end-grace", {})

    def _get(self, path: str) -> Any:
        response = self.http.get(self.base + path)
        response.raise_for_status()
        return response.json()

    def _post(self, path: str, body: dict[str, Any]) -> None:
        self.http.post(self.base + path, json=body).raise_for_status()
