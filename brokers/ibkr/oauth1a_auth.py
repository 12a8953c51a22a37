"""OAuth 1.0a authorisation of an IBKR session: a live session token (LST) that signs every request.

The LST is minted with a Diffie-Hellman exchange (brokers/ibkr/oauth1a.py does the arithmetic) and
checked against IBKR's signature of it, so wrong key material is named at once rather than met as a
401 on every later request.
"""

from __future__ import annotations

import logging
from typing import Any

from brokers.ibkr import oauth1a
from brokers.ibkr.auth import IbkrAuth, Transport, renewal_time
from brokers.ibkr.credentials import IbkrCredentials
from brokers.ibkr.errors import IbkrLiveSessionTokenInvalid

log = logging.getLogger(__name__)

DEFAULT_LST_LIFETIME_S = 24 * 3600.0


class OAuth1aAuth(IbkrAuth):
    token_name = "live session token"  # noqa: S105 - a name
    stream_parameter = "oauth_token"
    keys_advice = "generate a new access token in IBKR's portal and run `brokerdeck keys init`."

    def __init__(self, credentials: IbkrCredentials) -> None:
        self._credentials = credentials
        self._lst: str | None = None
        self._expires_at = 0.0

    def usable(self, now: float) -> bool:
        return self._lst is not None and now < self._expires_at

    async def authorize(self, send: Transport, base_url: str, now: float) -> dict[str, Any]:
        creds = self._credentials
        prepend = oauth1a.decrypt_prepend(creds.keys.encryption_key, creds.access_token_secret)
        secret = oauth1a.new_dh_secret()
        url = f"{base_url}/oauth/live_session_token"
        headers = oauth1a.lst_request_headers(
            url,
            consumer_key=creds.consumer_key,
            access_token=creds.access_token,
            prepend=prepend,
            signature_key=creds.keys.signature_key,
            realm=creds.realm,
            dh_prime=creds.keys.dh_prime,
            dh_secret=secret,
        )
        body = (await send("POST", url, headers, what="the live session token request")).json()
        lst = oauth1a.compute_live_session_token(
            format(creds.keys.dh_prime, "x"), format(secret, "x"), body["diffie_hellman_response"], prepend
        )
        if not oauth1a.validate_live_session_token(lst, body["live_session_token_signature"], creds.consumer_key):
            raise IbkrLiveSessionTokenInvalid(
                "The live session token IBKR sent does not validate. The DH parameters or the encryption key "
                "in the vault differ from the ones registered in IBKR's self-service portal: run "
                "`brokerdeck keys init PROFILE` and register the keys it prints."
            )
        expires = float(body.get("live_session_token_expiration", 0)) / 1000.0
        if expires <= now:  # a past or missing expiry: IBKR documents ~24 h
            expires = now + DEFAULT_LST_LIFETIME_S
        self._lst, self._expires_at = lst, expires
        log.info("Minted a live session token for %s, valid for %.0f s", creds.consumer_key, expires - now)
        return {"lst_minted_at": now, "lst_expires_at": expires, "renew_at": renewal_time(now, expires)}

    def headers(self, method: str, url: str, api_session: str | None) -> dict[str, str]:
        if self._lst is None:
            raise RuntimeError("a request was signed before a live session token was minted")
        creds = self._credentials
        return oauth1a.signed_request_headers(
            method,
            url,
            consumer_key=creds.consumer_key,
            access_token=creds.access_token,
            live_session_token=self._lst,
            realm=creds.realm,
        )

    @property
    def stream_token(self) -> str:
        """The OAuth access token: IBKR's WebSocket URL carries it (`?oauth_token=`)."""
        return self._credentials.access_token

    def forget(self) -> None:
        self._lst = None
