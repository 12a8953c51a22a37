"""Talking to the emulated IBKR order desk as a bare client would: signed requests and the sandbox controls."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

from tests.brokers.sandbox_ibkr.client_helpers import AAPL, ACCOUNT, Consumer, ibkr_sandbox, register

_KEYS = itertools.count(1)


def limit_ticket(price: float, quantity: int = 10, **fields: Any) -> dict[str, Any]:
    """A day limit buy of AAPL with a fresh cOID; `fields` override or add ticket fields."""
    ticket = {"acctId": ACCOUNT, "conid": AAPL, "orderType": "LMT", "side": "BUY", "tif": "DAY"}
    return ticket | {"quantity": quantity, "price": price, "cOID": f"bd-test-{next(_KEYS)}"} | fields


@dataclass
class Desk:
    client: httpx.AsyncClient
    root: str
    consumer: Consumer

    async def call(self, method: str, path: str, body: Any = None, **query: str) -> httpx.Response:
        return await self.consumer.call(self.client, method, path, query or None, body)

    async def place(self, ticket: Any, account: str = ACCOUNT) -> httpx.Response:
        return await self.call("POST", f"/iserver/account/{account}/orders", {"orders": [ticket]})

    async def reply(self, reply_id: str, confirmed: bool = True) -> httpx.Response:
        return await self.call("POST", f"/iserver/reply/{reply_id}", {"confirmed": confirmed})

    async def accepted(self, ticket: dict[str, Any]) -> str:
        """Place `ticket`, confirming every question; the order id."""
        answer = (await self.place(ticket)).json()
        while "order_id" not in answer[0]:
            answer = (await self.reply(answer[0]["id"])).json()
        return str(answer[0]["order_id"])

    async def market_data(self, conid: int = AAPL) -> None:
        """A snapshot subscription for `conid`: orders for it are no longer asked o354."""
        response = await self.call("GET", "/iserver/marketdata/snapshot", conids=str(conid), fields="31,84,86")
        assert response.status_code == 200, response.text

    async def control(self, path: str, **body: Any) -> dict[str, Any]:
        response = await self.client.post(f"{self.root}/sandbox/ibkr/orders/{path}", json=body)
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def state(self) -> dict[str, Any]:
        return dict((await self.client.get(f"{self.root}/sandbox/ibkr/orders")).json())

    async def received(self) -> list[dict[str, Any]]:
        return list((await self.client.get(f"{self.root}/sandbox/ibkr/orders/received")).json()["received"])

    async def order(self, order_id: str) -> dict[str, Any]:
        """The order's row as the sandbox holds it (no pacing: a control route)."""
        (row,) = [o for o in (await self.state())["orders"] if str(o["orderId"]) == order_id]
        return dict(row)


@contextlib.asynccontextmanager
async def order_desk(poll_interval_s: float = 0.0) -> AsyncIterator[Desk]:
    """A fresh sandbox and a consumer with a brokerage session that has read its accounts."""
    async with ibkr_sandbox() as (client, root):
        consumer = await register(client, root)
        await consumer.start_brokerage(client)
        desk = Desk(client, root, consumer)
        await desk.control("settings", poll_interval_s=poll_interval_s)
        yield desk
