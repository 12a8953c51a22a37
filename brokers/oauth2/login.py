"""The browser login, from discovery to stored tokens; the same flow serves the window and the CLI.

`start` discovers the server, registers when needed, opens the loopback listener and returns the URL to
open in the system browser. `finish` waits for the browser's redirect (or a pasted URL), exchanges the
code and stores the tokens before returning them. The listener is closed on every way out.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

from brokers.core.connector import SignInStarted
from brokers.oauth2.authorize import AuthorizationRequest
from brokers.oauth2.discovery import Discovery, ServerMetadata, discover
from brokers.oauth2.errors import LoginCancelled, LoginFailed, LoginTimeout, OAuthError, TokenRequestFailed
from brokers.oauth2.listener import LoopbackListener
from brokers.oauth2.profile import OAuth2Profile
from brokers.oauth2.registration import ClientRegistration, configured_client, register
from brokers.oauth2.store import OAuthStore
from brokers.oauth2.tls import make_loopback_certificate, needs_renewal, server_context
from brokers.oauth2.tokens import TokenRecord, TokenSet, exchange_code

#: how long the trader has to approve in the browser
LOGIN_TIMEOUT_S = 300.0


def callback_path(profile: str) -> str:
    """One path per profile: a code meant for one broker is never accepted as another's (mix-up defence)."""
    return f"/callback/{profile}"


class LoginFlow:
    """One login attempt for one profile; `start()`, then `finish()`; `cancel()` or a paste at any time."""

    def __init__(
        self,
        profile: OAuth2Profile,
        store: OAuthStore,
        http: httpx.AsyncClient,
        *,
        listen: bool = True,
        timeout_s: float = LOGIN_TIMEOUT_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.profile = profile
        self._store = store
        self._http = http
        self._listen = listen
        self._timeout_s = timeout_s
        self._clock = clock
        self._code: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._listener: LoopbackListener | None = None
        self._request: AuthorizationRequest | None = None
        self._client: ClientRegistration | None = None
        self._discovery: Discovery | None = None
        self._deadline = 0.0

    async def start(self) -> SignInStarted:
        try:
            return await self._start()
        except BaseException:
            await self._close_listener()
            raise

    async def finish(self) -> TokenSet:
        """Wait for the code, exchange it and store the tokens; always closes the listener."""
        request, client, discovery = self._request, self._client, self._discovery
        if request is None or client is None or discovery is None:
            raise RuntimeError("start() the login first")
        try:
            try:
                async with asyncio.timeout(max(0.0, self._deadline - self._clock())):
                    code = await self._code
            except TimeoutError:
                raise LoginTimeout(
                    f"nobody approved the sign-in within {self._timeout_s / 60:g} minutes", "sign in again to connect"
                ) from None
            await self._close_listener()
            return await self._exchange(code, request, client, discovery.server)
        finally:
            await self._close_listener()

    def submit_pasted(self, text: str) -> None:
        """Use a redirected URL pasted by the trader; raises what is wrong with it and keeps waiting."""
        if self._request is None:
            raise RuntimeError("start() the login first")
        if self._code.done():
            raise LoginFailed("this sign-in has already ended", "connect again")
        try:
            code = self._request.accept_pasted(text)
        except OAuthError as exc:
            if self._request.spent:
                self._fail(exc)  # the response was ours but says no: the login is over
            raise
        self._code.set_result(code)

    def cancel(self) -> None:
        self._fail(LoginCancelled("the sign-in was cancelled"))

    # -- internals -----------------------------------------------------------------------------

    async def _start(self) -> SignInStarted:
        profile = self.profile
        self._discovery = await discover(self._http, profile.issuer, profile.resource)
        server = self._discovery.server
        stored = await asyncio.to_thread(self._store.registration)
        port = profile.redirect_port or _registered_port(stored, server.issuer)
        redirect_uri = await self._open_callback(port, fixed=bool(profile.redirect_port))
        scopes = profile.scopes or self._discovery.resource_scopes
        self._client = await self._registration(server, stored, redirect_uri, scopes)
        self._request = AuthorizationRequest(server, self._client.client_id, redirect_uri, scopes, profile.resource)
        self._deadline = self._clock() + self._timeout_s
        return SignInStarted(url=self._request.url, redirect_uri=redirect_uri, deadline=self._deadline)

    async def _open_callback(self, port: int, *, fixed: bool) -> str:
        tls = await self._tls_context() if self.profile.loopback_tls else None
        path = callback_path(self.profile.name)
        listener = LoopbackListener(path, self._on_callback, port=port, tls=tls)
        if not self._listen:
            listener.port = port or free_port()
            return listener.redirect_uri
        try:
            await listener.start()
        except OSError as exc:
            if fixed or not port:
                raise LoginFailed(
                    f"cannot listen on 127.0.0.1 port {port or 'any'} for the browser's return ({exc.strerror}); "
                    "close the program using it, or change the profile's redirect_port"
                ) from exc
            listener = LoopbackListener(path, self._on_callback, tls=tls)  # the registered port is busy: any port
            await listener.start()
        self._listener = listener
        return listener.redirect_uri

    async def _registration(
        self, server: ServerMetadata, stored: ClientRegistration | None, redirect_uri: str, scopes: tuple[str, ...]
    ) -> ClientRegistration:
        if self.profile.client_id:
            return configured_client(server.issuer, self.profile.client_id, redirect_uri)
        if stored is not None and stored.usable_for(server.issuer, redirect_uri, self._clock()):
            return stored
        registration = await register(self._http, server, redirect_uri, scopes)
        await asyncio.to_thread(self._store.save_registration, registration)
        return registration

    async def _exchange(
        self, code: str, request: AuthorizationRequest, client: ClientRegistration, server: ServerMetadata
    ) -> TokenSet:
        try:
            tokens = await exchange_code(
                self._http,
                server,
                client,
                code=code,
                redirect_uri=request.redirect_uri,
                verifier=request.pkce.verifier,
                resource=self._token_resource,
                now=self._clock(),
            )
        except TokenRequestFailed:
            if client.dynamic:
                # The server may have dropped our registration; register afresh on the next connect.
                await asyncio.to_thread(self._store.forget_registration)
            raise
        tokens = self._granted(tokens)
        record = TokenRecord(server=server, client=client, tokens=tokens)
        await asyncio.to_thread(self._store.save_record, record)  # stored before anyone uses them
        return tokens

    @property
    def _token_resource(self) -> str:
        """The RFC 8707 resource the code exchange names; a broker without resource indicators names none."""
        return self.profile.resource

    def _granted(self, tokens: TokenSet) -> TokenSet:
        """The tokens as they are stored; a broker whose server does not announce a fact (a horizon) adds it."""
        return tokens

    def _on_callback(self, params: dict[str, str]) -> str | None:
        """What happened, for the browser's page, when the redirect cannot be used; the app says what to do."""
        if self._request is None or self._code.done():
            return "this sign-in had already ended when the browser came back"
        try:
            self._code.set_result(self._request.accept(params))
        except OAuthError as exc:
            self._fail(exc)
            return exc.what
        return None

    def _fail(self, error: BaseException) -> None:
        if not self._code.done():
            self._code.set_exception(error)

    async def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            await listener.close()
        if self._code.done() and not self._code.cancelled():
            self._code.exception()  # mark a failure as seen: it is raised by finish() or was never awaited

    async def _tls_context(self) -> ssl.SSLContext:
        def load() -> bytes:
            bundle = self._store.tls_material()
            if bundle is None or needs_renewal(bundle, time.time()):
                bundle = make_loopback_certificate()
                self._store.save_tls_material(bundle)
            return bundle

        return server_context(await asyncio.to_thread(load))


def _registered_port(stored: ClientRegistration | None, issuer: str) -> int:
    """Reuse the port of a stored registration, so servers that match redirect URIs exactly keep working."""
    if stored is None or stored.issuer != issuer or not stored.redirect_uris:
        return 0
    return urlsplit(stored.redirect_uris[0]).port or 0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
