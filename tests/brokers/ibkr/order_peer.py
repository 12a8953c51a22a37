"""An `IbkrOrderRoute` over a connected session to the in-process sandbox gateway, and its order controls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from brokers.core.orders import OrderRequest, OrderType, Side
from brokers.ibkr.orders import IbkrOrderRoute
from brokers.ibkr.session import IbkrSession
from tests.brokers.ibkr.sandbox_peer import Gateway, running_gateway

ACCOUNT = "DU1234567"
AAPL = 265598


@dataclass
class Desk:
    gw: Gateway
    session: IbkrSession
    route: IbkrOrderRoute

    async def control(self, path: str, **body: Any) -> dict[str, Any]:
        response = await self.gw.http.post(f"{self.gw.url}/sandbox/ibkr/orders/{path}", json=body)
        response.raise_for_status()
        return dict(response.json())

    async def received(self, *kinds: str) -> list[dict[str, Any]]:
        response = await self.gw.http.get(f"{self.gw.url}/sandbox/ibkr/orders/received")
        return [e for e in response.json()["received"] if not kinds or e["kind"] in kinds]

    async def touch(self) -> tuple[Decimal, Decimal]:
        """Subscribe AAPL's market data (no o354 from here on) and read its bid and ask."""
        params = {"conids": str(AAPL), "fields": "84,86"}
        await self.session.request("GET", "/iserver/accounts")
        await self.session.request("GET", "/iserver/marketdata/snapshot", params=params)
        row = (await self.session.request("GET", "/iserver/marketdata/snapshot", params=params))[0]
        return Decimal(row["84"]), Decimal(row["86"])


def request(order_type: OrderType, quantity: int = 10, **fields: Any) -> OrderRequest:
    return OrderRequest(
        "ibkr-test", "AAPL", AAPL, fields.pop("side", Side.BUY), Decimal(quantity), order_type, **fields
    )


POLL_INTERVAL_S = 0.2  # the pacing tests run the route and the sandbox at (IBKR: 5 s)


@asynccontextmanager
async def order_desk(poll_interval_s: float = POLL_INTERVAL_S) -> AsyncIterator[Desk]:
    """A fresh sandbox, a connected session, and a route pacing its polls at `poll_interval_s` (the sandbox too)."""
    async with running_gateway() as gw:
        session = IbkrSession(gw.base_url, await gw.credentials())
        await session.connect()
        desk = Desk(gw, session, IbkrOrderRoute(session, ACCOUNT, poll_interval_s=poll_interval_s))
        await desk.control("settings", poll_interval_s=poll_interval_s)
        try:
            yield desk
        finally:
            await session.close()
