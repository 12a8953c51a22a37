"""The emulated IBKR Client Portal Web API (`https://api.ibkr.com/v1/api`) with first-party OAuth 1.0a.

Every `/v1/api` route checks the OAuth header as IBKR does: the LST route an RSA-SHA256 signature
over the prepended base string, every other route HMAC-SHA256 keyed by a live LST, or else an
OAuth 2.0 SSO bearer token (`oauth2_routes.py` issues those). The session
quirks clients trip over are kept: "no bridge" before ssodh/init, the snapshot pre-flight, idle
session expiry, 410 on paper ssodh/init, and injectable faults.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from brokers.sandbox.ibkr.consumers import SERVER_INFO, Consumer, ConsumerRegistry, OAuthRejected, Session
from brokers.sandbox.ibkr.contracts import secdef_search
from brokers.sandbox.ibkr.crypto import (
    OAuthError,
    base_strings,
    hmac_sha256_matches,
    lst_signature,
    mint_live_session_token,
    rsa_sha256_matches,
)
from brokers.sandbox.ibkr.faults import FaultInjector, control_routes, fault_response
from brokers.sandbox.ibkr.oauth2_clients import Oauth2Clients
from brokers.sandbox.ibkr.oauth2_routes import Oauth2Endpoints
from brokers.sandbox.ibkr.oauth2_sessions import Oauth2Sessions, is_bearer
from brokers.sandbox.ibkr.order_control import order_control_routes
from brokers.sandbox.ibkr.order_desk import OrderDesk
from brokers.sandbox.ibkr.order_routes import OrderEndpoints
from brokers.sandbox.ibkr.portal import portal_routes
from brokers.sandbox.ibkr.portfolio_control import portfolio_control_routes
from brokers.sandbox.ibkr.portfolio_routes import PortfolioEndpoints
from brokers.sandbox.ibkr.stream_control import StreamHub
from brokers.sandbox.ibkr.ticker import format_size
from brokers.sandbox.services import SandboxContext

API = "/v1/api"
DEFAULT_IDLE_TIMEOUT_S = 360.0
_NO_BRIDGE = "Bad Request: no bridge"

Handler = Callable[[Request, Consumer, Session], Awaitable[Response]]


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message, "statusCode": status}, status_code=status)


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    return json.loads(raw) if raw.strip() else None


class _Gateway:
    """One sandbox's IBKR: its consumers, faults and market view."""

    def __init__(self, context: SandboxContext, idle_timeout_s: float) -> None:
        self.market = context.market
        self.idle_timeout_s = idle_timeout_s
        self.registry = ConsumerRegistry()
        self.sso = Oauth2Sessions(self.registry)
        self.faults = FaultInjector()
        self.last_trade: dict[int, float] = {}
        self.desk = OrderDesk(context.market, self.last_trade)
        self.portfolio = PortfolioEndpoints(context.market, self.last_trade, self.desk)
        self.stream = StreamHub(
            context.market, self.registry, self.last_trade, idle_timeout_s, self.desk, self.sso, self.portfolio
        )
        self.orders = OrderEndpoints(context.market, self.desk, self.stream.streaming)

    # ---- OAuth -------------------------------------------------------------------------------

    def _candidates(self, request: Request, params: dict[str, str]) -> list[str]:
        """Base strings over the URL the client addressed (scheme, Host header, path), query aside."""
        url = request.url
        query = parse_qsl(url.query, keep_blank_values=True)
        return base_strings(request.method, f"{url.scheme}://{url.netloc}{url.path}", params, query)

    async def live_session_token(self, request: Request) -> Response:
        if (injected := await self._inject(request)) is not None:
            return injected
        try:
            header = request.headers.get("authorization")
            consumer, params = self.registry.check(header, "RSA-SHA256", "diffie_hellman_challenge")
            grant = consumer.grant(params["oauth_token"], time.time())
            if grant is None or grant.refused:  # a token the portal issued to fail (a sandbox control)
                raise OAuthRejected(
                    f"id: 118871, error: LST failed, error: No access secret key found for {params['oauth_token']}"
                )
            prepend = grant.secret.hex()
            messages = [prepend + c for c in self._candidates(request, params)]
            if not rsa_sha256_matches(grant.signature_key, params["oauth_signature"], messages):
                raise OAuthRejected(
                    "invalid signature: the RSA-SHA256 signature does not verify against the registered "
                    "signature key over the prepended base string"
                )
            try:
                response_hex, lst = mint_live_session_token(
                    params["diffie_hellman_challenge"], grant.dh_prime, grant.secret
                )
            except OAuthError as exc:
                raise OAuthRejected(str(exc), status=400) from None
        except OAuthRejected as rejected:
            return _error(rejected.status, str(rejected))
        now = time.time()
        consumer.remember_nonce(params["oauth_nonce"], now)
        token = consumer.issue(base64.b64decode(lst), now, access_token=grant.access_token)
        return JSONResponse(
            {
                "diffie_hellman_response": response_hex,
                "live_session_token_signature": lst_signature(lst, consumer.consumer_key),
                "live_session_token_expiration": int(token.expires_at * 1000),
            }
        )

    def _authenticate(self, request: Request) -> Consumer:
        consumer, params = self.registry.check(request.headers.get("authorization"), "HMAC-SHA256")
        messages, signature = self._candidates(request, params), params["oauth_signature"]
        access_token = params["oauth_token"]
        token = next(
            (
                t
                for t in consumer.tokens
                if t.access_token == access_token and hmac_sha256_matches(t.key, signature, messages)
            ),
            None,
        )
        if token is None:
            raise OAuthRejected(
                "invalid signature: not an HMAC-SHA256 signature by any live session token of "
                f"{consumer.consumer_key} minted with this access token"
            )
        now = time.time()
        if token.expires_at <= now:
            raise OAuthRejected("live session token expired; mint a new one at /oauth/live_session_token")
        consumer.remember_nonce(params["oauth_nonce"], now)
        return consumer

    async def _inject(self, request: Request) -> Response | None:
        fault = self.faults.take(request.url.path)
        if fault is None:
            return None
        if fault.delay_s is not None:
            await asyncio.sleep(fault.delay_s)
            self.faults.applied_to(request.url.path, fault)
            return None
        self.faults.applied_to(request.url.path, fault)
        return fault_response(fault.status or 500, request.url.path)

    def signed(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """Wrap an API handler: faults first, then the HMAC check (or OAuth 2.0's SSO bearer token),
        then the (touched) session."""

        async def endpoint(request: Request) -> Response:
            if (injected := await self._inject(request)) is not None:
                return injected
            header = request.headers.get("authorization")
            try:
                if header is not None and is_bearer(header):
                    consumer = self.sso.bearer(header, time.time())
                else:
                    consumer = self._authenticate(request)
            except OAuthRejected as rejected:
                return _error(rejected.status, str(rejected))
            return await handler(request, consumer, consumer.current_session(self.idle_timeout_s))

        return endpoint

    # ---- session ---------------------------------------------------------------------------

    async def ssodh_init(self, request: Request, consumer: Consumer, session: Session) -> Response:
        if consumer.paper_410:
            return _error(410, "Gone")
        try:
            options = await _json_body(request)
        except ValueError:
            options = None
        if options is None:
            options = {k: v == "true" for k, v in request.query_params.items()}
        if not isinstance(options, dict) or options.get("publish") is not True:
            return _error(500, "publish must be true to open a brokerage session")
        if self.faults.competing and options.get("compete") is True:
            self.faults.competing = False
        if not self.faults.competing:
            session.brokerage = True
        status = session.auth_status(self.faults.competing)
        del status["fail"]
        return JSONResponse({**status, "passed": session.brokerage, "established": session.brokerage})

    async def auth_status(self, request: Request, consumer: Consumer, session: Session) -> Response:
        return JSONResponse(session.auth_status(self.faults.competing))

    async def tickle(self, request: Request, consumer: Consumer, session: Session) -> Response:
        now = time.time()
        expires = max((t.expires_at for t in consumer.tokens), default=now)
        return JSONResponse(
            {
                "session": session.session_id,
                "ssoExpires": max(0, int((expires - now) * 1000)),
                "collission": False,
                "userId": consumer.user_id,
                "hmds": {"error": "no bridge"},
                "iserver": {"authStatus": session.auth_status(self.faults.competing)},
            }
        )

    async def logout(self, request: Request, consumer: Consumer, session: Session) -> Response:
        consumer.end_session()
        return JSONResponse({"status": True})

    # ---- accounts and market data ------------------------------------------------------------

    async def iserver_accounts(self, request: Request, consumer: Consumer, session: Session) -> Response:
        if not session.brokerage:
            return _error(400, _NO_BRIDGE)
        session.accounts_queried = True
        accounts = list(consumer.accounts)
        return JSONResponse(
            {
                "accounts": accounts,
                "acctProps": {a: {"hasChildAccounts": False, "supportsCashQty": True} for a in accounts},
                "aliases": {a: a for a in accounts},
                "selectedAccount": accounts[0],
                "isPaper": all(a.startswith("D") for a in accounts),
                "sessionId": session.session_id,
                "serverInfo": dict(SERVER_INFO),
            }
        )

    async def snapshot(self, request: Request, consumer: Consumer, session: Session) -> Response:
        if not session.brokerage:
            return _error(400, _NO_BRIDGE)
        if not session.accounts_queried:
            return _error(400, "Please query /accounts first")
        try:
            conids = [int(c) for c in request.query_params.get("conids", "").split(",") if c.strip()]
        except ValueError:
            return _error(400, "conids must be a comma-separated list of contract ids")
        if not conids:
            return _error(400, "conids is required")
        fields = [f.strip() for f in request.query_params.get("fields", "").split(",") if f.strip()]
        for quote in self.market.step():
            if quote.last is not None:
                self.last_trade[quote.conid] = quote.last
        self.desk.match()
        rows = []
        for conid in conids:
            row: dict[str, Any] = {"conid": conid, "conidEx": str(conid)}
            known = session.snapshot_fields.get(conid)
            session.snapshot_fields[conid] = (known or set()) | set(fields)
            if known is not None:
                values = self._values(conid, fields or sorted(session.snapshot_fields[conid]))
                if values:
                    row |= values | {"_updated": int(time.time() * 1000), "server_id": "q0"}
            rows.append(row)
        return JSONResponse(rows)

    def _values(self, conid: int, fields: list[str]) -> dict[str, str]:
        """IBKR-formatted field strings; a conid the market does not trade never gets data."""
        try:
            instrument = self.market.instrument(conid)
        except KeyError:
            return {}
        quote = self.market.quote(conid)
        decimals = max(0, -int(Decimal(str(instrument.tick_size)).as_tuple().exponent))
        last = self.last_trade.get(conid)
        available = {
            # Before any print IBKR shows the prior close with a "C" prefix; the bid stands in for it.
            "31": f"{last:.{decimals}f}" if last is not None else f"C{quote.bid:.{decimals}f}",
            "55": instrument.symbol,
            "84": f"{quote.bid:.{decimals}f}",
            "85": format_size(quote.ask_size),
            "86": f"{quote.ask:.{decimals}f}",
            "88": format_size(quote.bid_size),
        }
        return {f: available[f] for f in fields if f in available}

    def app(self) -> Starlette:
        api: list[tuple[str, Handler, list[str]]] = [
            ("/iserver/auth/ssodh/init", self.ssodh_init, ["POST"]),
            ("/iserver/auth/status", self.auth_status, ["POST"]),
            ("/tickle", self.tickle, ["GET", "POST"]),
            ("/logout", self.logout, ["POST"]),
            ("/iserver/accounts", self.iserver_accounts, ["GET"]),
            ("/iserver/marketdata/snapshot", self.snapshot, ["GET"]),
            ("/iserver/secdef/search", secdef_search(self.market), ["GET"]),
            *self.orders.routes(),
            *self.portfolio.routes(),
        ]
        routes = [
            Route(f"{API}/oauth/live_session_token", self.live_session_token, methods=["POST"]),
            *(Route(API + path, self.signed(handler), methods=methods) for path, handler, methods in api),
            *control_routes(self.faults, self.registry, self.idle_timeout_s),
            *order_control_routes(self.orders),
            *portfolio_control_routes(self.portfolio),
            *portal_routes(self.registry),
            *Oauth2Endpoints(Oauth2Clients(), self.sso).routes(),
            *self.stream.routes(API),
        ]
        return Starlette(routes=routes)


class IbkrEmulator:
    """The IBKR gateway service ("ibkr"); each sandbox gets fresh, empty state."""

    name = "ibkr"

    def __init__(self, idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S) -> None:
        self.idle_timeout_s = idle_timeout_s

    def build_app(self, context: SandboxContext) -> Starlette:
        return _Gateway(context, self.idle_timeout_s).app()

    def profiles(self, urls: Mapping[str, str]) -> list[dict[str, Any]]:
        profile = {
            "name": "sandbox-ibkr",
            "kind": "ibkr-oauth1a",
            "label": "IBKR (sandbox)",
            "base_url": urls[self.name] + API,
        }
        oauth2 = {
            "name": "sandbox-ibkr-oauth2",
            "kind": "ibkr-oauth2",
            "label": "IBKR OAuth 2.0 (sandbox)",
            "base_url": profile["base_url"],
            "client_id": "BDSANDBOX2",
            "key_id": "main",
            "credential": "sandboxfirm1",
            "public_ip": "127.0.0.1",
            "account": "DU7654321",
        }
        return [profile | {"consumer_key": "BDSANDBOX", "realm": "limited_poa", "account": "DU1234567"}, oauth2]
