"""The emulated portal's key rotation: new keys for an existing consumer, a new token, the old one's grace period,
and the controls that end it now or make the next token fail (checked with the independent test client)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.brokers.sandbox_ibkr.client_helpers import (
    CONSUMER_KEY,
    RFC3526_PRIME_HEX,
    Consumer,
    error_of,
    ibkr_sandbox,
    keys,
    public_pem,
    register,
)
from tests.conftest import run_async


async def rotate(client: httpx.AsyncClient, root: str, old: Consumer, **extra: Any) -> httpx.Response:
    signature, encryption = keys(1)
    body = {"signature_public_key": public_pem(signature), "encryption_public_key": public_pem(encryption)} | extra
    return await client.post(f"{root}/sandbox/portal/consumers/{old.consumer_key}/rotate", json=body)


def rotated(root: str, old: Consumer, response: httpx.Response) -> Consumer:
    assert response.status_code == 200, response.text
    issued = response.json()
    return Consumer(root, issued["consumer_key"], issued["access_token"], issued["access_token_secret"], generation=1)


async def control(client: httpx.AsyncClient, root: str, **body: Any) -> dict[str, Any]:
    response = await client.post(f"{root}/sandbox/ibkr/rotation/{CONSUMER_KEY}", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_new_keys_get_a_new_token_and_the_old_one_works_until_the_grace_period_ends() -> None:
    async def scenario() -> None:
        async with ibkr_sandbox() as (client, root):
            old = await register(client, root)
            await old.start_brokerage(client)
            new = rotated(root, old, await rotate(client, root, old, dh_prime_hex=RFC3526_PRIME_HEX))
            assert new.access_token != old.access_token
            assert (await new.mint(client)).response.status_code == 200
            assert (await new.call(client, "POST", "/iserver/auth/status")).json()["authenticated"] is True
            # the old token, with the keys it was issued for, keeps minting and signing during the grace period
            assert (await old.call(client, "POST", "/tickle")).status_code == 200
            assert (await old.mint(client)).response.status_code == 200
            # the old keys cannot sign for the new token
            crossed = Consumer(root, CONSUMER_KEY, new.access_token, new.access_token_secret, generation=1)
            refused = await client.post(
                f"{root}/v1/api/oauth/live_session_token",
                headers=crossed.lst_headers(2, key=keys(0)[0]),
            )
            assert refused.status_code == 401
            assert "invalid signature" in error_of(refused)

            report = await control(client, root, end_grace=True)
            assert report["revoked"] == 1
            assert report["earlier_tokens"] == []
            after = await old.call(client, "POST", "/tickle")
            assert after.status_code == 401
            assert "invalid oauth_token" in error_of(after)
            assert "No access secret key found" in error_of((await old.mint(client)).response)
            assert (await new.call(client, "POST", "/tickle")).status_code == 200  # the new set is untouched

    run_async(scenario)


def test_a_signature_by_an_lst_of_another_token_is_refused() -> None:
    async def scenario() -> None:
        async with ibkr_sandbox() as (client, root):
            old = await register(client, root)
            assert (await old.mint(client)).response.status_code == 200
            new = rotated(root, old, await rotate(client, root, old))
            new.lst = old.lst  # an LST minted with the old token signs for the new one
            refused = await new.call(client, "POST", "/tickle")
            assert refused.status_code == 401
            assert "minted with this access token" in error_of(refused)

    run_async(scenario)


def test_the_next_token_can_be_made_to_fail_validation() -> None:
    async def scenario() -> None:
        async with ibkr_sandbox() as (client, root):
            old = await register(client, root)
            armed = await control(client, root, fail_next_token=True, grace_s=3600)
            assert (armed["fail_next_token"], armed["grace_s"]) == (True, 3600)
            bad = rotated(root, old, await rotate(client, root, old))
            minted = (await bad.mint(client)).response
            assert minted.status_code == 401
            assert "No access secret key found" in error_of(minted)
            report = (await client.get(f"{root}/sandbox/ibkr/rotation/{CONSUMER_KEY}")).json()
            assert (report["current_refused"], report["fail_next_token"]) == (True, False)
            assert [t["accepted"] for t in report["earlier_tokens"]] == [True]
            assert (await old.mint(client)).response.status_code == 200  # the old one still works
            good = rotated(root, old, await rotate(client, root, old))  # a new token for the same keys
            assert (await good.mint(client)).response.status_code == 200

    run_async(scenario)


def test_the_rotation_routes_refuse_what_they_cannot_use() -> None:
    async def scenario() -> None:
        async with ibkr_sandbox() as (client, root):
            old = await register(client, root)
            unknown = await client.post(f"{root}/sandbox/portal/consumers/NOSUCHONE/rotate", json={})
            assert unknown.status_code == 404
            crlf = await rotate(client, root, old, signature_public_key=public_pem(keys(1)[0]).replace("\n", "\r\n"))
            assert crlf.status_code == 400
            assert "signature_public_key" in error_of(crlf)
            assert (await rotate(client, root, old, dh_prime_hex="ff")).status_code == 400
            url = f"{root}/sandbox/ibkr/rotation/{CONSUMER_KEY}"
            for body, needle in (
                ({}, "grace_s"),
                ({"grace_s": 0}, "grace_s"),
                ({"end_grace": "yes"}, "end_grace"),
                ({"fail_next_token": 1}, "fail_next_token"),
            ):
                response = await client.post(url, json=body)
                assert response.status_code == 400, body
                assert needle in error_of(response)
            assert (await old.mint(client)).response.status_code == 200  # nothing was rotated

    run_async(scenario)
