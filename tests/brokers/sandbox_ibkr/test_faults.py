"""Injected faults: each one answers as IBKR does, for as many requests as asked, then stops."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.brokers.sandbox_ibkr.client_helpers import Consumer, error_of, ibkr_sandbox, register
from tests.conftest import run_async

INIT = {"publish": True, "compete": True}


async def arm(client: httpx.AsyncClient, root: str, **fault: Any) -> httpx.Response:
    response = await client.post(f"{root}/sandbox/ibkr/faults", json=fault)
    assert response.status_code == 200, response.text
    return response


async def applied(client: httpx.AsyncClient, root: str) -> dict[str, Any]:
    """What is armed, and every fault the sandbox applied so far (most recent last)."""
    response = await client.get(f"{root}/sandbox/ibkr/faults")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def ready(client: httpx.AsyncClient, root: str) -> Consumer:
    consumer = await register(client, root)
    await consumer.start_brokerage(client)
    return consumer


def test_a_401_fault_hits_only_its_path_and_only_as_often_as_asked() -> None:
    async def scenario() -> None:
        async with ibkr_sandbox() as (client, root):
            consumer = await ready(client, root)
            await arm(client, root, path="/v1/api/tickle", status=401, times=2)
            assert (await consumer.call(client, "POST", "/iserver/auth/status")).status_code == 200
            for _ in range(2):
                response = await consumer.call(client, "POST", "/tickle")
                assert response.status_code == 401
                assert response.json()["statusCode"] == 401
            assert (await consumer.call(client, "POST", "/tickle")).status_code == 200

    run_async(scenario)


def test_a_429_fault_carries_retry_after() -> None:
    async def scenario() -> None:
        async with ibkr_sandbox() as (client, root):
            consumer = await ready(client, root)
            await arm(client, root, path="*", status=429)
            response = await consumer.call(client, "GET", "/iserver/accounts")
            assert response.status_code == 429
            assert response.headers["Retry-After"] == "1"
            assert response.json() == {"error": "Too many requests", "statusCode": 429}
            assert (await consumer.call(client, "GET", "/iserver/accounts")).status_code == 200

    run_async(scenario)


def test_a_500_fault_on_ssodh_init_says_sso_dh_token_and_elsewhere_internal_error() -> None:
    async def scenario() -> None:
        async with ibkr_sandbox() as (client, root):
            consumer = await register(client, root)
            await consumer.mint(client)
            await arm(client, root, path="*", status=500, times=2)
            init = await consumer.call(client, "POST", "/iserver/auth/ssodh/init", body=INIT)
            assert (init.status_code, init.json()) == (500, {"error": "failed to generate sso dh token"})
            tickle = await consumer.call(client, "POST", "/tickle")
            assert (tickle.status_code, tickle.json()) == (500, {"error": "internal error"})
            assert (await consumer.call(client, "POST", "/iserver/auth/ssodh/init", body=INIT)).status_code == 200

    run_async(scenario)


def test_a_delay_fault_holds_the_answer_back() -> None:
    async def scenario() -> None:
        async with ibkr_sandbox() as (client, root):
            consumer = await ready(client, root)
            await arm(client, root, path="/v1/api/tickle", delay_s=0.5)
            response = await consumer.call(client, "POST", "/tickle")
            assert response.status_code == 200
            journal = await applied(client, root)
            assert journal["applied"] == [{"path": "/v1/api/tickle", "delay_s": 0.5}]  # held back, then answered
            assert journal["faults"] == []

    run_async(scenario)


def test_the_journal_lists_each_applied_fault_and_keeps_it_after_clear() -> None:
    async def scenario() -> None:
        async with ibkr_sandbox() as (client, root):
            consumer = await ready(client, root)
            assert (await applied(client, root))["applied"] == []
            await arm(client, root, path="/v1/api/tickle", status=401, times=2)
            await arm(client, root, path="*", status=429)
            for _ in range(3):
                await consumer.call(client, "POST", "/tickle")
            await consumer.call(client, "POST", "/iserver/auth/status")
            await arm(client, root, clear=True)
            assert await applied(client, root) == {
                "faults": [],
                "competing": False,
                "applied": [
                    {"path": "/v1/api/tickle", "status": 401},
                    {"path": "/v1/api/tickle", "status": 401},
                    {"path": "/v1/api/tickle", "status": 429},
                ],
            }

    run_async(scenario)


def test_competing_shows_in_status_and_tickle_until_a_competing_init() -> None:
    async def scenario() -> None:
        async with ibkr_sandbox() as (client, root):
            consumer = await ready(client, root)
            await arm(client, root, competing=True)
            assert (await consumer.call(client, "POST", "/iserver/auth/status")).json()["competing"] is True
            tickle = (await consumer.call(client, "GET", "/tickle")).json()
            assert tickle["iserver"]["authStatus"]["competing"] is True
            polite = await consumer.call(client, "POST", "/iserver/auth/ssodh/init", body={"publish": True})
            assert polite.json()["competing"] is True
            init = await consumer.call(client, "POST", "/iserver/auth/ssodh/init", body=INIT)
            assert (init.json()["competing"], init.json()["authenticated"]) == (False, True)
            assert (await consumer.call(client, "POST", "/iserver/auth/status")).json()["competing"] is False

    run_async(scenario)


def test_clear_disarms_everything() -> None:
    async def scenario() -> None:
        async with ibkr_sandbox() as (client, root):
            consumer = await ready(client, root)
            await arm(client, root, path="*", status=401, times=5)
            armed = await arm(client, root, competing=True)
            assert armed.json()["faults"][0]["times"] == 5
            cleared = await arm(client, root, clear=True)
            assert cleared.json() == {"faults": [], "competing": False}
            status = await consumer.call(client, "POST", "/iserver/auth/status")
            assert (status.status_code, status.json()["competing"]) == (200, False)

    run_async(scenario)


def test_paper_410_answers_gone_on_ssodh_init() -> None:
    async def scenario() -> None:
        async with ibkr_sandbox() as (client, root):
            consumer = await register(client, root, paper_410=True)
            await consumer.mint(client)
            init = await consumer.call(client, "POST", "/iserver/auth/ssodh/init", body=INIT)
            assert init.status_code == 410
            assert (await consumer.call(client, "GET", "/portfolio/accounts")).status_code == 200

    run_async(scenario)


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"path": "/tickle", "status": 401},
        {"path": "*", "status": 404},
        {"path": "*", "status": 429, "times": 0},
        {"path": "*", "status": 500, "delay_s": 1},
        {"path": "*", "delay_s": -1},
        {"path": "*"},
        {"competing": "yes"},
    ],
)
def test_bad_fault_requests_are_refused(body: Any) -> None:
    async def scenario() -> None:
        async with ibkr_sandbox() as (client, root):
            response = await client.post(f"{root}/sandbox/ibkr/faults", json=body)
            assert response.status_code == 400
            assert error_of(response)

    run_async(scenario)
