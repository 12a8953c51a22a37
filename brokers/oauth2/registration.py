"""Dynamic client registration (RFC 7591) as a native public client, and the stored result.

A desktop app cannot keep a secret, so it registers itself per installation with
`token_endpoint_auth_method=none`; the registration is kept in the vault and reused for the same issuer
and redirect URI. If the server insists on a client secret it hands out, that secret is per-installation
and is kept in the vault too.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from brokers.oauth2.discovery import ServerMetadata
from brokers.oauth2.errors import RegistrationError
from brokers.oauth2.transport import error_body, json_object, send

USABLE_AUTH_METHODS = ("none", "client_secret_basic", "client_secret_post")
CLIENT_NAME = "Brokerdeck"


@dataclass(frozen=True)
class ClientRegistration:
    """Who the engine is at one authorization server."""

    issuer: str
    client_id: str
    redirect_uris: tuple[str, ...]
    auth_method: str = "none"
    client_secret: str = field(default="", repr=False)
    secret_expires_at: float = 0.0  # 0: never (RFC 7591 §3.2.1)
    registered_at: float = 0.0
    dynamic: bool = True

    def usable_for(self, issuer: str, redirect_uri: str, now: float) -> bool:
        fresh = not self.secret_expires_at or self.secret_expires_at > now + 60
        return self.issuer == issuer and redirect_uri in self.redirect_uris and fresh

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self)).encode("utf-8")

    @classmethod
    def from_bytes(cls, raw: bytes) -> ClientRegistration:
        data = json.loads(raw)
        data["redirect_uris"] = tuple(data["redirect_uris"])
        return cls(**data)

    def auth(self) -> tuple[dict[str, str], httpx.Auth | None]:
        """Body fields and HTTP auth that authenticate this client at the token and revocation endpoints."""
        if self.auth_method == "client_secret_basic":
            return {}, httpx.BasicAuth(self.client_id, self.client_secret)
        if self.auth_method == "client_secret_post":
            return {"client_id": self.client_id, "client_secret": self.client_secret}, None
        return {"client_id": self.client_id}, None


def configured_client(issuer: str, client_id: str, redirect_uri: str) -> ClientRegistration:
    """A client the trader registered by hand: public, identified by its client_id only."""
    return ClientRegistration(issuer=issuer, client_id=client_id, redirect_uris=(redirect_uri,), dynamic=False)


async def register(
    client: httpx.AsyncClient, server: ServerMetadata, redirect_uri: str, scopes: tuple[str, ...]
) -> ClientRegistration:
    if not server.registration_endpoint:
        raise RegistrationError(
            f"{server.issuer} offers no dynamic client registration; register Brokerdeck with the provider "
            f"(redirect URI {redirect_uri}) and put the client id it gives you in the profile as client_id"
        )
    request: dict[str, Any] = {
        "client_name": CLIENT_NAME,
        "application_type": "native",
        "redirect_uris": [redirect_uri],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    }
    if scopes:
        request["scope"] = " ".join(scopes)
    response = await send(client, "POST", server.registration_endpoint, json=request)
    if response.status_code not in (200, 201):
        raise RegistrationError(
            f"{server.issuer} refused to register Brokerdeck ({error_body(response)}); check the profile, or "
            "register a client by hand and set client_id"
        )
    return parse_registration(json_object(response), server.issuer, redirect_uri, time.time())


def parse_registration(body: dict[str, Any] | None, issuer: str, redirect_uri: str, now: float) -> ClientRegistration:
    """RFC 7591 §3.2.1: a client_id, our redirect URI, and an auth method this client can do."""
    if body is None or not isinstance(body.get("client_id"), str) or not body["client_id"]:
        raise RegistrationError(f"{issuer} answered the registration without a client_id; it cannot be used")
    uris = body.get("redirect_uris", [redirect_uri])
    if not isinstance(uris, list) or redirect_uri not in uris:
        raise RegistrationError(
            f"{issuer} registered other redirect URIs than {redirect_uri}; logins would be refused, so the "
            "registration is not used"
        )
    method = body.get("token_endpoint_auth_method", "none")
    secret = body.get("client_secret", "")
    if method not in USABLE_AUTH_METHODS or (method != "none" and not (isinstance(secret, str) and secret)):
        raise RegistrationError(
            f"{issuer} registered Brokerdeck with the token endpoint auth method {method!r}, which a desktop "
            "client cannot use; register a public client by hand and set client_id"
        )
    expires = body.get("client_secret_expires_at", 0)
    return ClientRegistration(
        issuer=issuer,
        client_id=body["client_id"],
        redirect_uris=tuple(u for u in uris if isinstance(u, str)),
        auth_method=method,
        client_secret=secret if method != "none" else "",
        secret_expires_at=float(expires) if isinstance(expires, int | float) else 0.0,
        registered_at=now,
    )
