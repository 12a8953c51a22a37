"""The sandbox's Schwab plays the developer portal in a secret rotation: a new app secret works at once, the
one it replaced keeps working beside it for a grace period, then only the new one does."""

from __future__ import annotations

import dataclasses

HOUR = 3600.0


def _new_secret(wire, **body):
    response = wire.http.post(f"{wire.base}/sandbox/schwab/app/secret", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def _app(wire):
    return wire.http.get(f"{wire.base}/sandbox/schwab/app").json()


def test_a_new_secret_works_at_once_and_the_old_one_until_its_grace_period_ends(wire):
    tokens = wire.signed_in()
    issued = _new_secret(wire, grace_s=HOUR)
    new = dataclasses.replace(wire, app_secret=issued["app_secret"])
    assert issued["app_secret"] != wire.app_secret
    assert _app(wire)["app_secret"] == issued["app_secret"]
    assert _app(wire)["app_secrets"] == [issued["app_secret"], wire.app_secret]

    assert new.refresh(tokens["refresh_token"]).status_code == 200
    assert wire.refresh(tokens["refresh_token"]).status_code == 200  # the old secret, inside its grace period
    state = wire.http.get(f"{wire.base}/sandbox/schwab/state").json()
    assert [r["app_secret"] for r in state["token_requests"][-2:]] == ["current", "replaced"]

    wire.control("advance", {"seconds": HOUR + 1})
    refused = wire.refresh(tokens["refresh_token"])
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"
    assert new.refresh(tokens["refresh_token"]).status_code == 200  # the grant itself lives on
    assert _app(wire)["app_secrets"] == [issued["app_secret"]]


def test_ending_the_grace_period_refuses_the_old_secret_at_once(wire):
    tokens = wire.signed_in()
    new = dataclasses.replace(wire, app_secret=_new_secret(wire)["app_secret"])
    assert wire.refresh(tokens["refresh_token"]).status_code == 200

    wire.http.post(f"{wire.base}/sandbox/schwab/app/end-grace").raise_for_status()

    assert wire.refresh(tokens["refresh_token"]).json()["error"] == "invalid_client"
    assert new.refresh(tokens["refresh_token"]).status_code == 200
    code = wire.code()["code"]
    assert wire.exchange(code).status_code == 401  # a sign-in with the old secret is refused too
    assert new.exchange(new.code()["code"]).status_code == 200


def test_the_grace_period_is_a_setting(wire):
    settings = wire.http.post(f"{wire.base}/sandbox/schwab/settings", json={"secret_grace_s": 0}).json()
    assert settings["secret_grace_s"] == 0
    tokens = wire.signed_in()
    _new_secret(wire)
    assert wire.refresh(tokens["refresh_token"]).json()["error"] == "invalid_client"
