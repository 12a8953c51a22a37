"""IBKR's self-service OAuth portal, emulated: upload keys and a DH prime, get a token and its secret.

The real portal is a web page; here it is JSON routes so tests and `make run` can set up a consumer the
same way a user does, including the portal's refusal of CRLF PEM files, and rotate an existing consumer's
keys: new keys get a new token while the earlier token keeps working for a grace period. A sandbox-only
control sets that period, ends it now, or makes the next issued token fail validation.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
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
_MAX_GRACE_S = 30 * 24 * 3600


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
    signature_key, encryption_key = _public_keys(body)
    prime = _dh_prime(body.get("dh_prime_hex"))
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
        signature_key=signature_key,
        encryption_key=encryption_key,
        dh_prime=prime,
        lst_lifetime_s=lifetime,
        accounts=tuple(accounts),
        paper_410=paper_410,
    )


def _public_keys(body: dict[str, Any]) -> tuple[rsa.RSAPublicKey, rsa.RSAPublicKey]:
    """The signature and encryption public keys of a portal request, checked as IBKR's portal checks them."""
    keys = []
    for name in ("signature_public_key", "encryption_public_key"):
        pem = body.get(name)
        if not isinstance(pem, str):
            raise ValueError(f"'{name}' must be a PEM string")
        try:
            keys.append(load_rsa_public_key(pem))
        except ValueError as exc:
            raise ValueError(f"'{name}': {exc}") from None
    return keys[0], keys[1]


def _dh_prime(prime_hex: object) -> int:
    if not isinstance(prime_hex, str) or not _HEX.fullmatch(prime_hex):
        raise ValueError("'dh_prime_hex' must be the DH prime as a hexadecimal string")
    prime = int(prime_hex, 16)
    if prime.bit_length() < MIN_RSA_BITS or not is_probable_prime(prime):
        raise ValueError(f"'dh_prime_hex' must be a prime of at least {MIN_RSA_BITS} bits (openssl dhparam 2048)")
    return prime


def rotate_keys(consumer: Consumer, body: Any, now: float) -> dict[str, Any]:
    """Register new public keys (and, if given, new DH parameters) for an existing consumer and issue a new
    access token with its secret, as the portal's key rotation does; ValueError names the field that is wrong."""
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    signature_key, encryption_key = _public_keys(body)
    prime = _dh_prime(body["dh_prime_hex"]) if "dh_prime_hex" in body else consumer.dh_prime
    consumer.rotate(signature_key, encryption_key, prime, now)
    return {
        "consumer_key": consumer.consumer_key,
        "access_token": consumer.access_token,
        "access_token_secret": encrypt_secret(consumer.encryption_key, consumer.secret),
        "previous_valid_until": consumer.retired[-1].valid_until,
    }


def rotation_report(consumer: Consumer, now: float) -> dict[str, Any]:
    """A consumer's rotation state without a token or secret: the grace setting and each earlier token's end."""
    return {
        "consumer_key": consumer.consumer_key,
        "grace_s": consumer.grace_s,
        "current_refused": consumer.refused,
        "fail_next_token": consumer.refuse_next,
        "earlier_tokens": [
            {"valid_until": grant.valid_until, "accepted": (grant.valid_until or 0) > now} for grant in consumer.retired
        ],
    }


def _apply_rotation_control(consumer: Consumer, body: dict[str, Any], now: float) -> dict[str, Any]:
    """Set the grace period, arm a failing next token, or end the grace period now; the report after."""
    grace, fail, end = body.get("grace_s"), body.get("fail_next_token"), body.get("end_grace")
    if grace is not None and (
        isinstance(grace, bool) or not isinstance(grace, int | float) or not 0 < grace <= _MAX_GRACE_S
    ):
        raise ValueError(f"'grace_s' must be a number of seconds from more than 0 to {_MAX_GRACE_S}")
    for name, value in (("fail_next_token", fail), ("end_grace", end)):
        if value is not None and not isinstance(value, bool):
            raise ValueError(f"'{name}' must be true or false")
    if grace is None and fail is None and end is None:
        raise ValueError("give 'grace_s', 'fail_next_token' or 'end_grace'")
    if grace is not None:
        consumer.grace_s = float(grace)
    if fail is not None:
        consumer.refuse_next = fail
    revoked = consumer.end_grace(now) if end else 0
    return rotation_report(consumer, now) | {"revoked": revoked}


def portal_routes(registry: ConsumerRegistry) -> list[Route]:
    """The portal's routes, under /sandbox/portal (never under the API's /v1/api)."""

    async def register(request: Request) -> JSONResponse:
        try:
            consumer = parse_registration(json.loads(await request.body()))
        except ValueError as exc:  # json.JSONDecodeError is a ValueError too
            return _error(400, str(exc))
        registry.register(consumer)
        return JSONResponse(
            {
                "consumer_key": consumer.consumer_key,
                "access_token": consumer.access_token,
                "access_token_secret": encrypt_secret(consumer.encryption_key, consumer.secret),
            }
        )

    def existing(request: Request) -> Consumer | None:
        consumer = registry.get(request.path_params["consumer_key"])
        return consumer if consumer is not None and consumer.credential is None else None

    async def rotate(request: Request) -> JSONResponse:
        consumer = existing(request)
        if consumer is None:
            return _error(404, f"no consumer {request.path_params['consumer_key']!r} is registered")
        try:
            return JSONResponse(rotate_keys(consumer, json.loads(await request.body()), time.time()))
        except ValueError as exc:
            return _error(400, str(exc))

    async def control(request: Request) -> JSONResponse:
        consumer = existing(request)
        if consumer is None:
            return _error(404, f"no consumer {request.path_params['consumer_key']!r} is registered")
        if request.method == "GET":
            return JSONResponse(rotation_report(consumer, time.time()))
        try:
            body = json.loads(await request.body())
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object")
            return JSONResponse(_apply_rotation_control(consumer, body, time.time()))
        except ValueError as exc:
            return _error(400, str(exc))

    return [
        Route("/sandbox/portal/consumers", register, methods=["POST"]),
        Route("/sandbox/portal/consumers/{consumer_key}/rotate", rotate, methods=["POST"]),
        Route("/sandbox/ibkr/rotation/{consumer_key}", control, methods=["GET", "POST"]),
    ]


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message, "statusCode": status}, status_code=status)
