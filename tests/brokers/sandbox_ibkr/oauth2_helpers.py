"""A minimal IBKR OAuth 2.0 client for the emulator's tests, written from the reference alone.

It shares no code with `brokers/ibkr/` or with the emulator: its JWS is built here with
`cryptography`, so a mistake on either side shows up as a refusal rather than passing silently.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

CLIENT_ID = "BDTESTOA2"
KEY_ID = "main"
CREDENTIAL = "sandboxuser"
ACCOUNT = "DU7654321"
PEER = "127.0.0.1"
SCOPE = "sso-sessions.write"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_PATH = "/oauth2/api/v1/token"
SSO_PATH = "/gw/api/v1/sso-sessions"
INVALID_REQUEST = {
    "type": "/simple",
    "title": "Unauthorized",
    "status": 401,
    "detail": "The access token request is invalid",
}
NOT_AUTHENTICATED = {"error": "not authenticated", "statusCode": 401}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def part(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def decoded(part_text: str) -> dict[str, Any]:
    return dict(json.loads(base64.urlsafe_b64decode(part_text + "=" * (-len(part_text) % 4))))


def sign(header: dict[str, Any], claims: dict[str, Any], key: rsa.RSAPrivateKey) -> str:
    """A compact JWS, RSASSA-PKCS1-v1_5 with SHA-256 over `b64url(header).b64url(claims)`."""
    signing_input = f"{part(header)}.{part(claims)}"
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url(signature)}"


def public_pem(key: rsa.RSAPrivateKey) -> str:
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem.decode("ascii")


def problem_of(response: httpx.Response) -> dict[str, Any]:
    """An RFC 9457 body, after checking it is served as one."""
    assert response.headers["content-type"] == "application/problem+json", response.headers
    return dict(response.json())


@dataclass
class Oauth2Client:
    """What IBKR hands a firm (client id, kid) plus the private key only the firm holds."""

    root: str
    key: rsa.RSAPrivateKey
    client_id: str = CLIENT_ID
    kid: str = KEY_ID
    credential: str = CREDENTIAL

    def header(self, **overrides: Any) -> dict[str, Any]:
        return {"alg": "RS256", "typ": "JWT", "kid": self.kid} | overrides

    def token_claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {"iss": self.client_id, "sub": self.client_id, "aud": "/token", "exp": now + 20, "iat": now - 10}
        return claims | overrides

    def session_claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {"ip": PEER, "credential": self.credential, "iss": self.client_id, "exp": now + 86400, "iat": now}
        return claims | overrides

    def assertion(self, **overrides: Any) -> str:
        return sign(self.header(), self.token_claims(**overrides), self.key)

    async def request_token(
        self, client: httpx.AsyncClient, assertion: str | None = None, scope: str = SCOPE
    ) -> httpx.Response:
        form = {
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion if assertion is not None else self.assertion(),
            "scope": scope,
            "client_id": self.client_id,
        }
        return await client.post(self.root + TOKEN_PATH, data=form, headers={"Accept": "application/json"})

    async def access_token(self, client: httpx.AsyncClient, scope: str = SCOPE) -> str:
        response = await self.request_token(client, scope=scope)
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    async def request_session(
        self, client: httpx.AsyncClient, access_token: str, body: str | None = None, **claims: Any
    ) -> httpx.Response:
        content = body if body is not None else sign(self.header(), self.session_claims(**claims), self.key)
        headers = {"Authorization": f"Bearer {access_token}", "Content-Type": "application/jwt"}
        return await client.post(self.root + SSO_PATH, content=content, headers=headers)

    async def sso_token(self, client: httpx.AsyncClient) -> str:
        """Both steps: an access token, then an SSO session; the SSO bearer token."""
        response = await self.request_session(client, await self.access_token(client))
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])


async def register(client: httpx.AsyncClient, root: str, key: rsa.RSAPrivateKey, **extra: Any) -> httpx.Response:
    """Hand IBKR (the sandbox's control) a public key, as a firm emails it."""
    body = {
        "public_key_pem": public_pem(key),
        "key_id": KEY_ID,
        "credential": CREDENTIAL,
        "client_id": CLIENT_ID,
        "accounts": [ACCOUNT],
    } | extra
    return await client.post(f"{root}/sandbox/ibkr/oauth2/clients", json=body)


async def registered(client: httpx.AsyncClient, root: str, key: rsa.RSAPrivateKey) -> Oauth2Client:
    response = await register(client, root, key)
    assert response.status_code == 200, response.text
    return Oauth2Client(root, key)


async def call(
    client: httpx.AsyncClient,
    root: str,
    sso: str,
    method: str,
    path: str,
    cookie: str | None = None,
    body: Any = None,
) -> httpx.Response:
    """A `/v1/api` request with the SSO bearer token (and the `api` cookie once tickle gave one)."""
    headers = {"Authorization": f"Bearer {sso}", "User-Agent": "python/3.12"}
    if cookie is not None:
        headers["Cookie"] = f"api={cookie}"
    return await client.request(method, f"{root}/v1/api{path}", headers=headers, json=body)


async def brokerage(client: httpx.AsyncClient, root: str, sso: str) -> str:
    """tickle, ssodh/init and /iserver/accounts; the `session` tickle reported (the `api` cookie)."""
    session = str((await call(client, root, sso, "POST", "/tickle")).json()["session"])
    init = await call(
        client, root, sso, "POST", "/iserver/auth/ssodh/init", session, {"publish": True, "compete": True}
    )
    assert init.status_code == 200, init.text
    assert (await call(client, root, sso, "GET", "/iserver/accounts", session)).status_code == 200
    return session
