"""The emulated IBKR's working orders, filled from the sandbox's synthetic market.

Marketable orders fill at the touch, walking the depth level by level for size; a resting limit fills
when the market crosses it or prints through it; a stop triggers on the last trade and then works as a
market (STP) or limit (STOP_LIMIT) order. Each order is matched once per market state, so the same
liquidity never fills twice. Every change is pushed to the `sor` and `str` subscribers as IBKR streams
them: `sor` rows sparse (the changed fields and `orderId`), `str` one execution per frame.

Related orders (`order_families.py`): a bracket child is held (`PreSubmitted`, never matched) until its
parent is completely filled, then works; cancelling a parent cancels its open children. The members of
an OCA group, and the children of one bracket parent once they work, are one-cancels-all: any fill of
one, even a partial one, cancels every other open member (the sandbox's choice: the API has no OCA
type field, and cancelling on the first fill never lets two members fill).
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from brokers.sandbox.ibkr.order_tickets import Ticket
from brokers.sandbox.ibkr.ticker import dumps
from brokers.sandbox.market import SyntheticMarket

FIRST_ORDER_ID = 1_487_000_001
COID_LIFETIME_S = 24 * 3600.0
DEPTH = 10
_TYPE_WORDS = {"MKT": "Market", "LMT": "Limit", "STP": "Stop", "STOP_LIMIT": "Stop Limit"}
_ORIGINAL_WORDS = {"MKT": "MARKET", "LMT": "LIMIT", "STP": "STOP", "STOP_LIMIT": "STOP_LIMIT"}
OPEN_STATUSES = ("PreSubmitted", "Submitted", "PendingCancel")
COMMISSION = Decimal("1.00")  # per execution
FillListener = Callable[[str, int, Decimal, Decimal, Decimal], None]
"""Told of every fill: account, conid, quantity (negative when sold), price, commission."""


@dataclass
class DeskOrder:
    """One order at the emulated broker; `status` is IBKR's word for its state."""

    order_id: int
    account: str
    ticket: Ticket
    symbol: str
    status: str = "Submitted"
    filled: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)
    triggered: bool = False
    matched_seq: int = -1
    cancel_due: bool = False
    last_execution_ms: int | None = None
    parent_id: int | None = None  # a bracket child's parent
    oca_group: str | None = None  # members cancel each other on a fill
    held: bool = False  # a child waiting for its parent to fill

    @property
    def remaining(self) -> Decimal:
        return self.ticket.quantity - self.filled

    @property
    def open(self) -> bool:
        return self.status in OPEN_STATUSES


Sink = tuple[deque[str], frozenset[str]]  # a socket's outbox, and the accounts it may see


class OrderDesk:
    """Every order and execution of one sandbox's IBKR, and the sockets that stream them."""

    def __init__(self, market: SyntheticMarket, last_trade: dict[int, float]) -> None:
        self.market, self.last_trade = market, last_trade
        self.orders: dict[int, DeskOrder] = {}
        self.executions: list[dict[str, Any]] = []
        self.coids: dict[tuple[str, str], float] = {}
        self.order_sinks: dict[int, Sink] = {}
        self.trade_sinks: dict[int, Sink] = {}
        self._published: dict[int, dict[str, Any]] = {}
        self.fill_listeners: list[FillListener] = []  # the position book
        self._ids = itertools.count(FIRST_ORDER_ID)
        self._executions = itertools.count(1)

    def reset(self) -> None:
        self.orders.clear()
        self.executions.clear()
        self.coids.clear()
        self._published.clear()

    # ---- orders ----------------------------------------------------------------------------------

    def registered(self, account: str, coid: str) -> bool:
        """Whether `coid` already named an order of `account` within the last 24 hours."""
        at = self.coids.get((account, coid))
        return bool(coid) and at is not None and time.time() - at < COID_LIFETIME_S

    def find(self, account: str, ref: str) -> DeskOrder | None:
        """The order of `account` that `ref` names: its order id, or its cOID."""
        order = self.orders.get(int(ref)) if ref.isdecimal() else None
        if order is None:
            order = next((o for o in self.orders.values() if o.ticket.coid == ref), None)
        return order if order is not None and order.account == account else None

    def submit_family(
        self,
        account: str,
        tickets: list[Ticket],
        oca: bool = False,
        outside_parent: DeskOrder | None = None,
        refuse_children: bool = False,
    ) -> list[DeskOrder | None]:
        """New orders of one request, linked as a bracket or an OCA group, then matched in order.

        With `refuse_children` the children are not placed (None in their place): the parent stands alone.
        """
        placed: list[DeskOrder | None] = []
        parent = outside_parent
        for ticket in tickets:
            if ticket.parent_ref is not None and refuse_children:
                placed.append(None)
                continue
            if ticket.coid:
                self.coids[(account, ticket.coid)] = time.time()
            order = DeskOrder(next(self._ids), account, ticket, self.market.instrument(ticket.conid).symbol)
            self.orders[order.order_id] = order
            order.status = "PreSubmitted" if ticket.stop is not None else "Submitted"
            if ticket.parent_ref is None:
                parent = order
            elif not oca and parent is not None:
                order.parent_id, order.oca_group = parent.order_id, f"children-of-{parent.order_id}"
                order.held = parent.status != "Filled"
                order.status = "PreSubmitted" if order.held else order.status
            placed.append(order)
        members = [o for o in placed if o is not None]
        if oca:
            for order in members:
                order.oca_group = f"oca-{members[0].order_id}"
        for order in members:
            if order.open and not order.held and order.status != "PendingCancel":
                self._match(order)
                self._settle(order)
            self._publish(order)
        return placed

    def replace(self, order: DeskOrder, ticket: Ticket) -> None:
        """The modify: the complete new ticket replaces the old one, and the order is matched again."""
        order.ticket = ticket
        order.triggered = False
        order.matched_seq = -1
        order.status = "PreSubmitted" if ticket.stop is not None or order.held else "Submitted"
        if order.remaining <= 0:
            order.status = "Filled"
        elif not order.held:
            self._match(order)
        self._settle(order)
        self._publish(order)

    def cancel(self, order: DeskOrder) -> None:
        """Cancelling takes a moment, as at IBKR: PendingCancel now, Cancelled at the next match.

        A parent's open children are cancelled with it.
        """
        order.status, order.cancel_due = "PendingCancel", True
        self._publish(order)
        for child in self.orders.values():
            if child.parent_id == order.order_id and child.open and not child.cancel_due:
                self.cancel(child)

    def match(self) -> None:
        """Match every open order against the market as it stands now."""
        for order in list(self.orders.values()):
            if order.cancel_due and order.open:
                order.status, order.cancel_due = "Cancelled", False
                self._publish(order)
            elif order.open and order.status != "PendingCancel" and not order.held:
                self._match(order)
                self._settle(order)
                self._publish(order)

    def step(self, steps: int) -> None:
        """Move the market on `steps` ticks, matching after each."""
        for _ in range(steps):
            for quote in self.market.step():
                if quote.last is not None:
                    self.last_trade[quote.conid] = quote.last
            self.match()

    def _match(self, order: DeskOrder) -> None:
        ticket, quote = order.ticket, self.market.quote(order.ticket.conid)
        if order.matched_seq == quote.seq:
            return
        order.matched_seq = quote.seq
        last = quote.last if quote.last is not None else self.last_trade.get(ticket.conid)
        stop = ticket.stop
        if stop is not None and not order.triggered:
            if last is None or (Decimal(str(last)) < stop if ticket.side == "BUY" else Decimal(str(last)) > stop):
                return
            order.triggered, order.status = True, "Submitted"
        limit = ticket.limit
        bids, asks = self.market.book(ticket.conid, DEPTH)
        buying = ticket.side == "BUY"
        for price, size in asks if buying else bids:
            level = Decimal(str(price))
            if order.remaining <= 0 or (limit is not None and (level > limit if buying else level < limit)):
                break
            self._fill(order, min(Decimal(size), order.remaining), level)
        if limit is not None and order.filled == 0 and quote.last is not None and quote.last_size:
            printed = Decimal(str(quote.last))
            if printed < limit if buying else printed > limit:  # the market traded through the limit
                self._fill(order, min(Decimal(quote.last_size), order.remaining), limit)
        if order.remaining <= 0:
            order.status = "Filled"
        elif ticket.tif == "IOC":
            order.status = "Cancelled"

    def _settle(self, order: DeskOrder) -> None:
        """What a fill means to the order's relatives: its OCA members cancel, its held children work."""
        if order.filled > 0 and order.oca_group is not None:
            for other in self.orders.values():
                if other is not order and other.oca_group == order.oca_group and other.open and not other.cancel_due:
                    self.cancel(other)
        if order.status != "Filled":
            return
        for child in [c for c in self.orders.values() if c.parent_id == order.order_id and c.held]:
            child.held = False
            if child.open and not child.cancel_due:
                child.status = "PreSubmitted" if child.ticket.stop is not None else "Submitted"
                self._match(child)
                self._settle(child)
            self._publish(child)

    def links(self) -> dict[str, dict[str, Any]]:
        """Each order's relatives, as the sandbox control reports them (live orders carry no such field)."""
        return {
            str(o.order_id): {"parent_id": o.parent_id, "oca_group": o.oca_group, "held": o.held}
            for o in self.orders.values()
        }

    def _fill(self, order: DeskOrder, size: Decimal, price: Decimal) -> None:
        order.filled += size
        order.cost += size * price
        now = datetime.now(UTC)
        order.last_execution_ms = int(now.timestamp() * 1000)
        ticket = order.ticket
        execution = {
            "execution_id": f"0000e0d5.{order.order_id:08x}.{next(self._executions):02d}.01",
            "symbol": order.symbol,
            "side": ticket.side[0],
            "order_description": f"{_verb(ticket.side)} {size} @ {price} on SMART",
            "order_ref": ticket.coid,
            "order_id": order.order_id,
            "trade_time": now.strftime("%Y%m%d-%H:%M:%S"),
            "trade_time_r": order.last_execution_ms,
            "size": float(size),
            "price": str(price),
            "submitter": "brokerdeck",
            "exchange": "SMART",
            "commission": str(COMMISSION),
            "net_amount": float(size * price),
            "account": order.account,
            "accountCode": order.account,
            "sec_type": "STK",
            "listing_exchange": "NASDAQ",
            "conid": ticket.conid,
            "conidEx": str(ticket.conid),
            "liquidation_trade": "0",
            "is_event_trading": "0",
        }
        self.executions.append(execution)
        for listener in self.fill_listeners:
            listener(order.account, ticket.conid, size if ticket.side == "BUY" else -size, price, COMMISSION)
        self._push(self.trade_sinks, order.account, dumps({"topic": "str", "args": [execution]}))

    # ---- what clients read -----------------------------------------------------------------------

    def row(self, order: DeskOrder) -> dict[str, Any]:
        """The order as `/iserver/account/orders` and `sor` report it: numbers as strings."""
        ticket = order.ticket
        average = str((order.cost / order.filled).quantize(Decimal("0.0001"))) if order.filled else ""
        stamp = order.last_execution_ms or 0
        row: dict[str, Any] = {
            "acct": order.account,
            "conid": ticket.conid,
            "conidex": str(ticket.conid),
            "orderId": order.order_id,
            "cashCcy": "USD",
            "sizeAndFills": f"{order.filled}/{ticket.quantity}",
            "orderDesc": f"{_verb(ticket.side)} {ticket.quantity} {_TYPE_WORDS[ticket.order_type]}, {ticket.tif}",
            "description1": order.symbol,
            "ticker": order.symbol,
            "secType": "STK",
            "listingExchange": "NASDAQ",
            "remainingQuantity": f"{order.remaining:.1f}",
            "filledQuantity": f"{order.filled:.1f}",
            "totalSize": f"{ticket.quantity:.1f}",
            "status": order.status,
            "order_ccp_status": order.status,
            "avgPrice": average,
            "origOrderType": _ORIGINAL_WORDS[ticket.order_type],
            "lastExecutionTime": datetime.fromtimestamp(stamp / 1000, UTC).strftime("%y%m%d%H%M%S") if stamp else "",
            "lastExecutionTime_r": stamp,
            "orderType": _TYPE_WORDS[ticket.order_type],
            "order_ref": ticket.coid,
            "timeInForce": ticket.tif,
            "side": ticket.side,
            "price": "" if ticket.price is None else str(ticket.price),
        }
        if ticket.aux_price is not None:
            row["auxPrice"] = str(ticket.aux_price)
        return row

    def rows(self, accounts: frozenset[str]) -> list[dict[str, Any]]:
        return [self.row(o) for o in self.orders.values() if o.account in accounts]

    # ---- streaming -------------------------------------------------------------------------------

    def subscribe_orders(self, key: int, outbox: deque[str], accounts: frozenset[str]) -> None:
        """`sor+{}`: the orders so far in one frame (nothing when there are none), then deltas."""
        self.order_sinks[key] = (outbox, accounts)
        if rows := self.rows(accounts):
            outbox.append(dumps({"topic": "sor", "args": rows}))

    def subscribe_trades(self, key: int, outbox: deque[str], accounts: frozenset[str], history: bool) -> None:
        """`str+{...}`: today's executions first unless only realtime updates were asked for."""
        self.trade_sinks[key] = (outbox, accounts)
        if history and (mine := [e for e in self.executions if e["account"] in accounts]):
            outbox.append(dumps({"topic": "str", "args": mine}))

    def forget(self, key: int) -> None:
        self.order_sinks.pop(key, None)
        self.trade_sinks.pop(key, None)

    def _publish(self, order: DeskOrder) -> None:
        row, before = self.row(order), self._published.get(order.order_id, {})
        delta = {k: v for k, v in row.items() if before.get(k) != v}
        self._published[order.order_id] = row
        if delta:
            frame = dumps({"topic": "sor", "args": [{"orderId": order.order_id, **delta}]})
            self._push(self.order_sinks, order.account, frame)

    @staticmethod
    def _push(sinks: dict[int, Sink], account: str, frame: str) -> None:
        for outbox, accounts in sinks.values():
            if account in accounts:
                outbox.append(frame)


def _verb(side: str) -> str:
    return "Buy" if side == "BUY" else "Sell"
