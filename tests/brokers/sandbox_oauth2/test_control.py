"""The sandbox-only controls: settings validation, reset, and a journal that holds no secrets."""

from __future__ import annotations

import json

import pytest

from tests.brokers.sandbox_oauth2.oauth_helpers import REDIRECT, OAuthPeer, error_of

DEFAULTS = {
    "access_ttl_s": 3600.0,
    "refresh_ttl_s": 604800.0,
    "rotation": "rotate",
    "any_port_loopback": True,
    "omit_iss": False,
    "iss_override": None,
    "issuer_override": None,
    "pkce_methods": ["S256"],
    "token_fault": None,
    "token_delay_s": 0.0,
}


def test_settings_return_everything_and_reset_restores_the_defaults(peer: OAuthPeer) -> None:
    changed = peer.settings(access_ttl_s=60, rotation="omit", iss_override="x", token_delay_s=0, pkce_methods=None)
    assert changed == DEFAULTS | {"access_ttl_s": 60.0, "rotation": "omit", "iss_override": "x", "pkce_methods": None}
    reset = peer.http.post(f"{peer.base}/sandbox/oauth2/reset")
    assert reset.json() == DEFAULTS


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"access_ttl_s": 0}, "access_ttl_s"),
        ({"access_ttl_s": -5}, "access_ttl_s"),
        ({"refresh_ttl_s": "7d"}, "refresh_ttl_s"),
        ({"refresh_ttl_s": True}, "refresh_ttl_s"),
        ({"rotation": "sometimes"}, "rotate, same, omit"),
        ({"any_port_loopback": "yes"}, "true or false"),
        ({"omit_iss": 1}, "true or false"),
        ({"iss_override": 3}, "iss_override"),
        ({"issuer_override": ["x"]}, "issuer_override"),
        ({"pkce_methods": "S256"}, "pkce_methods"),
        ({"token_fault": {"status": 302}}, "400 to 599"),
        ({"token_fault": {"status": 500, "times": 0}}, "times"),
        ({"token_fault": {"status": 500, "error": "two words"}}, "error"),
        ({"token_fault": {"status": 500, "when": "now"}}, "token_fault"),
        ({"token_delay_s": 31}, "at most 30"),
        ({"token_delay_s": -1}, "token_delay_s"),
        ({"rotaton": "same"}, "unknown setting"),
        ([], "JSON object"),
    ],
)
def test_bad_settings_are_refused_whole_with_a_reason(peer: OAuthPeer, body: object, says: str) -> None:
    # A valid setting rides along with the bad one: it must not be applied either.
    payload = {"rotation": "same"} | body if isinstance(body, dict) else body
    response = peer.http.post(f"{peer.base}/sandbox/oauth2/settings", json=payload)
    assert response.status_code == 400
    assert says in response.json()["message"]
    unchanged = peer.http.post(f"{peer.base}/sandbox/oauth2/settings", json={})
    assert unchanged.json() == DEFAULTS


def test_not_json_is_refused(peer: OAuthPeer) -> None:
    response = peer.http.post(f"{peer.base}/sandbox/oauth2/settings", content=b"rotation=same")
    assert response.status_code == 400


def test_the_state_records_facts_and_never_secrets(peer: OAuthPeer) -> None:
    confidential = peer.register(token_endpoint_auth_method="client_secret_post")
    code, verifier, _ = peer.code_for(confidential, state="the-state-value")
    page = peer.authorize(confidential["client_id"], "C" * 43)
    request_id = page.text.split('name="request_id" value="')[1].split('"')[0]
    tokens = peer.exchange(confidential, code, verifier, client_secret=confidential["client_secret"]).json()
    renewed = peer.refresh(confidential, tokens["refresh_token"], client_secret=confidential["client_secret"]).json()
    peer.exchange(confidential, code, verifier, client_secret=confidential["client_secret"])
    peer.http.post(
        f"{peer.issuer}/revoke",
        data={
            "token": renewed["refresh_token"],
            "client_id": confidential["client_id"],
            "client_secret": confidential["client_secret"],
        },
    )
    snapshot = peer.state()
    text = json.dumps(snapshot)
    secrets = [
        code,
        verifier,
        request_id,
        confidential["client_secret"],
        tokens["access_token"],
        tokens["refresh_token"],
        renewed["access_token"],
        renewed["refresh_token"],
        "the-state-value",
    ]
    assert [s for s in secrets if s in text] == []
    assert (snapshot["registrations"], snapshot["revocations"], snapshot["active_grants"]) == (1, 1, 0)
    first_authorize = snapshot["authorize_requests"][0]
    assert first_authorize == {
        "client_id": confidential["client_id"],
        "redirect_uri": REDIRECT,
        "resource": peer.resource,
        "scope": "read trade offline_access",
        "code_challenge_method": "S256",
        "has_state": True,
        "outcome": "ok",
    }
    exchange, refresh, replay = snapshot["token_requests"]
    assert exchange == {
        "grant_type": "authorization_code",
        "client_id": confidential["client_id"],
        "redirect_uri": REDIRECT,
        "resource": peer.resource,
        "scope": None,
        "has_code_verifier": True,
        "outcome": "ok",
    }
    assert (refresh["grant_type"], refresh["has_code_verifier"], refresh["outcome"]) == ("refresh_token", False, "ok")
    assert replay["outcome"] == "invalid_grant"


def test_the_journal_keeps_the_last_hundred(peer: OAuthPeer) -> None:
    for n in range(105):
        peer.http.get(f"{peer.issuer}/authorize", params={"client_id": f"c{n}"})
    requests = peer.state()["authorize_requests"]
    assert len(requests) == 100
    assert (requests[0]["client_id"], requests[-1]["client_id"]) == ("c5", "c104")


def test_advance_moves_the_clock_on_for_access_tokens_and_refresh_horizons(peer: OAuthPeer) -> None:
    login = peer.login()  # access tokens live 3600 s, the refresh horizon 7 days
    assert peer.advance(1800) == {"advanced_s": 1800.0, "expired_access_tokens": 0, "ended_refresh_horizons": 0}
    assert peer.call("account", login.tokens["access_token"]).status_code == 200
    assert peer.advance(1800) == {"advanced_s": 1800.0, "expired_access_tokens": 1, "ended_refresh_horizons": 0}
    assert peer.call("account", login.tokens["access_token"]).status_code == 401
    renewed = peer.refresh(login.client, login.tokens["refresh_token"]).json()
    assert renewed["refresh_token_expires_in"] <= 604800 - 3600  # the horizon moved with the clock
    assert peer.call("account", renewed["access_token"]).status_code == 200
    assert peer.advance(604800) == {"advanced_s": 604800.0, "expired_access_tokens": 1, "ended_refresh_horizons": 1}
    expired = peer.refresh(login.client, renewed["refresh_token"])
    assert (expired.status_code, error_of(expired)) == (400, "invalid_grant")
    assert expired.json()["error_description"] == "refresh token expired"
    assert peer.state()["active_grants"] == 0


def test_advance_ages_codes_and_counts_only_what_was_live(peer: OAuthPeer) -> None:
    client = peer.register()
    code, verifier, _ = peer.code_for(client)
    assert peer.advance(61) == {"advanced_s": 61.0, "expired_access_tokens": 0, "ended_refresh_horizons": 0}
    late = peer.exchange(client, code, verifier)
    assert (late.status_code, error_of(late)) == (400, "invalid_grant")
    assert late.json()["error_description"] == "the code has expired"
    peer.login()
    assert peer.http.post(f"{peer.base}/sandbox/oauth2/revoke-all").json() == {"revoked_grants": 1}
    assert peer.advance(604800) == {"advanced_s": 604800.0, "expired_access_tokens": 0, "ended_refresh_horizons": 0}


@pytest.mark.parametrize(
    "body",
    [{"seconds": 0}, {"seconds": -1}, {"seconds": "60"}, {"seconds": True}, {}, {"seconds": 1, "grant": "x"}, [60]],
)
def test_advance_only_moves_forward_and_refuses_anything_else(peer: OAuthPeer, body: object) -> None:
    login = peer.login()
    response = peer.http.post(f"{peer.base}/sandbox/oauth2/advance", json=body)
    assert response.status_code == 400
    assert "seconds" in response.json()["message"]
    assert peer.call("account", login.tokens["access_token"]).status_code == 200


def test_advance_refuses_a_clock_that_is_not_a_number(peer: OAuthPeer) -> None:
    for raw in (b'{"seconds": Infinity}', b'{"seconds": NaN}', b"seconds=60"):
        response = peer.http.post(f"{peer.base}/sandbox/oauth2/advance", content=raw)
        assert response.status_code == 400
