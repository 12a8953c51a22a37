"""Metadata discovery and dynamic client registration (RFC 8414, RFC 9728, RFC 7591)."""

from __future__ import annotations

import pytest

from app.sandbox import sandbox_profiles
from brokers.core.profiles import ProfileOrigin
from brokers.oauth2.profile import OAuth2Profile
from brokers.registry import REGISTRY
from brokers.sandbox.endpoints import SandboxEndpoints
from brokers.sandbox.oauth2.resource import ProtectedResourceEmulator
from brokers.sandbox.oauth2.server import OAuthServerEmulator
from tests.brokers.sandbox_oauth2.oauth_helpers import OAuthPeer


def test_metadata_is_served_only_at_the_path_inserted_url(peer: OAuthPeer) -> None:
    response = peer.http.get(f"{peer.base}/.well-known/oauth-authorization-server/auth")
    assert response.status_code == 200
    meta = response.json()
    assert meta["issuer"] == peer.issuer == f"{peer.base}/auth"
    assert meta["authorization_endpoint"] == f"{peer.issuer}/authorize"
    assert meta["token_endpoint"] == f"{peer.issuer}/token"
    assert meta["registration_endpoint"] == f"{peer.issuer}/register"
    assert meta["revocation_endpoint"] == f"{peer.issuer}/revoke"
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["response_types_supported"] == ["code"]
    assert meta["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert meta["token_endpoint_auth_methods_supported"] == ["none", "client_secret_basic", "client_secret_post"]
    assert meta["revocation_endpoint_auth_methods_supported"] == meta["token_endpoint_auth_methods_supported"]
    assert meta["scopes_supported"] == ["read", "trade", "offline_access"]
    assert meta["authorization_response_iss_parameter_supported"] is True
    for wrong in (
        "/.well-known/oauth-authorization-server",
        "/auth/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
        "/.well-known/openid-configuration/auth",
        "/auth/.well-known/openid-configuration",
    ):
        assert peer.http.get(peer.base + wrong).status_code == 404, wrong


def test_the_metadata_can_lie_about_its_issuer_and_drop_pkce(peer: OAuthPeer) -> None:
    peer.settings(issuer_override=peer.issuer + "/", pkce_methods=None)
    meta = peer.http.get(f"{peer.base}/.well-known/oauth-authorization-server/auth").json()
    assert meta["issuer"] == peer.issuer + "/"
    assert meta["token_endpoint"] == f"{peer.issuer}/token"
    assert "code_challenge_methods_supported" not in meta
    peer.settings(pkce_methods=["plain"])
    meta = peer.http.get(f"{peer.base}/.well-known/oauth-authorization-server/auth").json()
    assert meta["code_challenge_methods_supported"] == ["plain"]


def test_protected_resource_metadata_names_the_issuer(peer: OAuthPeer) -> None:
    response = peer.http.get(f"{peer.api}/.well-known/oauth-protected-resource/api")
    assert response.json() == {
        "resource": peer.resource,
        "authorization_servers": [peer.issuer],
        "scopes_supported": ["read", "trade", "offline_access"],
        "bearer_methods_supported": ["header"],
        "resource_name": "Sandbox Broker API",
    }
    assert peer.http.get(f"{peer.api}/.well-known/oauth-protected-resource").status_code == 404
    settings = f"{peer.api}/sandbox/oauth2-api/settings"
    changed = peer.http.post(settings, json={"resource_override": "https://evil.example/api"})
    assert changed.json() == {"resource_override": "https://evil.example/api", "authorization_servers_override": None}
    peer.http.post(settings, json={"authorization_servers_override": ["https://other.example"]})
    doc = peer.http.get(f"{peer.api}/.well-known/oauth-protected-resource/api").json()
    assert (doc["resource"], doc["authorization_servers"]) == ("https://evil.example/api", ["https://other.example"])
    assert peer.http.post(settings, json={"resource_override": 5}).status_code == 400
    assert peer.http.post(settings, json={"bogus": 1}).status_code == 400


def test_a_public_client_registers_and_gets_no_secret(peer: OAuthPeer) -> None:
    client = peer.register(client_name="Brokerdeck", application_type="native", scope="read offline_access")
    assert client["client_id"]
    assert isinstance(client["client_id_issued_at"], int)
    assert client["redirect_uris"] == ["http://127.0.0.1:8765/cb"]
    assert client["token_endpoint_auth_method"] == "none"
    assert client["grant_types"] == ["authorization_code", "refresh_token"]
    assert client["response_types"] == ["code"]
    assert (client["client_name"], client["application_type"], client["scope"]) == (
        "Brokerdeck",
        "native",
        "read offline_access",
    )
    assert "client_secret" not in client
    assert peer.state()["registrations"] == 1


def test_a_client_that_names_no_auth_method_gets_basic_and_a_secret(peer: OAuthPeer) -> None:
    response = peer.http.post(f"{peer.issuer}/register", json={"redirect_uris": ["https://app.example/cb"]})
    assert response.status_code == 201
    assert response.headers["cache-control"] == "no-store"
    client = response.json()
    assert client["token_endpoint_auth_method"] == "client_secret_basic"
    assert client["grant_types"] == ["authorization_code"]
    assert client["application_type"] == "web"
    assert len(client["client_secret"]) >= 32
    assert client["client_secret_expires_at"] == 0
    post = peer.register(token_endpoint_auth_method="client_secret_post")
    assert post["client_secret"] != client["client_secret"]


@pytest.mark.parametrize(
    ("metadata", "error"),
    [
        ({"redirect_uris": ["http://localhost:8765/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["http://LocalHost/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["http://app.example/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["http://192.168.1.5:8765/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://app.example/cb#frag"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["com.example.app:/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": []}, "invalid_redirect_uri"),
        ({}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://app.example/cb"], "token_endpoint_auth_method": "private_key_jwt"}, None),
        ({"redirect_uris": ["https://app.example/cb"], "grant_types": ["implicit"]}, None),
        ({"redirect_uris": ["https://app.example/cb"], "grant_types": ["password"]}, None),
        ({"redirect_uris": ["https://app.example/cb"], "response_types": ["token"]}, None),
        ({"redirect_uris": ["https://app.example/cb"], "scope": "read admin"}, None),
    ],
)
def test_registration_refuses_bad_metadata(peer: OAuthPeer, metadata: dict, error: str | None) -> None:
    response = peer.http.post(f"{peer.issuer}/register", json=metadata)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == (error or "invalid_client_metadata")
    assert body["error_description"]
    assert peer.state()["registrations"] == 0


def test_registration_wants_a_json_body(peer: OAuthPeer) -> None:
    response = peer.http.post(f"{peer.issuer}/register", data={"redirect_uris": "https://app.example/cb"})
    assert (response.status_code, response.json()["error"]) == (400, "invalid_client_metadata")


def test_loopback_ip_and_https_redirects_are_accepted(peer: OAuthPeer) -> None:
    uris = ["http://127.0.0.1/cb", "http://[::1]:9000/cb", "https://app.example/cb?x=1"]
    assert peer.register(redirect_uris=uris)["redirect_uris"] == uris


def test_the_resource_profile_table_builds_an_oauth2_profile() -> None:
    urls = {"oauth2": "http://127.0.0.1:5", "oauth2-api": "http://127.0.0.1:6", "control": "http://127.0.0.1:4"}
    assert OAuthServerEmulator().profiles(urls) == []
    tables = ProtectedResourceEmulator().profiles(urls)
    assert tables == [
        {
            "name": "sandbox-oauth2",
            "kind": "oauth2",
            "label": "OAuth 2.1 (sandbox)",
            "issuer": "http://127.0.0.1:5/auth",
            "resource": "http://127.0.0.1:6/api",
            "scopes": ["read", "trade", "offline_access"],
        }
    ]
    endpoints = SandboxEndpoints(pid=1, seed=1, started_at="x", services=urls, profiles=tuple(tables))
    (profile,) = sandbox_profiles(SandboxEndpoints.from_json(endpoints.to_json()), REGISTRY.schema).profiles
    assert isinstance(profile, OAuth2Profile)
    assert (profile.issuer, profile.resource, profile.scopes) == (
        "http://127.0.0.1:5/auth",
        "http://127.0.0.1:6/api",
        ("read", "trade", "offline_access"),
    )
    assert (profile.origin, profile.display_name) == (ProfileOrigin.SANDBOX, "OAuth 2.1 (sandbox)")


def test_the_running_sandbox_publishes_the_oauth2_profile(sandbox) -> None:
    tables = {t["name"]: t for t in sandbox.endpoints.profiles}
    assert tables["sandbox-oauth2"]["issuer"] == sandbox.services["oauth2"] + "/auth"
    assert tables["sandbox-oauth2"]["resource"] == sandbox.services["oauth2-api"] + "/api"
