"""The emulated self-service portal, the TESTCONS realm and the emulator's profile table."""

from __future__ import annotations

import base64
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from app.sandbox import sandbox_profiles
from brokers.core.profiles import ProfileOrigin
from brokers.ibkr.profile import IbkrProfile
from brokers.registry import REGISTRY
from brokers.sandbox.endpoints import SandboxEndpoints
from brokers.sandbox.ibkr.gateway import IbkrEmulator
from tests.brokers.sandbox_ibkr.client_helpers import (
    RFC3526_PRIME_HEX,
    error_of,
    ibkr_sandbox,
    keys,
    public_pem,
    register,
)
from tests.conftest import run_async


def pem_of(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return raw.decode("ascii")


def test_the_portal_refuses_what_ibkrs_portal_refuses() -> None:
    signature, encryption = keys()
    good: dict[str, Any] = {
        "consumer_key": "BDSANDBOX",
        "signature_public_key": public_pem(signature),
        "encryption_public_key": public_pem(encryption),
        "dh_prime_hex": RFC3526_PRIME_HEX,
    }
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - the portal must refuse it
    cases = {
        "CRLF": good | {"signature_public_key": public_pem(signature).replace("\n", "\r\n")},
        "1024": good | {"encryption_public_key": pem_of(small)},
        "RSA": good | {"signature_public_key": pem_of(ec.generate_private_key(ec.SECP256R1()))},
        "PEM": good | {"signature_public_key": "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n"},
        "consumer_key": good | {"consumer_key": "bdsandbox"},
        "dh_prime_hex": good | {"dh_prime_hex": RFC3526_PRIME_HEX[:-2] + "01"},
        "realm": good | {"realm": "test_realm"},
        "lst_lifetime_s": good | {"lst_lifetime_s": 0},
        "accounts": good | {"accounts": []},
        "paper_410": good | {"paper_410": "no"},
    }

    async def scenario() -> None:
        async with ibkr_sandbox() as (client, root):
            url = f"{root}/sandbox/portal/consumers"
            for needle, body in cases.items():
                response = await client.post(url, json=body)
                assert response.status_code == 400, needle
                assert needle in error_of(response), (needle, error_of(response))
            not_json = await client.post(url, content=b"{")
            assert not_json.status_code == 400

    run_async(scenario)


def test_registering_again_replaces_the_token_and_secret() -> None:
    async def scenario() -> None:
        async with ibkr_sandbox() as (client, root):
            old = await register(client, root)
            await old.mint(client)
            new = await register(client, root)
            assert new.access_token != old.access_token
            assert base64.b64decode(new.access_token_secret) != base64.b64decode(old.access_token_secret)
            assert len(base64.b64decode(new.access_token_secret)) == 256
            refused = (await old.mint(client)).response
            assert refused.status_code == 401
            assert "No access secret key found" in error_of(refused)
            assert (await old.call(client, "POST", "/tickle")).status_code == 401
            assert (await new.mint(client)).response.status_code == 200
            assert (await new.call(client, "POST", "/tickle")).status_code == 200

    run_async(scenario)


def test_testcons_uses_test_realm() -> None:
    async def scenario() -> None:
        async with ibkr_sandbox() as (client, root):
            consumer = await register(client, root, "TESTCONS", accounts=["DU7654321", "DU1111111"])
            assert consumer.realm == "test_realm"
            await consumer.start_brokerage(client)
            accounts = (await consumer.call(client, "GET", "/iserver/accounts")).json()
            assert (accounts["accounts"], accounts["selectedAccount"]) == (["DU7654321", "DU1111111"], "DU7654321")
            consumer.realm = "limited_poa"
            assert (await consumer.call(client, "POST", "/tickle")).status_code == 401

    run_async(scenario)


def test_the_profile_table_builds_an_ibkr_profile() -> None:
    base = "http://127.0.0.1:5"
    tables = IbkrEmulator().profiles({"ibkr": base, "control": "http://127.0.0.1:4"})
    assert tables == [
        {
            "name": "sandbox-ibkr",
            "kind": "ibkr-oauth1a",
            "label": "IBKR (sandbox)",
            "base_url": base + "/v1/api",
            "consumer_key": "BDSANDBOX",
            "realm": "limited_poa",
            "account": "DU1234567",
        },
        {
            "name": "sandbox-ibkr-oauth2",
            "kind": "ibkr-oauth2",
            "label": "IBKR OAuth 2.0 (sandbox)",
            "base_url": base + "/v1/api",
            "client_id": "BDSANDBOX2",
            "key_id": "main",
            "credential": "sandboxfirm1",
            "public_ip": "127.0.0.1",
            "account": "DU7654321",
        },
    ]
    endpoints = SandboxEndpoints(pid=1, seed=1, started_at="x", services={"ibkr": base}, profiles=tuple(tables))
    profile = next(p for p in sandbox_profiles(endpoints, REGISTRY.schema).profiles if p.name == "sandbox-ibkr")
    assert isinstance(profile, IbkrProfile)
    assert (profile.base_url, profile.consumer_key, profile.account) == (base + "/v1/api", "BDSANDBOX", "DU1234567")
    assert profile.origin is ProfileOrigin.SANDBOX
    assert profile.display_name == "IBKR (sandbox)"
