"""The sandbox's Schwab keeps Schwab's rules: exact callback, confidential app, short codes, a fixed 7-day
refresh horizon, Schwab's error bodies and the Trader API's account shapes."""

from __future__ import annotations

import json
import re

import pytest

DAY = 86400.0
HEX64 = re.compile(r"[0-9A-F]{64}")


def test_the_sandbox_offers_a_schwab_profile_on_an_https_loopback_callback(sandbox, wire):
    (profile,) = [p for p in sandbox.endpoints.profiles if p["name"] == "sandbox-schwab"]
    assert profile["kind"] == "schwab"
    assert profile["label"] == "Charles Schwab (sandbox)"
    assert profile["app_key"] == wire.app_key
    assert re.fullmatch(r"https://127\.0\.0\.1:\d+/schwab/callback", profile["callback"])
    assert profile["callback"] == wire.callback
    assert "app_secret" not in profile


@pytest.mark.parametrize("suffix", ["/", "x", "?a=1"])
def test_a_callback_other_than_the_registered_one_is_refused_with_a_page(wire, suffix):
    refused = wire.authorize(redirect_uri=wire.callback + suffix)
    assert refused.status_code == 400
    assert "Access Denied" in refused.text
    assert "location" not in refused.headers


def test_an_unknown_app_key_is_refused_with_a_page(wire):
    refused = wire.http.get(
        f"{wire.base}/v1/oauth/authorize", params={"client_id": "nobody", "redirect_uri": wire.callback}
    )
    assert refused.status_code == 400
    assert "unable to complete your request" in refused.text


def test_the_code_arrives_with_state_and_session_and_is_exchanged_with_http_basic(wire):
    answer = wire.code()
    assert answer["state"] == "s1"
    assert answer["session"]
    assert answer["code"].endswith("@")  # percent-encoded on the wire; the client must decode it

    assert wire.token({"grant_type": "authorization_code", "code": answer["code"]}, auth=None).json()["error"] == (
        "invalid_client"
    )
    tokens = wire.exchange(answer["code"])
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 1800
    assert body["scope"] == "api"
    assert {"access_token", "refresh_token", "id_token"} <= set(body)
    assert "refresh_token_expires_in" not in body  # Schwab does not announce the horizon


def test_a_wrong_secret_is_invalid_client(wire):
    answer = wire.code()
    refused = wire.token(
        {"grant_type": "authorization_code", "code": answer["code"], "redirect_uri": wire.callback},
        auth=(wire.app_key, "wrong"),
    )
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"


def test_a_code_is_single_use_expires_after_30_s_and_needs_the_exact_callback(wire):
    used = wire.code()["code"]
    assert wire.exchange(used).status_code == 200
    assert wire.exchange(used).json()["error"] == "invalid_grant"

    assert wire.exchange(wire.code()["code"], redirect_uri=wire.callback + "/").json()["error"] == "invalid_grant"

    late = wire.code()["code"]
    wire.control("advance", {"seconds": 31})
    assert wire.exchange(late).json()["error"] == "invalid_grant"


def test_the_refresh_horizon_counts_from_the_code_grant_not_from_renewals(wire):
    tokens = wire.signed_in()
    wire.control("advance", {"seconds": 6 * DAY})
    renewed = wire.refresh(tokens["refresh_token"])
    assert renewed.status_code == 200
    assert renewed.json()["refresh_token"] == tokens["refresh_token"]

    wire.control("advance", {"seconds": DAY})
    dead = wire.refresh(tokens["refresh_token"])
    assert dead.status_code == 400
    body = dead.json()
    assert body["error"] == "unsupported_token_type"
    prefix = "400 Bad Request: "
    assert body["error_description"].startswith(prefix)
    nested = json.loads(json.loads(body["error_description"][len(prefix) :]))
    assert nested["error"] == "refresh_token_authentication_error"
    assert "Failed refresh token authentication" in nested["error_description"]


def test_the_accounts_come_as_numbers_with_64_hex_hashes_then_by_hash(wire):
    access = wire.signed_in()["access_token"]
    pairs = wire.api("/accounts/accountNumbers", access).json()
    assert len(pairs) == 2
    assert all(HEX64.fullmatch(p["hashValue"]) for p in pairs)

    listed = wire.api("/accounts", access, fields="positions").json()
    kinds = {a["securitiesAccount"]["type"]: a["securitiesAccount"] for a in listed}
    assert set(kinds) == {"MARGIN", "CASH"}
    assert kinds["MARGIN"]["positions"]
    assert isinstance(kinds["MARGIN"]["currentBalances"]["buyingPower"], float)
    assert "hashValue" not in json.dumps(listed)
    assert all("positions" not in a["securitiesAccount"] for a in wire.api("/accounts", access).json())

    margin = next(p for p in pairs if p["accountNumber"] == kinds["MARGIN"]["accountNumber"])
    one = wire.api(f"/accounts/{margin['hashValue']}", access, fields="positions")
    assert one.status_code == 200
    assert one.json()["securitiesAccount"]["accountNumber"] == margin["accountNumber"]

    raw = wire.api(f"/accounts/{margin['accountNumber']}", access)
    assert raw.status_code == 400
    assert raw.json() == {"message": "Invalid account number"}


def test_the_trader_api_refuses_a_missing_expired_or_revoked_token_with_its_error_body(wire):
    tokens = wire.signed_in()
    assert wire.api("/accounts/accountNumbers", "nonsense").status_code == 401
    wire.control("expire-access")
    expired = wire.api("/accounts/accountNumbers", tokens["access_token"])
    assert expired.status_code == 401
    assert set(expired.json()) == {"message", "errors"}

    fresh = wire.refresh(tokens["refresh_token"]).json()["access_token"]
    assert wire.api("/accounts/accountNumbers", fresh).status_code == 200
    wire.control("revoke-all")
    assert wire.api("/accounts/accountNumbers", fresh).status_code == 401
    assert wire.refresh(tokens["refresh_token"]).json()["error"] == "unsupported_token_type"
