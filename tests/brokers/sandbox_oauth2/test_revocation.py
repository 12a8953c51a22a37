"""RFC 7009 revocation, and the user revoking the app at the broker."""

from __future__ import annotations

from tests.brokers.sandbox_oauth2.oauth_helpers import OAuthPeer, error_of


def test_revoking_an_access_token_ends_only_it(peer: OAuthPeer) -> None:
    login = peer.login()
    form = {
        "token": login.tokens["access_token"],
        "token_type_hint": "access_token",
        "client_id": login.client["client_id"],
    }
    response = peer.http.post(f"{peer.issuer}/revoke", data=form)
    assert response.status_code == 200
    assert peer.call("account", login.tokens["access_token"]).status_code == 401
    renewed = peer.refresh(login.client, login.tokens["refresh_token"])
    assert renewed.status_code == 200
    assert peer.call("account", renewed.json()["access_token"]).status_code == 200


def test_revoking_a_refresh_token_ends_the_grant(peer: OAuthPeer) -> None:
    login = peer.login()
    form = {"token": login.tokens["refresh_token"], "client_id": login.client["client_id"]}
    assert peer.http.post(f"{peer.issuer}/revoke", data=form).status_code == 200
    assert peer.call("account", login.tokens["access_token"]).status_code == 401
    assert error_of(peer.refresh(login.client, login.tokens["refresh_token"])) == "invalid_grant"
    state = peer.state()
    assert (state["revocations"], state["active_grants"]) == (1, 0)


def test_unknown_tokens_are_fine_but_clients_must_authenticate(peer: OAuthPeer) -> None:
    login = peer.login()
    unknown = peer.http.post(f"{peer.issuer}/revoke", data={"token": "nope", "client_id": login.client["client_id"]})
    assert unknown.status_code == 200
    stranger = peer.http.post(f"{peer.issuer}/revoke", data={"token": login.tokens["refresh_token"], "client_id": "x"})
    assert (stranger.status_code, error_of(stranger)) == (401, "invalid_client")
    other = peer.register()
    foreign = peer.http.post(
        f"{peer.issuer}/revoke", data={"token": login.tokens["refresh_token"], "client_id": other["client_id"]}
    )
    assert foreign.status_code == 200
    assert peer.call("account", login.tokens["access_token"]).status_code == 200, "another client revoked our token"
    missing = peer.http.post(f"{peer.issuer}/revoke", data={"client_id": login.client["client_id"]})
    assert error_of(missing) == "invalid_request"


def test_a_confidential_client_revokes_with_basic(peer: OAuthPeer) -> None:
    client = peer.register(token_endpoint_auth_method="client_secret_basic")
    code, verifier, _ = peer.code_for(client)
    tokens = peer.token(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "http://127.0.0.1:8765/cb",
            "code_verifier": verifier,
            "resource": peer.resource,
        },
        auth=(client["client_id"], client["client_secret"]),
    ).json()
    wrong = peer.http.post(
        f"{peer.issuer}/revoke", data={"token": tokens["access_token"]}, auth=(client["client_id"], "x")
    )
    assert (wrong.status_code, wrong.headers["www-authenticate"][:5]) == (401, "Basic")
    right = peer.http.post(
        f"{peer.issuer}/revoke",
        data={"token": tokens["access_token"]},
        auth=(client["client_id"], client["client_secret"]),
    )
    assert right.status_code == 200
    assert peer.call("account", tokens["access_token"]).status_code == 401


def test_revoke_all_is_the_user_removing_the_app(peer: OAuthPeer) -> None:
    first, second = peer.login(), peer.login()
    assert peer.http.post(f"{peer.base}/sandbox/oauth2/revoke-all").json() == {"revoked_grants": 2}
    for login in (first, second):
        assert peer.call("account", login.tokens["access_token"]).status_code == 401
        assert error_of(peer.refresh(login.client, login.tokens["refresh_token"])) == "invalid_grant"
    assert peer.state()["active_grants"] == 0
