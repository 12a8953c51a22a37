"""Refresh tokens: rotation modes, reuse detection, the resource on refresh, the absolute horizon."""

from __future__ import annotations

from tests.brokers.sandbox_oauth2.oauth_helpers import OAuthPeer, error_of


def test_rotate_issues_a_new_refresh_token_and_retires_the_old(peer: OAuthPeer) -> None:
    login = peer.login()
    first = login.tokens["refresh_token"]
    response = peer.refresh(login.client, first)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    renewed = response.json()
    assert renewed["refresh_token"] != first
    assert renewed["access_token"] != login.tokens["access_token"]
    assert (renewed["token_type"], renewed["scope"]) == ("Bearer", "read trade offline_access")
    assert renewed["refresh_token_expires_in"] <= login.tokens["refresh_token_expires_in"]
    assert peer.call("account", renewed["access_token"]).status_code == 200
    again = peer.refresh(login.client, renewed["refresh_token"])
    assert again.status_code == 200


def test_a_rotated_out_refresh_token_revokes_the_whole_family(peer: OAuthPeer) -> None:
    login = peer.login()
    renewed = peer.refresh(login.client, login.tokens["refresh_token"]).json()
    reuse = peer.refresh(login.client, login.tokens["refresh_token"])
    assert (reuse.status_code, error_of(reuse)) == (400, "invalid_grant")
    assert "rotated out" in reuse.json()["error_description"]
    assert error_of(peer.refresh(login.client, renewed["refresh_token"])) == "invalid_grant"
    for access in (login.tokens["access_token"], renewed["access_token"]):
        assert peer.call("account", access).status_code == 401
    assert peer.state()["active_grants"] == 0


def test_same_returns_the_same_refresh_token(peer: OAuthPeer) -> None:
    assert peer.settings(rotation="same")["rotation"] == "same"
    login = peer.login()
    for _ in range(2):
        renewed = peer.refresh(login.client, login.tokens["refresh_token"]).json()
        assert renewed["refresh_token"] == login.tokens["refresh_token"]
        assert peer.call("positions", renewed["access_token"]).status_code == 200


def test_omit_sends_no_refresh_token_and_the_old_one_stays_valid(peer: OAuthPeer) -> None:
    peer.settings(rotation="omit")
    login = peer.login()
    for _ in range(2):
        response = peer.refresh(login.client, login.tokens["refresh_token"])
        assert response.status_code == 200, response.text
        assert "refresh_token" not in response.json()
        assert peer.call("account", response.json()["access_token"]).status_code == 200


def test_refresh_must_name_the_resource_again(peer: OAuthPeer) -> None:
    login = peer.login()
    missing = peer.refresh(login.client, login.tokens["refresh_token"], resource="")
    assert (missing.status_code, error_of(missing)) == (400, "invalid_target")
    other = peer.refresh(login.client, login.tokens["refresh_token"], resource="https://other.example/api")
    assert error_of(other) == "invalid_target"
    assert peer.refresh(login.client, login.tokens["refresh_token"]).status_code == 200


def test_refresh_may_narrow_the_scope_but_never_widen_it(peer: OAuthPeer) -> None:
    login = peer.login(scope="read offline_access")
    wider = peer.refresh(login.client, login.tokens["refresh_token"], scope="read trade")
    assert error_of(wider) == "invalid_scope"
    narrower = peer.refresh(login.client, login.tokens["refresh_token"], scope="read")
    assert narrower.json()["scope"] == "read"
    assert peer.call("account", narrower.json()["access_token"]).json()["scope"] == "read"


def test_a_refresh_token_works_only_for_its_client(peer: OAuthPeer) -> None:
    login = peer.login()
    other = peer.register()
    assert error_of(peer.refresh(other, login.tokens["refresh_token"])) == "invalid_grant"
    assert error_of(peer.refresh(login.client, "not-a-token")) == "invalid_grant"
    assert peer.refresh(login.client, login.tokens["refresh_token"]).status_code == 200


def test_the_refresh_horizon_is_absolute_from_the_authorization(peer: OAuthPeer) -> None:
    peer.settings(refresh_ttl_s=1.0, rotation="rotate")
    login = peer.login()
    assert login.tokens["refresh_token_expires_in"] == 1
    peer.advance(1.0)  # the horizon's second passes on the server
    expired = peer.refresh(login.client, login.tokens["refresh_token"])
    assert (expired.status_code, error_of(expired)) == (400, "invalid_grant")
    assert expired.json()["error_description"] == "refresh token expired"
    assert peer.state()["active_grants"] == 0


def test_expire_access_ends_every_access_token_but_not_the_refresh(peer: OAuthPeer) -> None:
    login = peer.login()
    expired = peer.http.post(f"{peer.base}/sandbox/oauth2/expire-access")
    assert expired.json() == {"expired_access_tokens": 1}
    response = peer.call("account", login.tokens["access_token"])
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    renewed = peer.refresh(login.client, login.tokens["refresh_token"]).json()
    assert peer.call("account", renewed["access_token"]).status_code == 200


def test_a_short_access_ttl_is_reported_and_enforced(peer: OAuthPeer) -> None:
    peer.settings(access_ttl_s=0.5)
    login = peer.login()
    assert login.tokens["expires_in"] == 1
    peer.advance(0.5)  # the access token's half second passes on the server
    assert peer.call("account", login.tokens["access_token"]).status_code == 401
