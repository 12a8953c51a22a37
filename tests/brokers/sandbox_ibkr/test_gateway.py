"""The IBKR emulator over real HTTP: LST minting, HMAC requests, sessions and snapshots."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from brokers.sandbox.ibkr.ticker import format_size
from tests.brokers.sandbox_ibkr.client_helpers import (
    AAPL,
    ACCOUNT,
    MSFT,
    PRIME,
    QueryMode,
    RealmStyle,
    age,
    error_of,
    held_by_server,
    ibkr_sandbox,
    keys,
    lst_from,
    lst_signature_ok,
    register,
)
from tests.conftest import run_async

SNAPSHOT_FIELDS = "31,55,84,85,86,88"


def test_the_whole_flow_from_portal_to_market_data() -> None:
    async def scenario() -> None:
        async with ibkr_sandbox() as (client, root):
            consumer = await register(client, root)
            assert re.fullmatch(r"[0-9a-f]{20}", consumer.access_token)
            assert 20 <= len(bytes.fromhex(consumer.prepend)) <= 32

            asked = time.time()
            mint = await consumer.mint(client)
            answered = time.time()
            body = mint.response.json()
            assert mint.response.status_code == 200
            assert re.fullmatch(r"[0-9a-f]{40}", body["live_session_token_signature"])
            (token,) = (await held_by_server(client, root, consumer.consumer_key))["tokens"]
            assert body["live_session_token_expiration"] == int(token["expires_at"] * 1000)
            assert token["expires_at"] - token["issued_at"] == pytest.approx(24 * 3600)
            assert asked <= token["issued_at"] <= answered  # minted while the request was under way

            status = await consumer.call(client, "POST", "/iserver/auth/status")
            assert status.json()["authenticated"] is False
            assert (await consumer.call(client, "GET", "/portfolio/accounts")).json()[0]["id"] == ACCOUNT

            init = await consumer.call(
                client, "POST", "/iserver/auth/ssodh/init", body={"publish": True, "compete": True}
            )
            assert init.status_code == 200
            assert init.json()["authenticated"] is init.json()["connected"] is init.json()["established"] is True
            status = (await consumer.call(client, "POST", "/iserver/auth/status")).json()
            assert (status["authenticated"], status["competing"], status["connected"]) == (True, False, True)

            for method in ("GET", "POST"):
                tickle = (await consumer.call(client, method, "/tickle")).json()
                assert re.fullmatch(r"[0-9a-f]{32}", tickle["session"])
                assert tickle["collission"] is False
                assert isinstance(tickle["userId"], int)
                assert tickle["iserver"]["authStatus"]["authenticated"] is True

            accounts = (await consumer.call(client, "GET", "/iserver/accounts")).json()
            assert accounts["accounts"] == [ACCOUNT]
            assert accounts["selectedAccount"] == ACCOUNT

            query = {"conids": f"{AAPL},{MSFT}", "fields": SNAPSHOT_FIELDS}
            first = await consumer.call(client, "GET", "/iserver/marketdata/snapshot", query)
            assert first.json() == [{"conid": AAPL, "conidEx": str(AAPL)}, {"conid": MSFT, "conidEx": str(MSFT)}]
            second = (await consumer.call(client, "GET", "/iserver/marketdata/snapshot", query)).json()
            aapl = second[0]
            assert (aapl["conid"], aapl["conidEx"], aapl["55"]) == (AAPL, str(AAPL), "AAPL")
            assert all(isinstance(aapl[f], str) for f in SNAPSHOT_FIELDS.split(","))
            assert float(aapl["84"]) < float(aapl["86"])
            assert int(aapl["88"].replace(",", "")) > 0
            assert re.fullmatch(r"C?\d+\.\d{2}", aapl["31"])
            assert isinstance(aapl["_updated"], int)
            assert aapl["_updated"] > 1_600_000_000_000
            assert "server_id" in aapl
            assert second[1]["55"] == "MSFT"

            assert (await consumer.call(client, "POST", "/logout")).json() == {"status": True}
            after = (await consumer.call(client, "POST", "/tickle")).json()
            assert after["session"] != tickle["session"]
            assert after["iserver"]["authStatus"]["authenticated"] is False

    run_async(scenario)


def test_sizes_carry_thousands_separators() -> None:
    assert (format_size(1300), format_size(7), format_size(1_234_567)) == ("1,300", "7", "1,234,567")


def test_iserver_needs_a_brokerage_session_and_snapshot_needs_accounts_first() -> None:
    async def scenario() -> None:
        async with ibkr_sandbox() as (client, root):
            consumer = await register(client, root)
            await consumer.mint(client)
            query = {"conids": str(AAPL), "fields": "31"}
            for path, params in (("/iserver/accounts", None), ("/iserver/marketdata/snapshot", query)):
                response = await consumer.call(client, "GET", path, params)
                assert response.status_code == 400
                assert response.json() == {"error": "Bad Request: no bridge", "statusCode": 400}
            await consumer.call(client, "POST", "/iserver/auth/ssodh/init", body={"publish": True, "compete": True})
            early = await consumer.call(client, "GET", "/iserver/marketdata/snapshot", query)
            assert early.status_code == 400
            assert "/accounts" in error_of(early)
            refused = await consumer.call(client, "POST", "/iserver/auth/ssodh/init", body={"publish": False})
            assert refused.status_code == 500

    run_async(scenario)


@pytest.mark.parametrize("mode", ["exclude", "raw", "encoded"])
def test_hmac_is_accepted_with_or_without_query_parameters_in_the_base_string(mode: QueryMode) -> None:
    async def scenario() -> None:
        async with ibkr_sandbox() as (client, root):
            consumer = await register(client, root)
            await consumer.start_brokerage(client)
            query = {"conids": f"{AAPL},{MSFT}", "fields": "31,84"}
            response = await consumer.call(client, "GET", "/iserver/marketdata/snapshot", query, mode=mode)
            assert response.status_code == 200, response.text
            init = await consumer.call(
                client, "POST", "/iserver/auth/ssodh/init", {"publish": "true", "compete": "true"}, mode=mode
            )
            assert init.status_code == 200, init.text

    run_async(scenario)


def test_hmac_over_another_url_or_with_a_wrong_lst_is_refused() -> None:
    async def scenario() -> None:
        async with ibkr_sandbox() as (client, root):
            consumer = await register(client, root)
            await consumer.mint(client)
            wrong_host = consumer.signed_headers("POST", "https://api.ibkr.com/v1/api/tickle", {})
            response = await client.post(f"{root}/v1/api/tickle", headers=wrong_host)
            assert response.status_code == 401
            assert "invalid signature" in error_of(response)
            consumer.lst = "AAAAAAAAAAAAAAAAAAAAAAAAAAA="
            response = await consumer.call(client, "POST", "/tickle")
            assert (response.status_code, response.json()["statusCode"]) == (401, 401)

    run_async(scenario)


@pytest.mark.parametrize("style", ["first", "last", "unquoted"])
def test_realm_may_sit_anywhere_quoted_or_not_but_must_be_right(style: RealmStyle) -> None:
    async def scenario() -> None:
        async with ibkr_sandbox() as (client, root):
            consumer = await register(client, root)
            assert (await consumer.mint(client, style=style)).response.status_code == 200
            consumer.realm = "test_realm"
            wrong = (await consumer.mint(client, style=style)).response
            assert wrong.status_code == 401
            assert "realm" in error_of(wrong)

    run_async(scenario)


def test_lst_requests_are_refused_with_ibkrs_messages() -> None:
    async def scenario() -> None:
        async with ibkr_sandbox() as (client, root):
            consumer = await register(client, root)
            encryption_key = keys()[1]

            bad_key = (await consumer.mint(client, key=encryption_key)).response
            no_prepend = (await consumer.mint(client, prepend="")).response
            for response in (bad_key, no_prepend):
                assert response.status_code == 401
                assert "invalid signature" in error_of(response)

            stale = (await consumer.mint(client, oauth_timestamp=str(int(time.time()) - 301))).response
            assert stale.status_code == 401
            assert "oauth_timestamp" in error_of(stale)

            unknown = (await consumer.mint(client, oauth_consumer_key="NOSUCHKEY")).response
            assert unknown.json() == {"error": "id: 3931, error: invalid consumer", "statusCode": 401}

            token = "0123456789abcdef0123"
            wrong_token = (await consumer.mint(client, oauth_token=token)).response
            assert wrong_token.status_code == 401
            assert (
                error_of(wrong_token) == f"id: 118871, error: LST failed, error: No access secret key found for {token}"
            )

            headers = consumer.lst_headers(pow(2, 12345, PRIME))
            url = f"{root}/v1/api/oauth/live_session_token"
            assert (await client.post(url, headers=headers)).status_code == 200
            replay = await client.post(url, headers=headers)
            assert replay.status_code == 401
            assert "oauth_nonce" in error_of(replay)

            degenerate = await client.post(url, headers=consumer.lst_headers(1))
            assert degenerate.status_code == 400
            assert (await client.post(url)).status_code == 401

    run_async(scenario)


def test_a_replayed_hmac_request_is_refused() -> None:
    async def scenario() -> None:
        async with ibkr_sandbox() as (client, root):
            consumer = await register(client, root)
            await consumer.mint(client)
            url = f"{root}/v1/api/tickle"
            headers = consumer.signed_headers("POST", url, {})
            assert (await client.post(url, headers=headers)).status_code == 200
            replay = await client.post(url, headers=headers)
            assert replay.status_code == 401
            assert "oauth_nonce" in error_of(replay)

    run_async(scenario)


def test_k_is_keyed_as_java_bytes_in_both_bit_length_cases() -> None:
    async def scenario() -> dict[bool, int]:
        seen = {True: 0, False: 0}
        async with ibkr_sandbox() as (client, root):
            consumer = await register(client, root)
            for _ in range(60):
                mint = await consumer.mint(client)  # asserts the LST signature validates
                assert mint.response.status_code == 200
                aligned = mint.shared.bit_length() % 8 == 0
                seen[aligned] += 1
                naive = lst_from(mint.shared, consumer.prepend, java=False)
                signature = mint.response.json()["live_session_token_signature"]
                assert lst_signature_ok(naive, consumer.consumer_key, signature) is not aligned
                assert (await consumer.call(client, "POST", "/tickle")).status_code == 200
                if aligned:
                    consumer.lst = naive
                    assert (await consumer.call(client, "POST", "/tickle")).status_code == 401
                if all(seen.values()):
                    break
        return seen

    seen = run_async(scenario)
    assert all(seen.values()), f"both K cases should occur within 60 mints: {seen}"


def test_an_expired_lst_is_refused() -> None:
    async def scenario() -> None:
        async with ibkr_sandbox() as (client, root):
            consumer = await register(client, root)
            await consumer.mint(client)
            assert (await consumer.call(client, "POST", "/tickle")).status_code == 200
            expired = await client.post(f"{root}/sandbox/ibkr/expire", json={"consumer_key": consumer.consumer_key})
            assert expired.json() == {"consumer_key": consumer.consumer_key, "expired": 1}
            response = await consumer.call(client, "POST", "/tickle")
            assert response.status_code == 401
            assert "expired" in error_of(response)
            await consumer.mint(client)
            assert (await consumer.call(client, "POST", "/tickle")).status_code == 200
            unknown = await client.post(f"{root}/sandbox/ibkr/expire", json={"consumer_key": "NOSUCHKEY"})
            assert unknown.status_code == 404

    run_async(scenario)


def test_a_two_second_lst_really_expires() -> None:
    async def scenario() -> None:
        async with ibkr_sandbox() as (client, root):
            consumer = await register(client, root, "BDSHORTLF", lst_lifetime_s=2)
            mint = await consumer.mint(client)
            (token,) = (await held_by_server(client, root, consumer.consumer_key))["tokens"]
            assert mint.response.json()["live_session_token_expiration"] == int(token["expires_at"] * 1000)
            assert token["expires_at"] - token["issued_at"] == pytest.approx(2)  # it lives its two seconds
            assert (await consumer.call(client, "POST", "/tickle")).status_code == 200
            aged = await age(client, root, consumer.consumer_key, 2)  # the two seconds pass on the server
            assert [t["live"] for t in aged["tokens"]] == [False]
            response = await consumer.call(client, "POST", "/tickle")
            assert response.status_code == 401
            assert "expired" in error_of(response)

    run_async(scenario)


def test_an_idle_session_times_out() -> None:
    async def scenario() -> None:
        async with ibkr_sandbox(idle_timeout_s=60) as (client, root):
            consumer = await register(client, root)
            await consumer.start_brokerage(client)
            before = (await consumer.call(client, "POST", "/tickle")).json()
            assert before["iserver"]["authStatus"]["authenticated"] is True
            aged = await age(client, root, consumer.consumer_key, 61)  # a minute of silence, on the server
            assert aged["session"]["live"] is False
            after = (await consumer.call(client, "POST", "/tickle")).json()
            assert after["session"] != before["session"]
            assert after["iserver"]["authStatus"]["authenticated"] is False
            response = await consumer.call(client, "GET", "/iserver/accounts")
            assert response.json()["error"] == "Bad Request: no bridge"

    run_async(scenario)


def test_the_server_reports_a_consumers_times_and_age_moves_them_on() -> None:
    async def scenario() -> None:
        async with ibkr_sandbox() as (client, root):
            consumer = await register(client, root)
            fresh = await held_by_server(client, root, consumer.consumer_key)
            assert (fresh["tokens"], fresh["session"], fresh["lst_lifetime_s"]) == ([], None, 24 * 3600)
            assert fresh["idle_timeout_s"] == 360
            await consumer.start_brokerage(client)
            held = await held_by_server(client, root, consumer.consumer_key)
            (token,) = held["tokens"]
            assert (token["live"], held["session"]["brokerage"], held["session"]["live"]) == (True, True, True)

            aged = await age(client, root, consumer.consumer_key, 3600)
            assert aged["aged_s"] == 3600
            (older,) = aged["tokens"]
            assert older["issued_at"] == pytest.approx(token["issued_at"] - 3600)
            assert older["expires_at"] == pytest.approx(token["expires_at"] - 3600)
            assert older["live"] is True  # 23 hours are left
            assert aged["session"]["idle_s"] >= 3600
            assert aged["session"]["live"] is False  # idle for longer than 360 s
            tickle = await consumer.call(client, "POST", "/tickle")
            assert tickle.status_code == 200  # the LST still signs
            assert tickle.json()["iserver"]["authStatus"]["authenticated"] is False  # a new, bare session

    run_async(scenario)


def test_age_never_lets_a_replayed_request_through() -> None:
    async def scenario() -> None:
        async with ibkr_sandbox() as (client, root):
            consumer = await register(client, root)
            await consumer.mint(client)
            url = f"{root}/v1/api/tickle"
            headers = consumer.signed_headers("POST", url, {})
            assert (await client.post(url, headers=headers)).status_code == 200
            await age(client, root, consumer.consumer_key, 3600)  # past the nonce window, on the server
            replay = await client.post(url, headers=headers)
            assert replay.status_code == 401
            assert "oauth_nonce" in error_of(replay)

    run_async(scenario)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"consumer_key": "BDAGEKEY1", "seconds": 0}, 400),
        ({"consumer_key": "BDAGEKEY1", "seconds": -60}, 400),
        ({"consumer_key": "BDAGEKEY1", "seconds": "60"}, 400),
        ({"consumer_key": "BDAGEKEY1", "seconds": True}, 400),
        ({"consumer_key": "BDAGEKEY1", "seconds": 10**9}, 400),
        ({"consumer_key": "BDAGEKEY1"}, 400),
        ({"consumer_key": "NOSUCHKEY", "seconds": 60}, 404),
        ({"seconds": 60}, 404),
    ],
)
def test_age_refuses_what_it_cannot_do(body: dict[str, Any], status: int) -> None:
    async def scenario() -> None:
        async with ibkr_sandbox() as (client, root):
            consumer = await register(client, root, "BDAGEKEY1")
            await consumer.mint(client)
            response = await client.post(f"{root}/sandbox/ibkr/age", json=body)
            assert response.status_code == status
            assert error_of(response)
            unknown = await client.get(f"{root}/sandbox/ibkr/consumers/NOSUCHKEY")
            assert unknown.status_code == 404
            assert [t["live"] for t in (await held_by_server(client, root, "BDAGEKEY1"))["tokens"]] == [True]

    run_async(scenario)
