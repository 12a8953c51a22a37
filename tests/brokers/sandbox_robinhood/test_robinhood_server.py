"""The sandbox Robinhood server over plain HTTP, checked against what agent.robinhood.com was seen to answer."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from tests.brokers.robinhood.peer import RobinhoodSandbox
from tests.sandbox_runner import SandboxRunner

REDIRECT = "http://127.0.0.1:8765/callback"


@pytest.fixture(scope="module")
def server() -> Iterator[RobinhoodSandbox]:
    runner = SandboxRunner()
    try:
        with httpx.Client(timeout=20, follow_redirects=False) as http:
            yield RobinhoodSandbox(http, runner.services["robinhood"])
    finally:
        runner.close()


def metadata(server: RobinhoodSandbox) -> dict[str, Any]:
    return server.http.get(f"{server.base}/.well-known/oauth-authorization-server/mcp/trading").json()


def test_the_issuer_is_the_mcp_url_at_both_well_known_addresses(server):
    inserted = metadata(server)
    root = server.http.get(f"{server.base}/.well-known/oauth-authorization-server").json()
    assert inserted == root
    assert inserted["issuer"] == server.url
    assert inserted["code_challenge_methods_supported"] == ["S256"]
    assert inserted["scopes_supported"] == ["internal"]
    assert inserted["registration_endpoint"] == f"{server.base}/oauth/trading/register"
    assert inserted["token_endpoint"] == f"{server.base}/oauth2/token/"
    assert "revocation_endpoint" not in inserted
    resource = server.http.get(f"{server.base}/.well-known/oauth-protected-resource/mcp/trading").json()
    assert resource == {
        "resource": server.url,
        "authorization_servers": [server.url],
        "bearer_methods_supported": ["header"],
        "scopes_supported": ["internal"],
    }
    assert server.http.get(f"{server.base}/.well-known/openid-configuration").status_code == 404


def test_the_mcp_endpoint_answers_get_405_and_an_unauthenticated_post_401_naming_its_metadata(server):
    assert server.http.get(server.url).status_code == 405
    refused = server.http.post(server.url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
    assert refused.status_code == 401
    challenge = refused.headers["www-authenticate"]
    assert challenge == f'Bearer resource_metadata="{server.base}/.well-known/oauth-protected-resource/mcp/trading"'


def test_a_token_needs_the_resource_and_its_refresh_token_is_single_use(server):
    client = register(server)
    without = authorize(server, client, resource=None)
    assert parse_qs(urlsplit(without.headers["location"]).query)["error"] == ["invalid_target"]
    tokens = login(server, client)
    assert tokens["scope"] == "internal"
    rotated = refresh(server, client, tokens["refresh_token"])
    assert rotated.status_code == 200
    assert rotated.json()["refresh_token"] != tokens["refresh_token"]
    reused = refresh(server, client, tokens["refresh_token"])
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    after = refresh(server, client, rotated.json()["refresh_token"])  # reuse revoked the whole grant
    assert after.json()["error"] == "invalid_grant"


def test_a_granted_token_passes_the_endpoint_until_the_waitlist_says_no(server):
    tokens = login(server, register(server))
    headers = {"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json, text/event-stream"}
    hello = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    }
    assert server.http.post(server.url, json=hello, headers=headers).status_code == 200
    server.settings(waitlisted=True)
    try:
        waitlisted = server.http.post(server.url, json=hello, headers=headers)
    finally:
        server.settings(waitlisted=False)
    assert waitlisted.status_code == 403
    assert "waitlist" in waitlisted.json()["error_description"]
    assert (
        server.http.post(server.url, json=hello, headers={**headers, "Authorization": "Bearer nope"}).status_code == 401
    )


def test_bad_control_values_are_refused(server):
    for body in ({"agentic": 3}, {"throttle": -1}, {"waitlisted": "yes"}, {"colour": "red"}):
        assert server.http.post(f"{server.base}/sandbox/robinhood/settings", json=body).status_code == 400
    assert server.http.post(f"{server.base}/sandbox/robinhood/restart", json={"stateless": 1}).status_code == 400


# ---- a hand-written OAuth client (no engine code), as the generic server's tests do -------------


def register(server: RobinhoodSandbox) -> dict[str, Any]:
    body = {
        "client_name": "t",
        "redirect_uris": [REDIRECT],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        "scope": "internal",
    }
    response = server.http.post(f"{server.base}/oauth/trading/register", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def authorize(
    server: RobinhoodSandbox, client: dict[str, Any], *, resource: str | None, challenge: str = ""
) -> httpx.Response:
    query = {
        "response_type": "code",
        "client_id": client["client_id"],
        "redirect_uri": REDIRECT,
        "code_challenge": challenge or "x" * 43,
        "code_challenge_method": "S256",
        "state": "s",
        "scope": "internal",
    } | ({"resource": resource} if resource else {})
    page = server.http.get(f"{server.base}/oauth?" + urlencode(query))
    if page.status_code != 200:
        return page
    request_id = page.text.split('name="request_id" value="')[1].split('"')[0]
    form = {"request_id": request_id, "username": "trader", "password": "sandbox", "decision": "allow"}
    return server.http.post(f"{server.base}/oauth/decision", data=form)


def login(server: RobinhoodSandbox, client: dict[str, Any]) -> dict[str, Any]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    decided = authorize(server, client, resource=server.url, challenge=challenge)
    code = parse_qs(urlsplit(decided.headers["location"]).query)["code"][0]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
        "client_id": client["client_id"],
    }
    assert server.http.post(f"{server.base}/oauth2/token/", data=form).json()["error"] == "invalid_target"
    code = parse_qs(
        urlsplit(authorize(server, client, resource=server.url, challenge=challenge).headers["location"]).query
    )
    form["code"] = code["code"][0]
    response = server.http.post(f"{server.base}/oauth2/token/", data=form | {"resource": server.url})
    assert response.status_code == 200, response.text
    return response.json()


def refresh(server: RobinhoodSandbox, client: dict[str, Any], token: str) -> httpx.Response:
    form = {
        "grant_type": "refresh_token",
        "refresh_token": token,
        "client_id": client["client_id"],
        "resource": server.url,
    }
    return server.http.post(f"{server.base}/oauth2/token/", data=form)
