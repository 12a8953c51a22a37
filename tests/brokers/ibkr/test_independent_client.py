"""An independent IBKR client (ibind's OAuth 1.0a functions, a test-only dependency) against the sandbox.

Proof the emulator is faithful to IBKR rather than to our own client: a third-party implementation
mints a live session token that validates, and signs a request the gateway accepts.
"""

from __future__ import annotations

import asyncio

import httpx
from ibind.oauth import oauth1a as independent

from brokers.ibkr.keys import private_key_pem
from tests.brokers.ibkr.sandbox_peer import CONSUMER_KEY, Gateway, running_gateway, shared_keys
from tests.conftest import run_async


def independent_client_session(gateway: Gateway, issued: dict[str, str]) -> tuple[bool, dict, dict]:
    keys = shared_keys()
    config = independent.OAuth1aConfig(
        oauth_rest_url=f"{gateway.base_url}/",
        access_token=issued["access_token"],
        access_token_secret=issued["access_token_secret"],
        consumer_key=CONSUMER_KEY,
        dh_prime=format(keys.dh_prime, "x"),
        encryption_key=private_key_pem(keys.encryption_key).decode(),
        signature_key=private_key_pem(keys.signature_key).decode(),
        realm="limited_poa",
    )
    lst_url = f"{gateway.base_url}/oauth/live_session_token"
    prepend, extra_headers, dh_random = independent.prepare_oauth(config)
    headers = independent.generate_oauth_headers(
        oauth_config=config,
        request_method="POST",
        request_url=lst_url,
        extra_headers=extra_headers,
        signature_method="RSA-SHA256",
        prepend=prepend,
    )
    # That client pins `Host: api.ibkr.com` for the real server; here the host is the sandbox's.
    headers.pop("Host", None)
    with httpx.Client(timeout=10) as http:
        minted = http.post(lst_url, headers=headers)
        minted.raise_for_status()
        body = minted.json()
        lst = independent.calculate_live_session_token(
            dh_prime=config.dh_prime,
            dh_random_value=dh_random,
            dh_response=body["diffie_hellman_response"],
            prepend=prepend,
        )
        valid = independent.validate_live_session_token(lst, body["live_session_token_signature"], CONSUMER_KEY)

        init_url = f"{gateway.base_url}/iserver/auth/ssodh/init"
        signed = independent.generate_oauth_headers(
            oauth_config=config, request_method="POST", request_url=init_url, live_session_token=lst
        )
        signed.pop("Host", None)
        init = http.post(init_url, headers=signed, json={"publish": True, "compete": True})
        init.raise_for_status()
        tickle_url = f"{gateway.base_url}/tickle"
        signed = independent.generate_oauth_headers(
            oauth_config=config, request_method="POST", request_url=tickle_url, live_session_token=lst
        )
        signed.pop("Host", None)
        tickle = http.post(tickle_url, headers=signed)
        tickle.raise_for_status()
    return valid, init.json(), tickle.json()


def test_an_independent_client_mints_a_valid_token_and_opens_a_brokerage_session():
    async def scenario():
        async with running_gateway() as gateway:
            issued = await gateway.register()
            return await asyncio.to_thread(independent_client_session, gateway, issued)

    valid, init, tickle = run_async(scenario)
    assert valid is True
    assert init["authenticated"] is True
    assert init["connected"] is True
    assert tickle["iserver"]["authStatus"]["authenticated"] is True
    assert tickle["session"]
