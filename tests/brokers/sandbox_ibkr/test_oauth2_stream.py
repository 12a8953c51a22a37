"""The emulated IBKR WebSocket with OAuth 2.0: the SSO bearer token in the query, the `api` cookie with it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosedError

from tests.brokers.sandbox_ibkr.client_helpers import AAPL, ibkr_sandbox, register
from tests.brokers.sandbox_ibkr.oauth2_helpers import ACCOUNT, CREDENTIAL, brokerage, call, registered
from tests.brokers.sandbox_ibkr.stream_helpers import WAIT_S, Frame, is_smd, next_frame, subscribe, tickle_session
from tests.conftest import run_async


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=3072)


@contextlib.asynccontextmanager
async def bearer_stream(root: str, query: str, cookie: str | None) -> AsyncIterator[ClientConnection]:
    """A raw socket to `/v1/api/ws?<query>`, the `api` cookie sent when given."""
    url = root.replace("http://", "ws://", 1) + f"/v1/api/ws?{query}"
    headers = {"Cookie": f"api={cookie}"} if cookie is not None else {}
    async with connect(url, additional_headers=headers, user_agent_header="python/3.12", open_timeout=WAIT_S) as ws:
        yield ws


async def closed_by_server(root: str, query: str, cookie: str | None) -> tuple[int, str]:
    async with bearer_stream(root, query, cookie) as ws:
        with pytest.raises(ConnectionClosedError) as caught:
            await asyncio.wait_for(ws.recv(), WAIT_S)
    assert caught.value.rcvd is not None
    return caught.value.rcvd.code, caught.value.rcvd.reason


@pytest.mark.parametrize("parameter", ["bearer_token", "sessionToken"])
def test_the_stream_accepts_the_sso_token_with_the_api_cookie(key: rsa.RSAPrivateKey, parameter: str) -> None:
    async def scenario() -> tuple[list[Frame], Frame]:
        async with ibkr_sandbox() as (client, root):
            firm = await registered(client, root, key)
            sso = await firm.sso_token(client)
            cookie = await brokerage(client, root, sso)
            async with bearer_stream(root, f"{parameter}={sso}", cookie) as ws:
                greeting = [await next_frame(ws) for _ in range(3)]
                await subscribe(ws, AAPL, "31", "84", "86")
                return greeting, await next_frame(ws, is_smd)

    (system, act, sts), smd = run_async(scenario)
    assert system == {"topic": "system", "success": CREDENTIAL, "isFT": False, "isPaper": True}
    assert (act["topic"], act["args"]["accounts"]) == ("act", [ACCOUNT])
    assert (sts["args"]["authenticated"], sts["args"]["username"]) == (True, CREDENTIAL)
    assert (smd["topic"], smd["conid"]) == (f"smd+{AAPL}", AAPL)


def test_the_stream_refuses_a_bad_bearer_a_missing_cookie_and_the_principal_over_oauth_token(
    key: rsa.RSAPrivateKey,
) -> None:
    async def scenario() -> list[tuple[int, str]]:
        async with ibkr_sandbox() as (client, root):
            firm = await registered(client, root, key)
            sso = await firm.sso_token(client)
            before_init = str((await call(client, root, sso, "POST", "/tickle")).json()["session"])
            closes = [await closed_by_server(root, f"bearer_token={sso}", before_init)]
            cookie = await brokerage(client, root, sso)
            closes.append(await closed_by_server(root, f"bearer_token={sso[:-4]}AAAA", cookie))
            closes.append(await closed_by_server(root, "bearer_token=not-a-token", cookie))
            closes.append(await closed_by_server(root, f"bearer_token={sso}", None))
            closes.append(await closed_by_server(root, f"bearer_token={sso}", "0" * 32))

            consumer = await register(client, root)  # an OAuth 1.0a consumer's cookie does not go with the SSO token
            await consumer.start_brokerage(client)
            closes.append(await closed_by_server(root, f"bearer_token={sso}", await tickle_session(client, consumer)))

            expired = await client.post(f"{root}/sandbox/ibkr/expire", json={"consumer_key": f"oauth2:{CREDENTIAL}"})
            assert expired.json()["expired"] == 1
            closes.append(await closed_by_server(root, f"bearer_token={sso}", cookie))
            return closes

    assert run_async(scenario) == [(1008, "not authenticated")] * 7
