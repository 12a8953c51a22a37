"""The IBKR emulator's OAuth 2.0 over real HTTP: client assertions, access tokens, SSO sessions, Bearer."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.brokers.sandbox_ibkr.client_helpers import ibkr_sandbox
from tests.brokers.sandbox_ibkr.oauth2_helpers import (
    ACCOUNT,
    CLIENT_ID,
    CREDENTIAL,
    INVALID_REQUEST,
    NOT_AUTHENTICATED,
    Oauth2Client,
    b64url,
    brokerage,
    call,
    decoded,
    part,
    problem_of,
    public_pem,
    register,
    registered,
    sign,
)
from tests.conftest import run_async

Scenario = Callable[[httpx.AsyncClient, str], Awaitable[None]]


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=3072)


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=3072)


def in_sandbox(scenario: Scenario) -> None:
    async def run() -> None:
        async with ibkr_sandbox() as (client, root):
            await scenario(client, root)

    run_async(run)


def test_token_then_sso_session_then_the_cp_api_with_bearer(key: rsa.RSAPrivateKey) -> None:
    async def scenario(client: httpx.AsyncClient, root: str) -> None:
        firm = await registered(client, root, key)

        response = await firm.request_token(client)
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["token_type"], body["scope"], body["expires_in"]) == ("Bearer", "sso-sessions.write", 86399)
        head, claims, _ = body["access_token"].split(".")
        assert (decoded(head)["alg"], decoded(head)["typ"]) == ("RS256", "JWT")
        claims = decoded(claims)
        assert (claims["iss"], claims["sub"], claims["csid"]) == ("/token", CLIENT_ID, CLIENT_ID)
        assert (claims["scope"], claims["accountId"], claims["exp"] - claims["iat"]) == (body["scope"], ACCOUNT, 86399)

        session = await firm.request_session(client, body["access_token"])
        assert session.status_code == 200, session.text
        assert (session.json()["active"], session.json()["token_type"]) == (True, "Bearer")
        sso = session.json()["access_token"]

        portfolio = await call(client, root, sso, "GET", "/portfolio/accounts")
        assert [row["id"] for row in portfolio.json()] == [ACCOUNT]  # the read-only session exists at once
        assert (await call(client, root, sso, "GET", "/iserver/accounts")).json()["error"] == "Bad Request: no bridge"

        tickle = (await call(client, root, sso, "POST", "/tickle")).json()
        cookie = tickle["session"]
        assert 0 < tickle["ssoExpires"] <= 86400 * 1000
        init = await call(client, root, sso, "POST", "/iserver/auth/ssodh/init", cookie, {"publish": True})
        assert (init.status_code, init.json()["authenticated"]) == (200, True)
        accounts = await call(client, root, sso, "GET", "/iserver/accounts", cookie)
        assert (accounts.json()["accounts"], accounts.json()["selectedAccount"]) == ([ACCOUNT], ACCOUNT)
        assert (await call(client, root, sso, "POST", "/iserver/auth/status")).json()["authenticated"] is True

    in_sandbox(scenario)


def test_a_registered_key_is_listed_without_the_key_and_rotation_adds_a_kid(
    key: rsa.RSAPrivateKey, other_key: rsa.RSAPrivateKey
) -> None:
    async def scenario(client: httpx.AsyncClient, root: str) -> None:
        first = await register(client, root, key)
        assert first.json() == {
            "client_id": CLIENT_ID,
            "key_id": "main",
            "credential": CREDENTIAL,
            "accounts": [ACCOUNT],
        }
        rotated = await register(client, root, other_key, key_id="main-2")
        assert rotated.status_code == 200, rotated.text
        listed = (await client.get(f"{root}/sandbox/ibkr/oauth2/clients")).json()
        assert listed == [
            {"client_id": CLIENT_ID, "key_ids": ["main", "main-2"], "credential": CREDENTIAL, "accounts": [ACCOUNT]}
        ]
        assert "PUBLIC KEY" not in str(listed)
        for signer, kid in ((key, "main"), (other_key, "main-2")):
            assert (await Oauth2Client(root, signer, kid=kid).request_token(client)).status_code == 200
        crossed = await Oauth2Client(root, other_key, kid="main").request_token(client)
        assert (crossed.status_code, problem_of(crossed)) == (401, INVALID_REQUEST)

    in_sandbox(scenario)


def test_keys_shorter_than_3072_bits_and_bad_registrations_are_refused(key: rsa.RSAPrivateKey) -> None:
    short = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    async def scenario(client: httpx.AsyncClient, root: str) -> None:
        refused = await register(client, root, short)
        assert refused.status_code == 400
        assert "2048 bits" in refused.json()["error"]
        assert "3072" in refused.json()["error"]
        assert (await client.get(f"{root}/sandbox/ibkr/oauth2/clients")).json() == []
        for bad in ({"public_key_pem": "not a key"}, {"key_id": ""}, {"accounts": ["nope"]}, {"credential": 7}):
            assert (await register(client, root, key, **bad)).status_code == 400, bad
        assert (await register(client, root, key)).status_code == 200
        taken = await register(client, root, key, client_id="BDOTHER")
        assert taken.status_code == 400
        assert CREDENTIAL in taken.json()["error"]

    in_sandbox(scenario)


@pytest.mark.parametrize(
    "what",
    ["wrong kid", "wrong aud", "full url aud", "expired", "future iat", "too long", "sub differs", "unknown iss"],
)
def test_a_token_assertion_failing_one_check_is_refused_401(key: rsa.RSAPrivateKey, what: str) -> None:
    now = int(time.time())

    async def scenario(client: httpx.AsyncClient, root: str) -> None:
        firm = await registered(client, root, key)
        if what == "wrong kid":
            assertion = sign(firm.header(kid="other"), firm.token_claims(), key)
        else:
            overrides = {
                "wrong aud": {"aud": "/gw"},
                "full url aud": {"aud": root + "/oauth2/api/v1/token"},
                "expired": {"iat": now - 90, "exp": now - 60},
                "future iat": {"iat": now + 120, "exp": now + 140},
                "too long": {"iat": now, "exp": now + 601},
                "sub differs": {"sub": "someone"},
                "unknown iss": {"iss": "NOBODY", "sub": "NOBODY"},
            }[what]
            assertion = firm.assertion(**overrides)
        response = await firm.request_token(client, assertion)
        assert (response.status_code, problem_of(response)) == (401, INVALID_REQUEST)
        assert (await firm.request_token(client)).status_code == 200  # the same firm, every check passing

    in_sandbox(scenario)


@pytest.mark.parametrize("alg", ["HS256", "none", "RS512"])
def test_only_rs256_is_accepted(key: rsa.RSAPrivateKey, alg: str) -> None:
    async def scenario(client: httpx.AsyncClient, root: str) -> None:
        firm = await registered(client, root, key)
        signing_input = f"{part(firm.header(alg=alg))}.{part(firm.token_claims())}"
        if alg == "HS256":  # the classic confusion: the public key's PEM used as an HMAC secret
            mac = hmac.new(public_pem(key).encode(), signing_input.encode(), hashlib.sha256).digest()
            assertion = f"{signing_input}.{b64url(mac)}"
        elif alg == "none":
            assertion = f"{signing_input}."
        else:
            assertion = sign(firm.header(alg=alg), firm.token_claims(), key)
        response = await firm.request_token(client, assertion)
        assert (response.status_code, problem_of(response)) == (401, INVALID_REQUEST)

    in_sandbox(scenario)


def test_a_tampered_assertion_is_refused(key: rsa.RSAPrivateKey, other_key: rsa.RSAPrivateKey) -> None:
    async def scenario(client: httpx.AsyncClient, root: str) -> None:
        firm = await registered(client, root, key)
        genuine = firm.assertion()
        head, _, signature = genuine.split(".")
        stretched = f"{head}.{part(firm.token_claims(exp=int(time.time()) + 500))}.{signature}"
        flipped_signature = genuine[:-2] + ("BA" if genuine.endswith("AA") else "AA")
        by_another_key = sign(firm.header(), firm.token_claims(), other_key)
        padded = genuine + "=="
        for assertion in (stretched, flipped_signature, by_another_key, padded, "a.b", "not-a-jws"):
            response = await firm.request_token(client, assertion)
            assert (response.status_code, problem_of(response)) == (401, INVALID_REQUEST), assertion

    in_sandbox(scenario)


def test_a_reused_jti_is_refused_until_its_assertion_expires(key: rsa.RSAPrivateKey) -> None:
    async def scenario(client: httpx.AsyncClient, root: str) -> None:
        firm = await registered(client, root, key)
        jti = secrets.token_hex(8)
        assertion = firm.assertion(jti=jti)
        assert (await firm.request_token(client, assertion)).status_code == 200
        replay = await firm.request_token(client, assertion)
        assert (replay.status_code, problem_of(replay)) == (401, INVALID_REQUEST)
        assert (await firm.request_token(client, firm.assertion(jti=jti))).status_code == 401  # a new iat, same jti
        assert (await firm.request_token(client, firm.assertion(jti=secrets.token_hex(8)))).status_code == 200
        assert (await firm.request_token(client, firm.assertion())).status_code == 200  # jti stays optional
        assert (await firm.request_token(client, firm.assertion())).status_code == 200

    in_sandbox(scenario)


def test_the_token_endpoint_takes_only_its_form(key: rsa.RSAPrivateKey) -> None:
    async def scenario(client: httpx.AsyncClient, root: str) -> None:
        firm = await registered(client, root, key)
        url = root + "/oauth2/api/v1/token"
        form = {
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": firm.assertion(),
            "scope": "sso-sessions.write",
        }
        as_json = await client.post(url, json=form)
        assert (as_json.status_code, problem_of(as_json)) == (
            400,
            {"type": "/simple", "title": "Bad Request", "status": 400},
        )
        missing = await client.post(url, data={k: v for k, v in form.items() if k != "client_assertion"})
        assert problem_of(missing) == {
            "type": "/invalid-argument",
            "title": "Bad Request",
            "status": 400,
            "invalidArguments": [{"field": "client_assertion", "description": "Missing required parameter"}],
        }
        for name, value in (("grant_type", "password"), ("client_assertion_type", "jwt"), ("scope", "all.things")):
            assert (await client.post(url, data=form | {name: value})).status_code == 400, name
        other_id = await client.post(url, data=form | {"client_id": "SOMEONE"})
        assert other_id.status_code == 401
        assert (await client.post(url, data=form)).status_code == 200

    in_sandbox(scenario)


def test_sso_sessions_wants_a_scoped_bearer_and_a_signed_jwt_body(key: rsa.RSAPrivateKey) -> None:
    async def scenario(client: httpx.AsyncClient, root: str) -> None:
        firm = await registered(client, root, key)
        token = await firm.access_token(client)
        url = root + "/gw/api/v1/sso-sessions"
        as_json = await client.post(url, json=firm.session_claims(), headers={"Authorization": f"Bearer {token}"})
        assert (as_json.status_code, problem_of(as_json)) == (
            400,
            {
                "type": "/simple",
                "title": "Bad Request",
                "status": 400,
                "detail": "Invalid payload for security policy: SIGNED_JWT",
            },
        )
        echo_only = await firm.request_session(client, await firm.access_token(client, scope="echo.read"))
        assert (echo_only.status_code, problem_of(echo_only)) == (
            403,
            {
                "type": "/simple",
                "title": "Forbidden",
                "status": 403,
                "detail": "The access token fails to have sufficient scope",
            },
        )
        anonymous = await client.post(url, content=firm.assertion(), headers={"Content-Type": "application/jwt"})
        assert (anonymous.status_code, problem_of(anonymous)) == (401, INVALID_REQUEST)
        for bearer in ("not-a-token", firm.assertion()):
            refused = await firm.request_session(client, bearer)
            assert (refused.status_code, problem_of(refused)) == (401, INVALID_REQUEST), bearer
        assert (await firm.request_session(client, token)).status_code == 200

    in_sandbox(scenario)


SESSION_CLAIMS: dict[str, tuple[Callable[[int], dict[str, object]], bool]] = {
    "another ip": (lambda now: {"ip": "203.0.113.7"}, False),
    "peer among alternativeIps": (lambda now: {"ip": "203.0.113.7", "alternativeIps": ["127.0.0.1"]}, True),
    "another username": (lambda now: {"credential": "someoneelse"}, False),
    "another iss": (lambda now: {"iss": "NOBODY"}, False),
    "lives over a day": (lambda now: {"exp": now + 2 * 86400}, False),
    "issued an hour ago": (lambda now: {"iat": now - 3600, "exp": now + 3600}, False),
    "expired": (lambda now: {"iat": now - 90, "exp": now - 60}, False),
    "no ip": (lambda now: {"ip": None}, False),
}


@pytest.mark.parametrize("case", sorted(SESSION_CLAIMS))
def test_the_sso_session_assertion_is_checked(key: rsa.RSAPrivateKey, case: str) -> None:
    claims_at, accepted = SESSION_CLAIMS[case]

    async def scenario(client: httpx.AsyncClient, root: str) -> None:
        firm = await registered(client, root, key)
        response = await firm.request_session(client, await firm.access_token(client), **claims_at(int(time.time())))
        if accepted:
            assert response.status_code == 200, response.text
        else:
            assert (response.status_code, problem_of(response)) == (401, INVALID_REQUEST)

    in_sandbox(scenario)


def test_an_unknown_or_expired_sso_token_gets_401(key: rsa.RSAPrivateKey) -> None:
    async def scenario(client: httpx.AsyncClient, root: str) -> None:
        firm = await registered(client, root, key)
        settings = await client.post(f"{root}/sandbox/ibkr/oauth2/settings", json={"sso_lifetime_s": 600})
        assert settings.json() == {"access_token_lifetime_s": 86399, "sso_lifetime_s": 600}
        sso = await firm.sso_token(client)
        held = (await client.get(f"{root}/sandbox/ibkr/consumers/oauth2:{CREDENTIAL}")).json()
        (issued,) = held["tokens"]
        assert issued["expires_at"] - issued["issued_at"] == pytest.approx(600)
        assert (await call(client, root, sso, "POST", "/tickle")).status_code == 200

        unknown = await call(client, root, sso[:-4] + "AAAA", "POST", "/tickle")
        assert (unknown.status_code, unknown.json()) == (401, NOT_AUTHENTICATED)
        expired = await client.post(f"{root}/sandbox/ibkr/expire", json={"consumer_key": f"oauth2:{CREDENTIAL}"})
        assert expired.json()["expired"] == 1
        for path in ("/tickle", "/portfolio/accounts"):
            response = await call(client, root, sso, "POST" if path == "/tickle" else "GET", path)
            assert (response.status_code, response.json()) == (401, NOT_AUTHENTICATED)
        fresh = await firm.sso_token(client)
        assert (await call(client, root, fresh, "POST", "/tickle")).status_code == 200

    in_sandbox(scenario)


def test_lifetimes_are_settable_and_checked(key: rsa.RSAPrivateKey) -> None:
    async def scenario(client: httpx.AsyncClient, root: str) -> None:
        firm = await registered(client, root, key)
        url = f"{root}/sandbox/ibkr/oauth2/settings"
        for bad in ({}, {"sso_lifetime_s": 0}, {"access_token_lifetime_s": True}, {"refresh": 5}):
            assert (await client.post(url, json=bad)).status_code == 400, bad
        assert (await client.post(url, json={"access_token_lifetime_s": 120})).status_code == 200
        assert (await firm.request_token(client)).json()["expires_in"] == 120

    in_sandbox(scenario)


def test_an_sso_principal_cannot_be_used_over_oauth_1a(key: rsa.RSAPrivateKey) -> None:
    async def scenario(client: httpx.AsyncClient, root: str) -> None:
        firm = await registered(client, root, key)
        sso = await firm.sso_token(client)
        await brokerage(client, root, sso)
        header = (
            f'OAuth realm="limited_poa", oauth_consumer_key="oauth2:{CREDENTIAL}", oauth_nonce="n1", '
            f'oauth_signature="x", oauth_signature_method="HMAC-SHA256", oauth_timestamp="{int(time.time())}", '
            'oauth_token="t"'
        )
        response = await client.post(f"{root}/v1/api/tickle", headers={"Authorization": header})
        assert (response.status_code, response.json()["error"]) == (401, "id: 3931, error: invalid consumer")

    in_sandbox(scenario)
