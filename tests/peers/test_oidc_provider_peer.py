"""The oidc-provider peer works as the OAuth tests need it: metadata, DCR, and a real browser authorization."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from tests.browser import Browser
from tests.peers.loopback import LoopbackCatcher
from tests.peers.oidc_provider import OidcProviderPeer

CALLBACK_PATH = "/callback/peer-test"


def metadata(peer: OidcProviderPeer) -> dict[str, Any]:
    response = httpx.get(peer.metadata_url, timeout=10)
    response.raise_for_status()
    return response.json()


def register_native_client(peer: OidcProviderPeer) -> str:
    """DCR for a native public client with the port-less loopback redirect; returns its client_id."""
    response = httpx.post(
        metadata(peer)["registration_endpoint"],
        json={
            "application_type": "native",
            "token_endpoint_auth_method": "none",
            "redirect_uris": [f"http://127.0.0.1{CALLBACK_PATH}"],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "client_name": "Brokerdeck peer test",
        },
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()["client_id"]


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge) per RFC 7636."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()
    return verifier, challenge


def single_values(query: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(query, keep_blank_values=True).items()}


def test_metadata_is_rfc8414(oidc_provider: OidcProviderPeer) -> None:
    document = metadata(oidc_provider)

    assert document["issuer"] == oidc_provider.issuer
    assert oidc_provider.resource == f"{oidc_provider.issuer}/api"
    assert "S256" in document["code_challenge_methods_supported"]
    assert document["authorization_response_iss_parameter_supported"] is True
    assert document["registration_endpoint"].startswith(f"{oidc_provider.issuer}/")
    assert {"openid", "offline_access", "api:read"} <= set(document["scopes_supported"])
    assert {"authorization_code", "refresh_token"} <= set(document["grant_types_supported"])
    assert "revocation_endpoint" in document


def test_dynamic_client_registration_of_a_native_public_client(oidc_provider: OidcProviderPeer) -> None:
    client_id = register_native_client(oidc_provider)

    assert client_id


def test_peer_stops_on_exit() -> None:
    with OidcProviderPeer() as peer:
        url = peer.metadata_url
        process = peer._process
        assert process is not None

    assert process.returncode == 0
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=5)


@pytest.mark.e2e
def test_browser_authorization_code_with_pkce_and_refresh_rotation(
    oidc_provider: OidcProviderPeer, browser: Browser, loopback_catcher: LoopbackCatcher
) -> None:
    document = metadata(oidc_provider)
    client_id = register_native_client(oidc_provider)
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(16)
    # Registered without a port; the catcher's random port must be accepted (RFC 8252 §7.3).
    redirect_uri = loopback_catcher.url(CALLBACK_PATH)
    authorization_url = (
        document["authorization_endpoint"]
        + "?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "scope": "api:read",
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "resource": oidc_provider.resource,
            }
        )
    )

    final_url = browser.approve_oidc_provider(authorization_url)

    caught = loopback_catcher.wait_for(CALLBACK_PATH)
    assert final_url == loopback_catcher.url(caught)
    received = single_values(urlsplit(caught).query)
    assert received["code"]
    assert received["state"] == state
    assert received["iss"] == oidc_provider.issuer

    exchange = httpx.post(
        document["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": received["code"],
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
            "resource": oidc_provider.resource,
        },
        timeout=10,
    )
    assert exchange.status_code == 200, exchange.text
    tokens = exchange.json()
    assert tokens["token_type"] == "Bearer"
    assert tokens["access_token"]
    assert "." not in tokens["access_token"], "the API's access tokens are opaque, not JWTs"
    assert tokens["scope"] == "api:read"
    assert tokens["refresh_token"]

    refresh = httpx.post(
        document["token_endpoint"],
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": client_id},
        timeout=10,
    )
    assert refresh.status_code == 200, refresh.text
    refreshed = refresh.json()
    assert refreshed["access_token"]
    assert refreshed["access_token"] != tokens["access_token"]
    assert refreshed["refresh_token"]
    assert refreshed["refresh_token"] != tokens["refresh_token"], "the refresh token must rotate"

    reuse = httpx.post(
        document["token_endpoint"],
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": client_id},
        timeout=10,
    )
    assert reuse.status_code == 400
    assert reuse.json()["error"] == "invalid_grant"
