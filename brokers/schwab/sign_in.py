"""Schwab's browser sign-in on the engine's `LoginFlow`: no discovery, the app's exact https callback served
with the engine's self-signed certificate, the code exchanged at once with the app key and secret.

Whatever would make the browser's return fail is found before the browser opens: a callback Brokerdeck
cannot serve (another host than 127.0.0.1, a trailing "/", a port in use) or a missing app secret.
"""

from __future__ import annotations

import asyncio
import dataclasses
from urllib.parse import urlsplit

import httpx

from brokers.core.actions import NextAction
from brokers.core.connector import SignInStarted
from brokers.core.secrets import SecretStore
from brokers.oauth2.authorize import AuthorizationRequest
from brokers.oauth2.connector import OAuthSignIn
from brokers.oauth2.discovery import Discovery
from brokers.oauth2.errors import LoginFailed
from brokers.oauth2.listener import LoopbackListener
from brokers.oauth2.login import LoginFlow
from brokers.oauth2.store import OAuthStore
from brokers.oauth2.tokens import TokenSet
from brokers.schwab.app_secret import load_app_secret, provision_sandbox_secret
from brokers.schwab.engine import client_of, engine_profile, server_of
from brokers.schwab.profile import SchwabProfile
from brokers.schwab.rotation import settle_profile

#: Schwab's refresh token ends this long after the code grant, however often it is used
REFRESH_HORIZON_S = 7 * 86400.0

CERTIFICATE_NOTICE = (
    "Your browser will warn that 127.0.0.1 is not private: that is Brokerdeck receiving Schwab's answer "
    "with its own certificate. Choose Advanced, then Proceed to 127.0.0.1."
)


class CallbackUnusable(LoginFailed):
    """The profile's callback cannot receive Schwab's redirect here; only changing it (and the app) helps."""

    action = NextAction.FIX_PROFILE


class AppSecretMissing(LoginFailed):
    """The vault holds no app secret for the profile yet."""

    action = NextAction.SETUP_KEYS


def _check_callback(profile: SchwabProfile) -> tuple[int, str]:
    """The port and path to serve, or CallbackUnusable saying how to fix the profile."""
    parts = urlsplit(profile.callback)
    if parts.hostname != "127.0.0.1":
        raise CallbackUnusable(
            f"the callback {profile.callback} names {parts.hostname}, but Brokerdeck receives Schwab's answer on "
            "127.0.0.1 only (and Schwab refuses https://localhost)",
            "register https://127.0.0.1:PORT/path as the app's Callback URL at developer.schwab.com and put the "
            f"same address in the profile {profile.name}'s callback",
        )
    if parts.path.endswith("/"):
        raise CallbackUnusable(
            f"the callback {profile.callback} ends with '/', which Schwab answers with 'Access Denied'",
            "register the Callback URL without the trailing '/' and remove it from the profile's callback too",
        )
    return parts.port or 443, parts.path or "/"


class SchwabLoginFlow(LoginFlow):
    """The engine's login with Schwab's fixed server, confidential client and exact callback."""

    def __init__(self, profile: SchwabProfile, store: OAuthStore, http: httpx.AsyncClient, *, listen: bool) -> None:
        super().__init__(engine_profile(profile), store, http, listen=listen)
        self.schwab = profile

    async def _start(self) -> SignInStarted:
        port, path = _check_callback(self.schwab)
        secret = await asyncio.to_thread(self._app_secret)
        server = server_of(self.schwab)
        self._discovery = Discovery(server=server)
        listener = LoopbackListener(path, self._on_callback, port=port, tls=await self._tls_context())
        if self._listen:
            try:
                await listener.start()
            except OSError as exc:
                raise CallbackUnusable(
                    f"cannot receive Schwab's answer on 127.0.0.1 port {port} ({exc.strerror})",
                    "close the program using that port, or register another Callback URL (another port) with your "
                    f"Schwab app and put it in the profile {self.schwab.name}'s callback",
                ) from exc
            self._listener = listener
        self._client = client_of(self.schwab, secret)
        self._request = AuthorizationRequest(server, self.schwab.app_key, self.schwab.callback)
        self._deadline = self._clock() + self._timeout_s
        return SignInStarted(
            url=self._request.url, redirect_uri=self.schwab.callback, deadline=self._deadline, notice=CERTIFICATE_NOTICE
        )

    def _app_secret(self) -> str:
        """Blocking: the app secret from the vault (a proven rotation completed, and the sandbox's profile
        provisioned, first)."""
        vault = self._store.vault
        settle_profile(self.schwab, vault)
        provision_sandbox_secret(vault, self.schwab)
        secret = load_app_secret(vault, self.schwab)
        if not secret:
            raise AppSecretMissing(
                f"the vault holds no app secret for {self.schwab.name}",
                f"run `brokerdeck keys init {self.schwab.name}` and paste the App Secret from developer.schwab.com",
            )
        return secret

    @property
    def _token_resource(self) -> str:
        return ""  # Schwab knows no resource indicators; the engine's resource is only what its checks ask

    def _granted(self, tokens: TokenSet) -> TokenSet:
        """The refresh horizon counts from this grant (7 days), whatever renewals follow."""
        horizon = tokens.refresh_expires_at or tokens.authorized_at + REFRESH_HORIZON_S
        return dataclasses.replace(tokens, refresh_expires_at=horizon)


class SchwabSignIn(OAuthSignIn):
    """The engine's sign-in around a `SchwabLoginFlow`."""

    def __init__(self, profile: SchwabProfile, vault: SecretStore, *, listen: bool) -> None:
        super().__init__(engine_profile(profile), vault, listen=listen)
        self._schwab = profile

    @property
    def redirect_hint(self) -> str:
        return self._schwab.callback

    def _new_flow(self, http: httpx.AsyncClient) -> LoginFlow:
        return SchwabLoginFlow(self._schwab, OAuthStore(self._vault, self._schwab.name), http, listen=self._listen)
