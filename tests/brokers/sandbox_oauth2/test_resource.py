"""The protected resource: RFC 6750 challenges with RFC 9728 metadata, and the audience check."""

from __future__ import annotations

from brokers.sandbox.market import DEFAULT_INSTRUMENTS
from tests.brokers.sandbox_oauth2.oauth_helpers import OAuthPeer


def test_no_token_gets_a_bare_challenge_naming_the_metadata(peer: OAuthPeer) -> None:
    metadata_url = f"{peer.api}/.well-known/oauth-protected-resource/api"
    for path in ("account", "positions"):
        response = peer.call(path, None)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == f'Bearer resource_metadata="{metadata_url}"'
        assert "error" not in response.json(), "no credentials is not an error code (RFC 6750 §3.1)"
    basic = peer.http.get(f"{peer.api}/api/account", auth=("user", "pass"))
    assert basic.headers["www-authenticate"] == f'Bearer resource_metadata="{metadata_url}"'


def test_a_bad_token_gets_invalid_token(peer: OAuthPeer) -> None:
    response = peer.call("account", "made-up")
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer error="invalid_token", error_description="')
    assert challenge.endswith(f'resource_metadata="{peer.api}/.well-known/oauth-protected-resource/api"')
    assert response.json()["error"] == "invalid_token"


def test_a_token_in_the_url_is_refused_even_a_good_one(peer: OAuthPeer) -> None:
    login = peer.login()
    response = peer.http.get(f"{peer.api}/api/account", params={"access_token": login.tokens["access_token"]})
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "send the token in the Authorization header, never in the URL",
    }
    both = peer.http.get(
        f"{peer.api}/api/account",
        params={"access_token": "x"},
        headers={"Authorization": f"Bearer {login.tokens['access_token']}"},
    )
    assert both.status_code == 400


def test_a_token_without_this_audience_is_no_token(peer: OAuthPeer) -> None:
    login = peer.login(resource=None)
    assert login.tokens["access_token"]
    response = peer.call("account", login.tokens["access_token"])
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_the_bearer_scheme_is_case_insensitive(peer: OAuthPeer) -> None:
    login = peer.login()
    response = peer.http.get(
        f"{peer.api}/api/account", headers={"Authorization": f"bearer {login.tokens['access_token']}"}
    )
    assert response.status_code == 200


def test_positions_come_from_the_market_instruments(peer: OAuthPeer) -> None:
    login = peer.login()
    response = peer.call("positions", login.tokens["access_token"])
    assert response.status_code == 200
    body = response.json()
    assert body["account_id"] == "SBX-0001"
    assert [p["symbol"] for p in body["positions"]] == [i.symbol for i in DEFAULT_INSTRUMENTS]
    assert all(isinstance(p["quantity"], int) and p["quantity"] > 0 for p in body["positions"])


def test_a_token_without_the_read_scope_is_forbidden(peer: OAuthPeer) -> None:
    login = peer.login(scope="trade")
    response = peer.call("account", login.tokens["access_token"])
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
    assert 'scope="read"' in response.headers["www-authenticate"]
