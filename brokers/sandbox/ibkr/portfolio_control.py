"""Sandbox-only controls of the emulated IBKR portfolio (no OAuth, never under /v1/api).

- `GET  /sandbox/ibkr/portfolio`: every account's cash, net liquidation, day P&L and holdings (with the
  mark each is valued at now), and the settings.
- `POST /sandbox/ibkr/portfolio/account {"account": "DU1234567", "cash": "100000",
  "positions": [{"conid": 265598, "quantity": "100", "average_price": "185.00"}]}`: start an account over
  with this cash and these holdings (its day P&L counts from here).
- `POST /sandbox/ibkr/portfolio/settings {"accounts_interval_s": 5, "pnl_interval_s": 5, "portfolio2": true}`:
  the pacing of `/portfolio/accounts` (per login) and of `pnl/partitioned` (per session), and whether
  `/portfolio2` is served (false: 404, so clients fall back to the paged endpoint). Any subset.
- `POST /sandbox/ibkr/portfolio/reset`: forget every holding, session and setting.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from brokers.sandbox.ibkr.order_control import json_object
from brokers.sandbox.ibkr.portfolio_routes import PortfolioEndpoints

MAX_INTERVAL_S = 60.0


def _bad_request(message: str) -> JSONResponse:
    return JSONResponse({"error": message, "statusCode": 400}, status_code=400)


def _decimal(value: object, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"'{name}' must be a number or a numeric string")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"'{name}' must be a number or a numeric string") from None
    if not number.is_finite():
        raise ValueError(f"'{name}' must be finite")
    return number


def portfolio_control_routes(endpoints: PortfolioEndpoints) -> list[Route]:
    book = endpoints.book

    def state() -> dict[str, Any]:
        accounts = {}
        for account, held in book.accounts.items():
            figures = book.figures(account)
            holdings = [
                {
                    "conid": h.conid,
                    "quantity": str(h.quantity),
                    "average_price": str(h.average_price),
                    "realized_today": str(h.realized_today),
                    "mark": str(book.mark(h.conid)),
                }
                for h in held.holdings.values()
            ]
            accounts[account] = {
                "cash": str(figures.cash),
                "net_liquidation": str(figures.net_liquidation),
                "day_pnl": str(figures.day_pnl),
                "holdings": holdings,
            }
        settings = endpoints.settings
        return {
            "accounts": accounts,
            "settings": {
                "accounts_interval_s": settings.accounts_interval_s,
                "pnl_interval_s": settings.pnl_interval_s,
                "portfolio2": settings.portfolio2,
            },
        }

    async def overview(request: Request) -> JSONResponse:
        return JSONResponse(state())

    async def account(request: Request) -> JSONResponse:
        try:
            body = await json_object(request)
            name = body.get("account")
            if not isinstance(name, str) or not name:
                raise ValueError("'account' must name the account")
            cash = _decimal(body.get("cash", "1000000"), "cash")
            positions = body.get("positions", [])
            if not isinstance(positions, list) or not all(isinstance(p, dict) for p in positions):
                raise ValueError("'positions' must be a list of {conid, quantity, average_price}")
            holdings = []
            for position in positions:
                conid = position.get("conid")
                if isinstance(conid, bool) or not isinstance(conid, int):
                    raise ValueError("a position's 'conid' must be a whole number")
                try:
                    book.contract(conid)
                except KeyError:
                    raise ValueError(f"the sandbox market does not trade conid {conid}") from None
                quantity = _decimal(position.get("quantity"), "quantity")
                holdings.append((conid, quantity, _decimal(position.get("average_price"), "average_price")))
        except ValueError as exc:
            return _bad_request(str(exc))
        book.set(name, cash, holdings)
        return JSONResponse(state())

    async def settings(request: Request) -> JSONResponse:
        current = endpoints.settings
        try:
            body = await json_object(request)
            if unknown := set(body) - {"accounts_interval_s", "pnl_interval_s", "portfolio2"}:
                raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
            for name in ("accounts_interval_s", "pnl_interval_s"):
                if name in body:
                    value = body[name]
                    numeric = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
                    if not numeric or not 0 <= value <= MAX_INTERVAL_S:
                        raise ValueError(f"'{name}' must be a number of seconds from 0 to {MAX_INTERVAL_S:g}")
            if "portfolio2" in body and not isinstance(body["portfolio2"], bool):
                raise ValueError("'portfolio2' must be true or false")
        except ValueError as exc:
            return _bad_request(str(exc))
        current.accounts_interval_s = float(body.get("accounts_interval_s", current.accounts_interval_s))
        current.pnl_interval_s = float(body.get("pnl_interval_s", current.pnl_interval_s))
        current.portfolio2 = body.get("portfolio2", current.portfolio2)
        return JSONResponse(state())

    async def reset(request: Request) -> JSONResponse:
        endpoints.reset()
        return JSONResponse(state())

    return [
        Route("/sandbox/ibkr/portfolio", overview, methods=["GET"]),
        Route("/sandbox/ibkr/portfolio/account", account, methods=["POST"]),
        Route("/sandbox/ibkr/portfolio/settings", settings, methods=["POST"]),
        Route("/sandbox/ibkr/portfolio/reset", reset, methods=["POST"]),
    ]
