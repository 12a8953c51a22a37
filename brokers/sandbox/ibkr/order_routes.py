"""The emulated IBKR order endpoints: place, the reply loop, modify, cancel, live orders, trades, suppression.

Each keeps the quirks clients trip over: `/iserver/accounts` first in every brokerage session, refusals
as HTTP 200 `{"error": ...}` and unreadable content as 500, a reply id that goes stale when another
order request comes in (503), live orders empty on a session's first call and after `force=true`, and
a 429 for polling `/iserver/account/orders` (or trades) faster than the sandbox's interval allows.
Every request to these endpoints lands in the journal tests read (`order_control.py`).
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from brokers.sandbox.ibkr.consumers import Consumer, Session
from brokers.sandbox.ibkr.order_desk import DeskOrder, OrderDesk
from brokers.sandbox.ibkr.order_families import Family, family
from brokers.sandbox.ibkr.order_questions import Pending, ReplyBook, questions_for
from brokers.sandbox.ibkr.order_tickets import Ticket, TicketError, parse_body, placed_tickets, ticket
from brokers.sandbox.market import SyntheticMarket

Handler = Callable[[Request, Consumer, Session], Awaitable[Response]]
MAX_SUPPRESSED = 51
LIVE_ORDER_FILTERS = frozenset(
    (
        "inactive",
        "pending_submit",
        "pre_submitted",
        "submitted",
        "filled",
        "pending_cancel",
        "pre_cancelled",
        "cancelled",
        "warn_state",
        "sort_by_time",
    )
)
_STATUS_FILTERS = {"PreSubmitted": "pre_submitted", "Submitted": "submitted", "Filled": "filled"}
_STATUS_FILTERS |= {"PendingCancel": "pending_cancel", "Cancelled": "cancelled", "Inactive": "inactive"}
DEFAULT_POLL_INTERVAL_S = 5.0


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message, "statusCode": status}, status_code=status)


def _refused(message: str) -> JSONResponse:
    """IBKR's refusal of an order it understood: HTTP 200 with an error."""
    return JSONResponse({"error": message})


def _duplicate(coid: str) -> str:
    return f"Order couldn't be submitted: Local order ID={coid} is already registered."


def _accepted(order: DeskOrder) -> dict[str, str]:
    return {"order_id": str(order.order_id), "order_status": order.status, "encrypt_message": "1"}


_UNAVAILABLE = {"error": "Service Unavailable", "statusCode": 503}


@dataclass
class Pacing:
    """One brokerage session's polling of live orders and trades."""

    orders_calls: int = 0
    orders_next_at: float = 0.0
    trades_next_at: float = 0.0


class OrderEndpoints:
    """The order routes of one sandbox's IBKR, over its `OrderDesk`."""

    def __init__(self, market: SyntheticMarket, desk: OrderDesk, streaming: Callable[[Session, int], bool]) -> None:
        self.market, self.desk, self.streaming = market, desk, streaming
        self.replies = ReplyBook()
        self.pacing: dict[str, Pacing] = {}
        self.received: list[dict[str, Any]] = []
        self.poll_interval_s = DEFAULT_POLL_INTERVAL_S
        self.child_failures: list[str] = []  # armed: the next request with children has them refused

    def reset(self) -> None:
        self.desk.reset()
        self.replies.reset()
        self.child_failures.clear()
        self.pacing.clear()
        self.received.clear()
        self.poll_interval_s = DEFAULT_POLL_INTERVAL_S

    def routes(self) -> list[tuple[str, Handler, list[str]]]:
        return [
            ("/iserver/account/{account}/orders", self._journaled("place", self.place), ["POST"]),
            ("/iserver/reply/{reply_id}", self._journaled("reply", self.reply), ["POST"]),
            ("/iserver/account/{account}/order/{order_id}", self._journaled("modify", self.modify), ["POST"]),
            ("/iserver/account/{account}/order/{order_id}", self._journaled("cancel", self.cancel), ["DELETE"]),
            ("/iserver/account/orders", self.live_orders, ["GET"]),
            ("/iserver/account/trades", self.trades, ["GET"]),
            ("/iserver/questions/suppress", self._journaled("suppress", self.suppress), ["POST"]),
            ("/iserver/questions/suppress/reset", self._journaled("suppress_reset", self.unsuppress), ["POST"]),
        ]

    def _journaled(self, kind: str, handler: Handler) -> Handler:
        """Record every request (and the answer) the handler gets, so tests can see what reached the gateway."""

        async def endpoint(request: Request, consumer: Consumer, session: Session) -> Response:
            raw = await request.body()
            try:
                body: Any = json.loads(raw) if raw.strip() else None
            except ValueError:
                body = raw.decode("utf-8", "replace")
            response = await handler(request, consumer, session)
            entry = {"kind": kind, "method": request.method, "path": request.url.path, "body": body}
            entry |= {k: v for k, v in request.path_params.items()}
            entry |= {"status": response.status_code, "answer": json.loads(bytes(response.body)), "at": time.time()}
            self.received.append(entry)
            return response

        return endpoint

    @staticmethod
    def _precheck(consumer: Consumer, session: Session, account: str | None) -> JSONResponse | None:
        if not session.brokerage:
            return _error(400, "Bad Request: no bridge")
        if not session.accounts_queried:
            return _error(400, "Please query /accounts first")
        if account is not None and account not in consumer.accounts:
            return _error(400, f"Bad Request: accountId is not valid: {account}")
        return None

    # ---- place, reply, modify, cancel ------------------------------------------------------------

    async def place(self, request: Request, consumer: Consumer, session: Session) -> Response:
        account = request.path_params["account"]
        if (refusal := self._precheck(consumer, session, account)) is not None:
            return refusal
        self.replies.invalidate(session.session_id)
        try:
            orders = placed_tickets(parse_body(await request.body()))
            for order in orders:
                self._check(order, account)
            related = family(orders, lambda ref: self._parent(account, ref) is not None)
        except TicketError as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        pending = Pending(session.session_id, account, related, None, self._questions(session, related))
        return self._continue(pending)

    async def reply(self, request: Request, consumer: Consumer, session: Session) -> Response:
        reply_id = request.path_params["reply_id"]
        try:
            body = parse_body(await request.body())
        except TicketError as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        if not isinstance(body, dict) or not isinstance(body.get("confirmed"), bool):
            return JSONResponse({"error": 'invalid request content: the body must be {"confirmed": bool}'}, 500)
        if reply_id in self.replies.stale:
            self.replies.stale.discard(reply_id)
            return JSONResponse(_UNAVAILABLE, status_code=503)
        pending = self.replies.pending.get(reply_id)
        if pending is None or pending.session_id != session.session_id:
            return _error(400, f"reply id not found: '{reply_id}'")
        del self.replies.pending[reply_id]
        if self.replies.unavailable:
            if self.replies.unavailable.pop(0) and body["confirmed"]:
                pending.ids.clear()
                self._continue(pending)
            return JSONResponse(_UNAVAILABLE, status_code=503)
        if not body["confirmed"]:
            return JSONResponse({"error": "Order not confirmed "})
        pending.ids.pop(0)
        return self._continue(pending)

    async def modify(self, request: Request, consumer: Consumer, session: Session) -> Response:
        account = request.path_params["account"]
        if (refusal := self._precheck(consumer, session, account)) is not None:
            return refusal
        self.replies.invalidate(session.session_id)
        try:
            body = parse_body(await request.body())
            order = self._order(account, request.path_params["order_id"])
            if isinstance(body, list):
                raise TicketError("invalid request content: a modify takes one ticket object, not an array", 500)
            new = ticket(body)
            self._check(new, account, order)
        except TicketError as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        new = dataclasses.replace(new, coid=order.ticket.coid)
        alone = Family((new,), oca=False, outside_parent=None)
        pending = Pending(session.session_id, account, alone, order.order_id, self._questions(session, alone))
        return self._continue(pending)

    async def cancel(self, request: Request, consumer: Consumer, session: Session) -> Response:
        account = request.path_params["account"]
        if (refusal := self._precheck(consumer, session, account)) is not None:
            return refusal
        self.replies.invalidate(session.session_id)
        if request.path_params["order_id"] == "-1":
            for order in [o for o in self.desk.orders.values() if o.account == account and o.open]:
                self.desk.cancel(order)
            return JSONResponse({"msg": "Request was submitted", "order_id": -1, "conid": -1, "account": None})
        try:
            order = self._order(account, request.path_params["order_id"])
        except TicketError as exc:
            return JSONResponse({"error": str(exc)})
        if not order.open or order.cancel_due:
            return JSONResponse({"error": f"OrderID {order.order_id} doesn't exist"})
        self.desk.cancel(order)
        body = {"msg": "Request was submitted", "order_id": order.order_id, "conid": order.ticket.conid}
        return JSONResponse(body | {"account": account})

    def _order(self, account: str, text: str) -> DeskOrder:
        order = self.desk.orders.get(int(text)) if text.isdecimal() else None
        if order is None or order.account != account:
            raise TicketError(f"OrderID {text} doesn't exist")
        return order

    def _parent(self, account: str, ref: str) -> DeskOrder | None:
        """The placed order `ref` names that can still take children: open, or filled."""
        parent = self.desk.find(account, ref)
        return parent if parent is not None and (parent.status == "Filled" or parent.open) else None

    def _check(self, order: Ticket, account: str, replacing: DeskOrder | None = None) -> None:
        """What IBKR refuses about a ticket beyond its fields: account, contract, cOID, a modify's limits."""
        if order.account is not None and order.account != account:
            raise TicketError(f"acctId {order.account} does not match the account in the path ({account})")
        try:
            self.market.instrument(order.conid)
        except KeyError:
            raise TicketError(f"No trading permission or contract not found for conid {order.conid}") from None
        if replacing is None:
            if self.desk.registered(account, order.coid):
                raise TicketError(_duplicate(order.coid))
            return
        if not replacing.open or replacing.cancel_due:
            raise TicketError(f"Order {replacing.order_id} is {replacing.status}: it cannot be modified")
        if (order.conid, order.side) != (replacing.ticket.conid, replacing.ticket.side):
            raise TicketError("a modify cannot change the contract or the side")
        if order.coid and order.coid != replacing.ticket.coid:
            raise TicketError("a modify cannot change the cOID")
        if order.quantity < replacing.filled:
            raise TicketError(f"quantity cannot go below the {replacing.filled} already filled")

    def _questions(self, session: Session, related: Family) -> list[str]:
        """The questions about every order of the request, each asked once, in the order sent."""
        natural: list[str] = []
        for order in related.tickets:
            quote = self.market.quote(order.conid)
            mid = (Decimal(str(quote.bid)) + Decimal(str(quote.ask))) / 2
            last = self.desk.last_trade.get(order.conid)
            if last is None:
                last = quote.ask if order.side == "BUY" else quote.bid
            touch = Decimal(str(last))
            natural += questions_for(order, mid, touch, self.streaming(session, order.conid))
        return self.replies.chosen(session.session_id, natural)

    def _continue(self, pending: Pending) -> JSONResponse:
        """The next question, or the orders go live (a modify replaces the working order).

        Accepted: an array with one element per order of the request, in the order sent, each
        `{"order_id", "order_status", "encrypt_message"}` (the reference leaves the exact per-order shape
        of a bracket's answer unconfirmed; this is its documented array-of-objects form). When a child
        failure was armed (`order_control.py`), each child's element is `{"error": <reason>}` instead and
        only the parent is placed.
        """
        if pending.ids:
            return JSONResponse(self.replies.ask(pending))
        related = pending.family
        if pending.order_id is not None:
            order = self.desk.orders[pending.order_id]
            if not order.open or order.cancel_due:
                return _refused(f"Order {order.order_id} is {order.status}: it cannot be modified")
            self.desk.replace(order, related.tickets[0])
            return JSONResponse([_accepted(order)])
        for coid in (t.coid for t in related.tickets if t.coid):
            if self.desk.registered(pending.account, coid):
                return _refused(_duplicate(coid))
        parent = None
        if related.outside_parent is not None:
            parent = self._parent(pending.account, related.outside_parent)
            if parent is None:
                return _refused(f"parentId {related.outside_parent} names no order that can still take children")
        failure = self.child_failures.pop(0) if related.has_children and self.child_failures else None
        tickets, refuse_children = list(related.tickets), failure is not None
        placed = self.desk.submit_family(pending.account, tickets, related.oca, parent, refuse_children)
        return JSONResponse([{"error": failure} if order is None else _accepted(order) for order in placed])

    # ---- monitoring ----------------------------------------------------------------------------

    async def live_orders(self, request: Request, consumer: Consumer, session: Session) -> Response:
        query = request.query_params
        account = query.get("accountId") or None
        if (refusal := self._precheck(consumer, session, account)) is not None:
            return refusal
        pacing = self.pacing.setdefault(session.session_id, Pacing())
        now = time.monotonic()
        if now < pacing.orders_next_at:
            return _error(429, "Too many requests")
        pacing.orders_next_at = now + self.poll_interval_s
        filters = {f.strip() for f in query.get("filters", "").split(",") if f.strip()}
        if unknown := filters - LIVE_ORDER_FILTERS:
            return JSONResponse({"error": f"invalid filter value(s): {', '.join(sorted(unknown))}"}, 500)
        self.desk.match()
        first, pacing.orders_calls = pacing.orders_calls == 0, pacing.orders_calls + 1
        if first or query.get("force") == "true":
            return JSONResponse({"orders": [], "snapshot": True})
        accounts = frozenset([account] if account else consumer.accounts)
        rows = self.desk.rows(accounts)
        if wanted := filters - {"sort_by_time"}:
            rows = [r for r in rows if _STATUS_FILTERS.get(r["status"]) in wanted]
        return JSONResponse({"orders": rows, "snapshot": True})

    async def trades(self, request: Request, consumer: Consumer, session: Session) -> Response:
        account = request.query_params.get("accountId") or None
        if (refusal := self._precheck(consumer, session, account)) is not None:
            return refusal
        days = request.query_params.get("days", "1")
        if not days.isdecimal() or not 1 <= int(days) <= 7:
            return _error(400, "days must be a whole number from 1 to 7")
        pacing = self.pacing.setdefault(session.session_id, Pacing())
        now = time.monotonic()
        if now < pacing.trades_next_at:
            return _error(429, "Too many requests")
        pacing.trades_next_at = now + self.poll_interval_s
        self.desk.match()
        accounts = frozenset([account] if account else consumer.accounts)
        return JSONResponse([e for e in self.desk.executions if e["account"] in accounts])

    # ---- suppression -------------------------------------------------------------------------------

    async def suppress(self, request: Request, consumer: Consumer, session: Session) -> Response:
        if (refusal := self._precheck(consumer, session, None)) is not None:
            return refusal
        try:
            body = parse_body(await request.body())
        except TicketError as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        ids = body.get("messageIds") if isinstance(body, dict) else None
        listed = isinstance(ids, list) and all(isinstance(i, str) for i in ids)
        if not listed or not ids or len(ids) > MAX_SUPPRESSED:
            return JSONResponse({"error": f"messageIds must list 1 to {MAX_SUPPRESSED} message ids"}, 500)
        self.replies.suppressed[session.session_id] = set(ids)
        return JSONResponse({"status": "submitted"})

    async def unsuppress(self, request: Request, consumer: Consumer, session: Session) -> Response:
        if (refusal := self._precheck(consumer, session, None)) is not None:
            return refusal
        self.replies.suppressed.pop(session.session_id, None)
        return JSONResponse({"status": "submitted"})
