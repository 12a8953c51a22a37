"""A hand-written OAuth 2.1 peer for the sandbox's authorization server tests, with httpx only.

It shares no code with the emulator (or with Brokerdeck's OAuth client): PKCE, the browser's
clicks on the consent page and the token requests are spelled out here from the RFCs, so each
side is checked against the other.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

REDIRECT = "http://127.0.0.1:8765/cb"
ALL_SCOPES = "read trade offline_access"
_REQUEST_ID = re.compile(r'name="request_id" value="([^"]+)"')


def pkce() -> tuple[str, str]:
    """(verifier, S256 challenge) per RFC 7636 §4.1-4.2."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def query_of(location: str) -> dict[str, str]:
    """The parameters of a redirect, each expected once."""
    parsed = parse_qs(urlsplit(location).query, keep_blank_values=True)
    assert all(len(v) == 1 for v in parsed.values()), location
    return {k: v[0] for k, v in parsed.items()}


@dataclass
class Login:
    """What one authorization produced: the client's view of it."""

    client: dict[str, Any]
    verifier: str
    state: str
    code: str
    tokens: dict[str, Any]


@dataclass
class OAuthPeer:
    """The client and the user's browser, both played with one httpx client that never follows redirects."""

    http: httpx.Client
    base: str
    api: str

    @property
    def issuer(self) -> str:
        return f"{self.base}/auth"

    @property
    def resource(self) -> str:
        return f"{self.api}/api"

    # ---- sandbox controls ---------------------------------------------------------------------

    def settings(self, **values: Any) -> dict[str, Any]:
        response = self.http.post(f"{self.base}/sandbox/oauth2/settings", json=values)
        assert response.status_code == 200, response.text
        return response.json()

    def state(self) -> dict[str, Any]:
        response = self.http.get(f"{self.base}/sandbox/oauth2/state")
        assert response.status_code == 200, response.text
        return response.json()

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move the server's clock `seconds` on for everything it has issued (no waiting)."""
        response = self.http.post(f"{self.base}/sandbox/oauth2/advance", json={"seconds": seconds})
        assert response.status_code == 200, response.text
        return response.json()

    # ---- registration and the browser ---------------------------------------------------------

    def register(self, **metadata: Any) -> dict[str, Any]:
        body = {"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"} | metadata
        body.setdefault("grant_types", ["authorization_code", "refresh_token"])
        response = self.http.post(f"{self.issuer}/register", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def authorize(self, client_id: str, challenge: str | None = None, **params: str | None) -> httpx.Response:
        """GET the authorization endpoint; a None value leaves that parameter out."""
        query: dict[str, str | None] = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": "st-" + secrets.token_urlsafe(8),
            "resource": self.resource,
            "scope": ALL_SCOPES,
        } | params
        url = f"{self.issuer}/authorize?" + urlencode({k: v for k, v in query.items() if v is not None})
        return self.http.get(url)

    def decide(self, page: httpx.Response, decision: str = "allow", **fields: str) -> httpx.Response:
        """Submit the consent form the way a browser does when #approve or #deny is clicked."""
        assert page.status_code == 200, page.text
        match = _REQUEST_ID.search(page.text)
        assert match is not None, "the consent page has no request_id field"
        form = {"request_id": match.group(1), "username": "trader", "password": "sandbox", "decision": decision}
        return self.http.post(f"{self.issuer}/authorize/decision", data=form | fields)

    def sign_in(self, page: httpx.Response, decision: str = "allow") -> str:
        """The Location the browser is sent to after the user's decision."""
        response = self.decide(page, decision)
        assert response.status_code == 302, response.text
        return response.headers["location"]

    # ---- token endpoint and resource ----------------------------------------------------------

    def token(self, form: dict[str, str], auth: tuple[str, str] | None = None) -> httpx.Response:
        return self.http.post(f"{self.issuer}/token", data=form, auth=auth)

    def exchange(self, client: dict[str, Any], code: str, verifier: str, **extra: str) -> httpx.Response:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
            "client_id": client["client_id"],
            "resource": self.resource,
        } | extra
        return self.token({k: v for k, v in form.items() if v})

    def refresh(self, client: dict[str, Any], refresh_token: str, **extra: str) -> httpx.Response:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": client["client_id"],
            "resource": self.resource,
        } | extra
        return self.token({k: v for k, v in form.items() if v})

    def code_for(self, client: dict[str, Any], **params: str | None) -> tuple[str, str, str]:
        """Authorize and allow: (code, verifier, state)."""
        verifier, challenge = pkce()
        location = self.sign_in(self.authorize(client["client_id"], challenge, **params))
        query = query_of(location)
        assert "code" in query, location
        return query["code"], verifier, query["state"]

    def login(self, client: dict[str, Any] | None = None, **params: str | None) -> Login:
        """A full authorization code flow for a (new public) client, up to the first tokens."""
        client = client or self.register()
        code, verifier, state = self.code_for(client, **params)
        resource = params.get("resource", self.resource)
        response = self.exchange(client, code, verifier, resource=resource or "")
        assert response.status_code == 200, response.text
        return Login(client, verifier, state, code, response.json())

    def call(self, path: str, token: str | None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        return self.http.get(f"{self.api}/api/{path}", headers=headers)


def error_of(response: httpx.Response) -> str:
    return response.json()["error"]
