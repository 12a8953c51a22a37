"""The control service: the sandbox's own health check and a window onto its synthetic market.

It emulates no broker. Tests and `make run` use it to see that the sandbox is up, which seed it
runs, and what the market the broker emulators stream looks like right now.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from brokers.sandbox.market import MAX_BOOK_LEVELS
from brokers.sandbox.services import SandboxContext


class ControlService:
    """Serves /health, /market/instruments and /market/book/{conid}; contributes no profiles."""

    name = "control"

    def build_app(self, context: SandboxContext) -> Starlette:
        # Handlers are async so they run on the event loop, the only place the market is touched.
        async def health(_: Request) -> JSONResponse:
            return JSONResponse({"status": "ok", "seed": context.seed, "uptime_s": context.uptime_s()})

        async def instruments(_: Request) -> JSONResponse:
            return JSONResponse([dataclasses.asdict(i) for i in context.market.instruments])

        async def book(request: Request) -> JSONResponse:
            market = context.market
            raw_conid = request.path_params["conid"]
            try:
                conid = int(raw_conid)
                instrument = market.instrument(conid)
            except (ValueError, KeyError):
                return _error(404, "unknown_conid", f"no instrument with conid {raw_conid}")
            try:
                levels = int(request.query_params.get("levels", "10"))
            except ValueError:
                levels = 0
            if not 1 <= levels <= MAX_BOOK_LEVELS:
                return _error(400, "bad_levels", f"levels must be a whole number from 1 to {MAX_BOOK_LEVELS}")
            market.step()
            quote = market.quote(conid)
            bids, asks = market.book(conid, levels)
            return JSONResponse(
                {
                    "conid": conid,
                    "symbol": instrument.symbol,
                    "seq": quote.seq,
                    "bids": [{"price": p, "size": s} for p, s in bids],
                    "asks": [{"price": p, "size": s} for p, s in asks],
                }
            )

        return Starlette(
            routes=[
                Route("/health", health, methods=["GET"]),
                Route("/market/instruments", instruments, methods=["GET"]),
                Route("/market/book/{conid}", book, methods=["GET"]),
            ]
        )

    def profiles(self, urls: Mapping[str, str]) -> list[dict[str, Any]]:
        return []


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status)
