"""The emulated IBKR's reading of an order ticket: the fields a place or modify request must carry.

IBKR answers invalid request content with a 500 and a ticket it understands but cannot accept with
HTTP 200 and `{"error": ...}`; `TicketError.status` says which. Prices stay `Decimal` from the JSON on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

ORDER_TYPES = ("MKT", "LMT", "STP", "STOP_LIMIT")
UNSUPPORTED_TYPES = ("MIDPRICE", "TRAIL", "TRAILLMT")
TIFS = ("GTC", "OPG", "DAY", "IOC", "PAX", "OVT", "OND")
SIDES = ("BUY", "SELL")


class TicketError(Exception):
    """Why a ticket is refused; `status` is 500 for content IBKR cannot read, 200 for a refused order."""

    def __init__(self, message: str, status: int = 200) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Ticket:
    """One order as the gateway understood it. `price` is the limit, or the stop of a STP order.

    `parent_ref` is a bracket child's `parentId` (its parent's cOID, or an order id already placed);
    `single_group` is `isSingleGroup`, set on every order of an OCA group.
    """

    conid: int
    order_type: str
    side: str
    tif: str
    quantity: Decimal
    price: Decimal | None
    aux_price: Decimal | None
    outside_rth: bool
    coid: str
    account: str | None
    raw: dict[str, Any]
    parent_ref: str | None = None
    single_group: bool = False

    @property
    def limit(self) -> Decimal | None:
        return self.price if self.order_type in ("LMT", "STOP_LIMIT") else None

    @property
    def stop(self) -> Decimal | None:
        if self.order_type == "STP":
            return self.price
        return self.aux_price if self.order_type == "STOP_LIMIT" else None


def parse_body(raw: bytes) -> Any:
    """The JSON body; unreadable content is IBKR's 500."""
    try:
        return json.loads(raw, parse_float=Decimal)
    except ValueError:
        raise TicketError("invalid request content: the body is not JSON", 500) from None


def placed_tickets(body: Any) -> list[Ticket]:
    """The tickets of a place request `{"orders": [ticket, ...]}`, in the order sent."""
    if not isinstance(body, dict) or not isinstance(body.get("orders"), list) or not body["orders"]:
        raise TicketError('invalid request content: the body must be {"orders": [ticket, ...]}', 500)
    return [ticket(data) for data in body["orders"]]


def ticket(data: Any) -> Ticket:
    """A complete ticket, or TicketError naming the first thing wrong with it."""
    if not isinstance(data, dict):
        raise TicketError("invalid request content: a ticket must be a JSON object", 500)
    missing = [f for f in ("conid", "orderType", "side", "tif", "quantity") if f not in data]
    if missing:
        raise TicketError(f"missing required field(s): {', '.join(missing)}")
    conid = data["conid"]
    if isinstance(conid, str) and conid.isdecimal():
        conid = int(conid)
    if isinstance(conid, bool) or not isinstance(conid, int):
        raise TicketError(f"invalid conid {data['conid']!r}")
    order_type = data["orderType"]
    if order_type in UNSUPPORTED_TYPES:
        raise TicketError(f"order type {order_type} is not offered by the sandbox")
    if order_type not in ORDER_TYPES:
        raise TicketError(f"invalid orderType {order_type!r}")
    side = str(data["side"]).upper()
    if side not in SIDES:
        raise TicketError(f"invalid side {data['side']!r}")
    if data["tif"] not in TIFS:
        raise TicketError(f"invalid tif {data['tif']!r}")
    quantity = _number(data, "quantity")
    if quantity is None or quantity <= 0:
        raise TicketError("quantity must be a positive number")
    if quantity != quantity.to_integral_value():
        raise TicketError("Only whole share values are supported: fractional quantity refused")
    price, aux = _number(data, "price"), _number(data, "auxPrice")
    if order_type in ("LMT", "STOP_LIMIT") and price is None:
        raise TicketError(f"price is required for {order_type} orders")
    if order_type == "STP" and price is None:
        raise TicketError("price (the stop price) is required for STP orders")
    if order_type == "STOP_LIMIT" and aux is None:
        raise TicketError("auxPrice (the stop price) is required for STOP_LIMIT orders")
    for value, name in ((price, "price"), (aux, "auxPrice")):
        if value is not None and value <= 0:
            raise TicketError(f"{name} must be positive")
    coid = data.get("cOID", "")
    account = data.get("acctId")
    if not isinstance(coid, str) or (account is not None and not isinstance(account, str)):
        raise TicketError("cOID and acctId must be strings")
    outside = data.get("outsideRTH", False)
    if not isinstance(outside, bool):
        raise TicketError("outsideRTH must be true or false")
    parent_ref = data.get("parentId")
    if isinstance(parent_ref, int) and not isinstance(parent_ref, bool):
        parent_ref = str(parent_ref)
    if parent_ref is not None and (not isinstance(parent_ref, str) or not parent_ref):
        raise TicketError("parentId must name the parent's cOID or order id")
    single_group = data.get("isSingleGroup", False)
    if not isinstance(single_group, bool):
        raise TicketError("isSingleGroup must be true or false")
    fields = (conid, order_type, side, data["tif"], quantity, price, aux, outside, coid, account, data)
    return Ticket(*fields, parent_ref, single_group)


def _number(data: dict[str, Any], name: str) -> Decimal | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise TicketError(f"{name} must be a number")
    return Decimal(value)
