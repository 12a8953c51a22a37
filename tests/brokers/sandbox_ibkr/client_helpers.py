"""A minimal IBKR OAuth 1.0a client for the emulator's tests, written from IBKR's docs alone.

It shares no code with `brokers/ibkr/` or with the emulator: each side is checked against the
other, so neither may borrow the other's mistakes.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import hmac
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote, quote_plus, urlencode

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from brokers.sandbox.ibkr.gateway import IbkrEmulator
from brokers.sandbox.server import SandboxServer

# RFC 3526 group 14 (2048-bit MODP); its top 64 bits are all 1, so K has 2048 bits about half the time.
RFC3526_PRIME_HEX = (
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AACAA68FFFFFFFFFFFFFFFF"
)
PRIME = int(RFC3526_PRIME_HEX, 16)
CONSUMER_KEY = "BDSANDBOX"
ACCOUNT = "DU1234567"
AAPL, MSFT = 265598, 272093

QueryMode = Literal["exclude", "raw", "encoded"]
RealmStyle = Literal["first", "last", "unquoted"]


def keys(generation: int = 0) -> tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]:
    """(signature key, encryption key), generated once per test session; `generation` 1 is a rotation's new pair."""
    return _key_pair(generation)


@functools.cache
def _key_pair(generation: int) -> tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]:
    signature = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    encryption = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return signature, encryption


def public_pem(key: rsa.RSAPrivateKey) -> str:
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem.decode("ascii")


def authorization(params: dict[str, str], realm: str, style: RealmStyle = "first") -> str:
    """An OAuth header as ibind ("first"), IBKR's sample ("last") or a C# client ("unquoted") writes it."""
    if style == "last":
        return "OAuth " + ", ".join(f'{k}="{v}"' for k, v in sorted({**params, "realm": realm}.items()))
    head = f'realm="{realm}"' if style == "first" else f"realm={realm}"
    return f"OAuth {head}, " + ", ".join(f'{k}="{v}"' for k, v in sorted(params.items()))


def base_string(method: str, url: str, params: dict[str, str], query: dict[str, str], mode: QueryMode) -> str:
    """IBKR's base string; `mode` says whether and how query parameters join the OAuth ones."""
    pairs = list(params.items())
    if mode != "exclude":
        pairs += list(query.items())
    if mode == "encoded":
        pairs = [(quote(k, safe=""), quote(v, safe="")) for k, v in pairs]
    joined = "&".join(f"{k}={v}" for k, v in sorted(pairs))
    return f"{method}&{quote_plus(url)}&{quote_plus(joined)}"


def java_bytes(value: int) -> bytes:
    return value.to_bytes(value.bit_length() // 8 + 1, "big")


def naive_bytes(value: int) -> bytes:
    """The classic client bug: minimal big-endian bytes, no sign byte."""
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def lst_from(shared: int, prepend: str, *, java: bool = True) -> str:
    key = java_bytes(shared) if java else naive_bytes(shared)
    return base64.b64encode(hmac.new(key, bytes.fromhex(prepend), hashlib.sha1).digest()).decode()


def lst_signature_ok(lst: str, consumer_key: str, signature: str) -> bool:
    expected = hmac.new(base64.b64decode(lst), consumer_key.encode(), hashlib.sha1).hexdigest()
    return hmac.compare_digest(expected, signature)


@dataclass
class Mint:
    """One LST request's outcome: the response, and what the client derived from it."""

    response: httpx.Response
    shared: int = 0
    lst: str = ""


@dataclass
class Consumer:
    """What the portal hands a user, plus the private keys only the user holds."""

    root: str
    consumer_key: str
    access_token: str
    access_token_secret: str
    realm: str = "limited_poa"
    lst: str = ""
    generation: int = 0  # which of `keys()`'s pairs the portal has for this token

    @property
    def prepend(self) -> str:
        secret = base64.b64decode(self.access_token_secret)
        return keys(self.generation)[1].decrypt(secret, padding.PKCS1v15()).hex()

    def oauth(self, method: str, **overrides: str) -> dict[str, str]:
        params = {
            "oauth_consumer_key": self.consumer_key,
            "oauth_nonce": secrets.token_hex(8),
            "oauth_signature_method": method,
            "oauth_timestamp": str(int(time.time())),
            "oauth_token": self.access_token,
        }
        return params | overrides

    def lst_headers(
        self,
        challenge: int,
        *,
        key: rsa.RSAPrivateKey | None = None,
        prepend: str | None = None,
        style: RealmStyle = "first",
        **overrides: str,
    ) -> dict[str, str]:
        params = self.oauth("RSA-SHA256", diffie_hellman_challenge=format(challenge, "x"), **overrides)
        url = f"{self.root}/v1/api/oauth/live_session_token"
        text = (self.prepend if prepend is None else prepend) + base_string("POST", url, params, {}, "exclude")
        raw = (key or keys(self.generation)[0]).sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())
        params["oauth_signature"] = quote_plus(base64.b64encode(raw).decode())
        return {"Authorization": authorization(params, self.realm, style), "User-Agent": "brokerdeck-tests"}

    async def mint(self, client: httpx.AsyncClient, **kwargs: Any) -> Mint:
        """Request an LST; on success derive it, check its signature, and keep it."""
        secret = secrets.randbits(256)
        headers = self.lst_headers(pow(2, secret, PRIME), **kwargs)
        response = await client.post(f"{self.root}/v1/api/oauth/live_session_token", headers=headers)
        if response.status_code != 200:
            return Mint(response)
        body = response.json()
        shared = pow(int(body["diffie_hellman_response"], 16), secret, PRIME)
        lst = lst_from(shared, self.prepend)
        assert lst_signature_ok(lst, self.consumer_key, body["live_session_token_signature"])
        self.lst = lst
        return Mint(response, shared, lst)

    def signed_headers(
        self, method: str, url: str, query: dict[str, str], mode: QueryMode = "exclude", **overrides: str
    ) -> dict[str, str]:
        params = self.oauth("HMAC-SHA256", **overrides)
        text = base_string(method, url, params, query, mode)
        digest = hmac.new(base64.b64decode(self.lst), text.encode(), hashlib.sha256).digest()
        params["oauth_signature"] = quote_plus(base64.b64encode(digest).decode())
        return {"Authorization": authorization(params, self.realm), "User-Agent": "brokerdeck-tests"}

    async def call(
        self,
        client: httpx.AsyncClient,
        method: str,
        path: str,
        query: dict[str, str] | None = None,
        body: Any = None,
        mode: QueryMode = "exclude",
    ) -> httpx.Response:
        """An HMAC-signed API request to `/v1/api{path}`."""
        query = query or {}
        url = f"{self.root}/v1/api{path}"
        headers = self.signed_headers(method, url, query, mode)
        full = f"{url}?{urlencode(query)}" if query else url
        return await client.request(method, full, headers=headers, json=body)

    async def start_brokerage(self, client: httpx.AsyncClient) -> None:
        """Mint, ssodh/init and /iserver/accounts: what a client does before it asks for data."""
        assert (await self.mint(client)).response.status_code == 200
        init = await self.call(client, "POST", "/iserver/auth/ssodh/init", body={"publish": True, "compete": True})
        assert init.status_code == 200, init.text
        assert (await self.call(client, "GET", "/iserver/accounts")).status_code == 200


async def register(client: httpx.AsyncClient, root: str, consumer_key: str = CONSUMER_KEY, **extra: Any) -> Consumer:
    """Set a consumer up through the emulated self-service portal."""
    signature, encryption = keys()
    body = {
        "consumer_key": consumer_key,
        "signature_public_key": public_pem(signature),
        "encryption_public_key": public_pem(encryption),
        "dh_prime_hex": RFC3526_PRIME_HEX,
    } | extra
    response = await client.post(f"{root}/sandbox/portal/consumers", json=body)
    assert response.status_code == 200, response.text
    data = response.json()
    realm = body.get("realm", "test_realm" if consumer_key == "TESTCONS" else "limited_poa")
    return Consumer(root, data["consumer_key"], data["access_token"], data["access_token_secret"], realm)


@contextlib.asynccontextmanager
async def ibkr_sandbox(**options: Any) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A sandbox serving only the IBKR emulator, and an HTTP client; yields (client, root URL)."""
    async with (
        SandboxServer(emulators=(IbkrEmulator(**options),)) as sandbox,
        httpx.AsyncClient(timeout=30) as client,
    ):
        yield client, sandbox.endpoints.services["ibkr"]


async def held_by_server(client: httpx.AsyncClient, root: str, consumer_key: str) -> dict[str, Any]:
    """The times the sandbox holds for a consumer: its LSTs and its session (a sandbox-only control)."""
    response = await client.get(f"{root}/sandbox/ibkr/consumers/{consumer_key}")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def age(client: httpx.AsyncClient, root: str, consumer_key: str, seconds: float) -> dict[str, Any]:
    """Move a consumer's clock on the server `seconds` on: its LSTs and session age, nobody waits."""
    response = await client.post(f"{root}/sandbox/ibkr/age", json={"consumer_key": consumer_key, "seconds": seconds})
    assert response.status_code == 200, response.text
    return dict(response.json())


def error_of(response: httpx.Response) -> str:
    return str(response.json().get("error", ""))
