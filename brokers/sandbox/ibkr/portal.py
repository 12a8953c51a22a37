"""IBKR's self-service OAuth portal, emulated: upload keys and a DH prime, get a token and its secret.

The real portal is a web page; here it is one JSON route so tests and `make run` can set up a
consumer the same way a user does, including the portal's refusal of CRLF PEM files.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from brokers.sandbox.ibkr.consumers import (
    DEFAULT_ACCOUNTS,
    DEFAULT_LST_LIFETIME_S,
    TEST_CONSUMER,
    Consumer,
    ConsumerRegistry,
)
from brokers.sandbox.ibkr.crypto import MIN_RSA_BITS, encrypt_secret, is_probable_prime, load_rsa_public_key

_CONSUMER_KEY = re.compile(r"[A-Z0-9]{9}")
_ACCOUNT = re.compile(r"[A-Z]{1,3}[0-9]{5,8}")
_HEX = re.compile(r"[0-9a-fA-F]+")
_MAX_LIFETIME_S = 7 * 24 * 3600


def parse_registration(body: Any) -> Consumer:
    """A new consumer from a portal request; ValueError names the field that is wrong."""
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    key = body.get("consumer_key")
    if not isinstance(key, str) or not (_CONSUMER_KEY.fullmatch(key) or key == TEST_CONSUMER):
        raise ValueError("'consumer_key' must be 9 characters A-Z or 0-9, e.g. BDSANDBOX")
    expected_realm = "test_realm" if key == TEST_CONSUMER else "limited_poa"
    realm = body.get("realm", expected_realm)
    if realm != expected_realm:
        raise ValueError(f"'realm' must be {expected_realm!r} for consumer key {key}")
    keys = {}
    for name in ("signature_public_key", "encryption_public_key"):
        pem = body.get(name)
        if not isinstance(pem, str):
            raise ValueError(f"'{name}' must be a PEM string")
        try:
            keys[name] = load_rsa_public_key(pem)
        except ValueError as exc:
            raise ValueError(f"'{name}': {exc}") from None
    prime_hex = body.get("dh_prime_hex")
    if not isinstance(prime_hex, str) or not _HEX.fullmatch(prime_hex):
        raise ValueError("'dh_prime_hex' must be the DH prime as a hexadecimal string")
    prime = int(prime_hex, 16)
    if prime.bit_length() < MIN_RSA_BITS or not is_probable_prime(prime):
        raise ValueError(f"'dh_prime_hex' must be a prime of at least {MIN_RSA_BITS} bits (openssl dhparam 2048)")
    lifetime = body.get("lst_lifetime_s", DEFAULT_LST_LIFETIME_S)
    if isinstance(lifetime, bool) or not isinstance(lifetime, int) or not 1 <= lifetime <= _MAX_LIFETIME_S:
        raise ValueError(f"'lst_lifetime_s' must be a whole number of seconds from 1 to {_MAX_LIFETIME_S}")
    accounts = body.get("accounts", list(DEFAULT_ACCOUNTS))
    if (
        not isinstance(accounts, list)
        or not accounts
        or not all(isinstance(a, str) and _ACCOUNT.fullmatch(a) for a in accounts)
    ):
        raise ValueError("'accounts' must be a non-empty list of account ids such as DU1234567")
    paper_410 = body.get("paper_410", False)
    if not isinstance(paper_410, bool):
        raise ValueError("'paper_410' must be true or false")
    return Consumer(
        consumer_key=key,
        realm=realm,
        signature_key=keys["signature_public_key"],
        encryption_key=keys["encryption_public_key"],
        dh_prime=prime,
        lst_lifetime_s=lifetime,
        accounts=tuple(accounts),
        paper_410=paper_410,
    )


def portal_routes(registry: ConsumerRegistry) -> list[Route]:
    """The portal's routes, under /sandbox/portal (never under the API's /v1/api)."""

    async def register(request: Request) -> JSONResponse:
        try:
            consumer = parse_registration(json.loads(await request.body()))
        except ValueError as exc:  # json.JSONDecodeError is a ValueError too
            return JSONResponse({"error": str(exc), "statusCode": 400}, status_code=400)
        registry.register(consumer)
        return JSONResponse(
            {
                "consumer_key": consumer.consumer_key,
                "access_token": consumer.access_token,
                "access_token_secret": encrypt_secret(consumer.encryption_key, consumer.secret),
            }
        )

    return [Route("/sandbox/portal/consumers", register, methods=["POST"])]
