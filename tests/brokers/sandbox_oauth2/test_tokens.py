"""The token endpoint's authorization code grant and client authentication."""

from __future__ import annotations

import pytest

from tests.brokers.sandbox_oauth2.oauth_helpers import REDIRECT, OAuthPeer, error_of, pkce


def test_a_code_buys_tokens_that_the_resource_accepts(peer: OAuthPeer) -> None:
    client = peer.register()
    code, verifier, _ = peer.code_for(client)
    response = peer.exchange(client, code, verifier)
    assert response.status_code == 200, response.text
    assert (response.headers["cache-control"], response.headers["pragma"]) == ("no-store", "no-cache")
    tokens = response.json()
    assert set(tokens) == {
        "access_token",
        "token_type",
        "expires_in",
        "refresh_token",
        "scope",
        "refresh_token_expires_in",
    }
    assert (tokens["token_type"], tokens["expires_in"], tokens["scope"]) == (
        "Bearer",
        3600,
        "read trade offline_access",
    )
    assert 604000 < tokens["refresh_token_expires_in"] <= 604800
    account = peer.call("account", tokens["access_token"])
    assert account.status_code == 200
    assert account.json() == {
        "account_id": "SBX-0001",
        "name": "Sandbox Trader",
        "client_id": client["client_id"],
        "scope": "read trade offline_access",
    }
    assert peer.state()["active_grants"] == 1


def test_a_replayed_code_fails_and_revokes_what_it_bought(peer: OAuthPeer) -> None:
    login = peer.login()
    assert peer.call("account", login.tokens["access_token"]).status_code == 200
    replay = peer.exchange(login.client, login.code, login.verifier)
    assert (replay.status_code, error_of(replay)) == (400, "invalid_grant")
    assert "already used" in replay.json()["error_description"]
    assert peer.call("account", login.tokens["access_token"]).status_code == 401
    assert error_of(peer.refresh(login.client, login.tokens["refresh_token"])) == "invalid_grant"
    assert peer.state()["active_grants"] == 0


@pytest.mark.parametrize(
    "verifier",
    [
        pkce()[0],  # a well-formed verifier of another challenge
        "short",
        "x" * 129,
        "a" * 42 + "!",
    ],
)
def test_a_wrong_verifier_is_an_invalid_grant(peer: OAuthPeer, verifier: str) -> None:
    client = peer.register()
    code, _, _ = peer.code_for(client)
    response = peer.exchange(client, code, verifier)
    assert (response.status_code, error_of(response)) == (400, "invalid_grant")
    assert "PKCE" in response.json()["error_description"]


def test_a_missing_verifier_is_an_invalid_grant_and_burns_the_code(peer: OAuthPeer) -> None:
    client = peer.register()
    code, verifier, _ = peer.code_for(client)
    assert error_of(peer.exchange(client, code, "", code_verifier="")) == "invalid_grant"
    assert error_of(peer.exchange(client, code, verifier)) == "invalid_grant"


@pytest.mark.parametrize(
    "redirect_uri",
    ["http://127.0.0.1:8765/cb/", "http://127.0.0.1:8765/cB", "http://127.0.0.1:8766/cb", "http://[::1]:8765/cb"],
)
def test_a_redirect_uri_that_differs_by_one_byte_is_an_invalid_grant(peer: OAuthPeer, redirect_uri: str) -> None:
    client = peer.register()
    code, verifier, _ = peer.code_for(client)
    response = peer.exchange(client, code, verifier, redirect_uri=redirect_uri)
    assert (response.status_code, error_of(response)) == (400, "invalid_grant")


def test_the_token_request_must_repeat_the_authorize_port_not_the_registered_one(peer: OAuthPeer) -> None:
    client = peer.register()
    code, verifier, _ = peer.code_for(client, redirect_uri="http://127.0.0.1:54321/cb")
    assert error_of(peer.exchange(client, code, verifier, redirect_uri=REDIRECT)) == "invalid_grant"
    code, verifier, _ = peer.code_for(client, redirect_uri="http://127.0.0.1:54321/cb")
    assert peer.exchange(client, code, verifier, redirect_uri="http://127.0.0.1:54321/cb").status_code == 200


def test_a_missing_redirect_uri_is_an_invalid_request(peer: OAuthPeer) -> None:
    client = peer.register()
    code, verifier, _ = peer.code_for(client)
    assert error_of(peer.exchange(client, code, verifier, redirect_uri="")) == "invalid_request"


def test_a_different_resource_at_the_token_endpoint_is_an_invalid_target(peer: OAuthPeer) -> None:
    client = peer.register()
    code, verifier, _ = peer.code_for(client)
    response = peer.exchange(client, code, verifier, resource="https://other.example/api")
    assert (response.status_code, error_of(response)) == (400, "invalid_target")
    code, verifier, _ = peer.code_for(client, resource=None)
    assert error_of(peer.exchange(client, code, verifier)) == "invalid_target"


def test_omitting_the_resource_at_the_token_endpoint_keeps_the_authorized_one(peer: OAuthPeer) -> None:
    client = peer.register()
    code, verifier, _ = peer.code_for(client)
    tokens = peer.exchange(client, code, verifier, resource="").json()
    assert peer.call("account", tokens["access_token"]).status_code == 200


def test_a_code_is_bound_to_its_client(peer: OAuthPeer) -> None:
    owner, thief = peer.register(), peer.register()
    code, verifier, _ = peer.code_for(owner)
    assert error_of(peer.exchange(thief, code, verifier)) == "invalid_grant"
    assert peer.exchange(owner, code, verifier).status_code == 200


def test_a_confidential_client_authenticates_with_basic(peer: OAuthPeer) -> None:
    client = peer.register(token_endpoint_auth_method="client_secret_basic")
    code, verifier, _ = peer.code_for(client)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier}
    wrong = peer.token(form, auth=(client["client_id"], "not-the-secret"))
    assert (wrong.status_code, error_of(wrong)) == (401, "invalid_client")
    assert wrong.headers["www-authenticate"].startswith("Basic")
    no_auth = peer.token(form | {"client_id": client["client_id"]})
    assert (no_auth.status_code, error_of(no_auth)) == (401, "invalid_client")
    assert no_auth.headers["www-authenticate"].startswith("Basic")
    both = peer.token(
        form | {"client_secret": client["client_secret"]}, auth=(client["client_id"], client["client_secret"])
    )
    assert error_of(both) == "invalid_request"
    code, verifier, _ = peer.code_for(client)
    form |= {"code": code, "code_verifier": verifier}
    response = peer.token(form, auth=(client["client_id"], client["client_secret"]))
    assert response.status_code == 200, response.text


def test_a_post_client_sends_its_secret_in_the_body(peer: OAuthPeer) -> None:
    client = peer.register(token_endpoint_auth_method="client_secret_post")
    code, verifier, _ = peer.code_for(client)
    wrong = peer.exchange(client, code, verifier, client_secret="nope")
    assert (wrong.status_code, error_of(wrong)) == (401, "invalid_client")
    basic = peer.token(
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier},
        auth=(client["client_id"], client["client_secret"]),
    )
    assert error_of(basic) == "invalid_client"
    code, verifier, _ = peer.code_for(client)
    assert peer.exchange(client, code, verifier, client_secret=client["client_secret"]).status_code == 200


def test_public_and_unknown_clients(peer: OAuthPeer) -> None:
    client = peer.register()
    code, verifier, _ = peer.code_for(client)
    with_secret = peer.exchange(client, code, verifier, client_secret="invented")
    assert (with_secret.status_code, error_of(with_secret)) == (401, "invalid_client")
    unknown = peer.exchange({"client_id": "nobody"}, code, verifier)
    assert (unknown.status_code, error_of(unknown)) == (401, "invalid_client")
    anonymous = peer.token({"grant_type": "authorization_code", "code": code})
    assert (anonymous.status_code, error_of(anonymous)) == (401, "invalid_client")


def test_the_token_endpoint_takes_only_forms_with_known_grant_types(peer: OAuthPeer) -> None:
    client = peer.register()
    as_json = peer.http.post(f"{peer.issuer}/token", json={"grant_type": "client_credentials"})
    assert (as_json.status_code, error_of(as_json)) == (400, "invalid_request")
    assert as_json.headers["cache-control"] == "no-store"
    for grant_type in ("client_credentials", "password", "implicit"):
        response = peer.token({"grant_type": grant_type, "client_id": client["client_id"]})
        assert (response.status_code, error_of(response)) == (400, "unsupported_grant_type"), grant_type
    repeated = peer.http.post(
        f"{peer.issuer}/token",
        content=f"grant_type=authorization_code&grant_type=refresh_token&client_id={client['client_id']}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert error_of(repeated) == "invalid_request"


def test_a_client_registered_without_the_refresh_grant_gets_no_refresh_token(peer: OAuthPeer) -> None:
    client = peer.register(grant_types=["authorization_code"])
    login = peer.login(client)
    assert "refresh_token" not in login.tokens
    refresh = peer.token({"grant_type": "refresh_token", "refresh_token": "x", "client_id": client["client_id"]})
    assert error_of(refresh) == "unauthorized_client"


def test_injected_token_faults_answer_as_often_as_asked(peer: OAuthPeer) -> None:
    client = peer.register()
    code, verifier, _ = peer.code_for(client)
    armed = peer.settings(token_fault={"status": 503, "times": 2, "error": "temporarily_unavailable"})
    assert armed["token_fault"] == {"status": 503, "times": 2, "error": "temporarily_unavailable"}
    for _ in range(2):
        response = peer.exchange(client, code, verifier)
        assert response.status_code == 503
        assert response.json() == {"error": "temporarily_unavailable"}
    assert peer.exchange(client, code, verifier).status_code == 200
    peer.settings(token_fault={"status": 500})
    assert peer.refresh(client, "anything").json() == {"error": "server_error"}
    outcomes = [r["outcome"] for r in peer.state()["token_requests"]]
    assert outcomes == ["temporarily_unavailable", "temporarily_unavailable", "ok", "server_error"]
