"""OAuth 2.0 authorisation of an IBKR session: an access token, then an SSO bearer token on every request.

Step 1 posts a private_key_jwt client assertion to IBKR's token endpoint for an access token; step 2
posts a signed SSO-session JWT (username, public IP) with that access token for the SSO bearer token,
the only credential `/v1/api` and the WebSocket accept. Both tokens are renewed at 80 % of their
lifetimes; a 401 anywhere redoes both steps (the session does that once per request).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import httpx

from brokers.ibkr import oauth2_jws as jws
from brokers.ibkr.auth import IbkrAuth, Transport, renewal_time
from brokers.ibkr.errors import IbkrAuthError, IbkrError
from brokers.ibkr.oauth2_credentials import IbkrOAuth2Credentials
from brokers.ibkr.oauth2_errors import access_token_refusal, sso_session_refusal

log = logging.getLogger(__name__)

# Answers below 429 are explained here (problem details); a 429 or a 5xx is the session's usual error.
_EXPLAINED = range(400, 429)


def api_origin(base_url: str) -> str:
    """scheme://host[:port] of a `/v1/api` base URL: where the token and SSO-session endpoints live."""
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}"


class OAuth2Auth(IbkrAuth):
    token_name = "SSO session token"  # noqa: S105 - a name
    stream_parameter = "bearer_token"
    keys_advice = (
        "check the profile's client_id, key_id, credential and public_ip against what IBKR issued, and run "
        "`brokerdeck keys init` to prove the key."
    )

    def __init__(self, credentials: IbkrOAuth2Credentials) -> None:
        self._credentials = credentials
        self._access_token: str | None = None
        self._access_minted_at = self._access_expires_at = 0.0
        self._sso_token: str | None = None
        self._sso_minted_at = self._sso_expires_at = 0.0

    def usable(self, now: float) -> bool:
        return self._sso_token is not None and now < self._sso_expires_at

    async def authorize(self, send: Transport, base_url: str, now: float) -> dict[str, Any]:
        origin = api_origin(base_url)
        await self.get_access_token(send, origin, now)
        await self._get_sso_token(send, origin, now)
        return self._facts()

    async def renew(self, send: Transport, base_url: str, now: float) -> dict[str, Any]:
        """The access token when it is due, the SSO token when it is due (with the access token IBKR issued
        last, which is valid until its own renewal is due)."""
        origin = api_origin(base_url)
        sso_due = self._sso_token is None or now >= renewal_time(self._sso_minted_at, self._sso_expires_at)
        access_due = self._access_token is None or now >= renewal_time(self._access_minted_at, self._access_expires_at)
        if access_due:
            await self.get_access_token(send, origin, now)
        if sso_due:
            try:
                await self._get_sso_token(send, origin, now)
            except IbkrAuthError:  # IBKR ended the access token early: both steps again, once
                await self.get_access_token(send, origin, now)
                await self._get_sso_token(send, origin, now)
        return self._facts()

    async def get_access_token(self, send: Transport, origin: str, now: float) -> float:
        """Step 1: the client assertion for an access token (what `keys init` proves a key with); its expiry."""
        creds = self._credentials
        assertion = jws.client_assertion(creds.private_key, client_id=creds.client_id, key_id=creds.key_id, now=now)
        response = await send(
            "POST",
            origin + jws.TOKEN_PATH,
            {"Accept": "application/json"},
            what="the access token request",
            data=jws.token_request_form(assertion, creds.client_id),
            keep=_EXPLAINED,
        )
        if response.status_code != 200:
            raise access_token_refusal(response)
        body = _json_object(response, "access token")
        token, lifetime = body.get("access_token"), body.get("expires_in")
        if not isinstance(token, str) or not token or not isinstance(lifetime, int | float) or lifetime <= 0:
            raise IbkrError("IBKR's access token answer has no access_token or expires_in. Retrying.")
        self._access_token = token
        self._access_minted_at, self._access_expires_at = now, now + float(lifetime)
        log.info("Got an IBKR access token for client %s, valid for %.0f s", creds.client_id, lifetime)
        return self._access_expires_at

    async def _get_sso_token(self, send: Transport, origin: str, now: float) -> None:
        """Step 2: the signed SSO-session JWT, with the access token, for the SSO bearer token."""
        creds = self._credentials
        body_jwt = jws.sso_session_jwt(
            creds.private_key,
            client_id=creds.client_id,
            key_id=creds.key_id,
            credential=creds.credential,
            ip=creds.public_ip,
            now=now,
        )
        response = await send(
            "POST",
            origin + jws.SSO_SESSIONS_PATH,
            {"Authorization": f"Bearer {self._access_token}", "Content-Type": "application/jwt"},
            what="the SSO session request",
            content=body_jwt,
            keep=_EXPLAINED,
        )
        if response.status_code != 200:
            raise sso_session_refusal(response)
        body = _json_object(response, "SSO session")
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise IbkrError("IBKR's SSO session answer has no access_token. Retrying.")
        expires = jws.unverified_expiry(token) or now + jws.SSO_SESSION_LIFETIME_S
        lifetime = body.get("expires_in")
        if isinstance(lifetime, int | float) and lifetime > 0:
            expires = now + float(lifetime)
        self._sso_token = token
        self._sso_minted_at, self._sso_expires_at = now, max(expires, now + 1.0)
        log.info("Opened an IBKR SSO session for %s, valid for %.0f s", creds.credential, self._sso_expires_at - now)

    def _facts(self) -> dict[str, Any]:
        return {
            "access_token_minted_at": self._access_minted_at,
            "access_token_expires_at": self._access_expires_at,
            "sso_minted_at": self._sso_minted_at,
            "sso_expires_at": self._sso_expires_at,
            "renew_at": min(
                renewal_time(self._access_minted_at, self._access_expires_at),
                renewal_time(self._sso_minted_at, self._sso_expires_at),
            ),
        }

    def headers(self, method: str, url: str, api_session: str | None) -> dict[str, str]:
        if self._sso_token is None:
            raise RuntimeError("a request was sent before an SSO session token was obtained")
        headers = {"Authorization": f"Bearer {self._sso_token}", "Accept": "*/*"}
        if api_session:
            headers["Cookie"] = f"api={api_session}"
        return headers

    @property
    def stream_token(self) -> str:
        """The SSO bearer token: IBKR's WebSocket URL carries it (`?bearer_token=`)."""
        return self._sso_token or ""

    def forget(self) -> None:
        self._access_token = self._sso_token = None


def _json_object(response: httpx.Response, what: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise IbkrError(f"IBKR's {what} answer is not a JSON object. Retrying.")
    return body
