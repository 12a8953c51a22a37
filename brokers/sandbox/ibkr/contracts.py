"""Contract lookup on the emulated IBKR: `GET /iserver/secdef/search`, how a client finds conids.

A streaming client asks for market data by conid; this search is how it learns them from symbols.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from brokers.sandbox.ibkr.consumers import Consumer, Session
from brokers.sandbox.market import SyntheticMarket

# Company name, listing exchange and security type, as /iserver/secdef/search reports them.
_CONTRACTS = {
    "AAPL": ("APPLE INC", "NASDAQ", "STK"),
    "MSFT": ("MICROSOFT CORP", "NASDAQ", "STK"),
    "ES": ("E-mini S&P 500", "CME", "FUT"),
    "EUR.USD": ("European Monetary Union Euro", "IDEALPRO", "CASH"),
}


def _bad_request(message: str) -> JSONResponse:
    return JSONResponse({"error": message, "statusCode": 400}, status_code=400)


def secdef_search(market: SyntheticMarket) -> Callable[[Request, Consumer, Session], Awaitable[Response]]:
    """`GET /iserver/secdef/search?symbol=`: a case-insensitive prefix match over the market's symbols."""

    async def search(request: Request, consumer: Consumer, session: Session) -> Response:
        if not session.brokerage:
            return JSONResponse({"error": "Bad Request: no bridge", "statusCode": 400}, status_code=400)
        prefix = request.query_params.get("symbol", "").strip().upper()
        if not prefix:
            return _bad_request("symbol is required")
        rows = []
        for instrument in market.instruments:
            if instrument.symbol.upper().startswith(prefix):
                name, exchange, sec_type = _CONTRACTS.get(instrument.symbol, (instrument.symbol, "SMART", "STK"))
                row = {"conid": str(instrument.conid), "companyName": name, "symbol": instrument.symbol}
                rows.append(row | {"description": exchange, "secType": sec_type})
        return JSONResponse(rows)

    return search
