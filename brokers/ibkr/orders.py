"""IBKR's order desk as an `OrderRoute`: place, the reply loop, modify, cancel, live orders and trades.

Built on the session's signed requests. IBKR wants `/iserver/accounts` read once in every brokerage
session before any order request, one order at a time per account until it is acknowledged, questions
answered at once and by message id, and live orders polled at most once per 5 s. A 5xx or a lost
connection while an order or a reply is under way is ambiguous (IBKR may still make the order live), so
it is reported as `Ambiguous` and never resent; `find(key)` reads fresh live orders to reconcile.
Brackets, OCO groups and OTO pairs (`order_structures`) go through the same lock and reply loop; what an
answer means for the request it ends is a `Dialogue` (`order_dialogue`), kept with an open question so
the trader's later answer continues that very request.
Order updates are polled (`orders()`), which stays the confirmation; `listen` adds IBKR's `sor`/`str`
stream as a hint on a socket of the route's own (`order_stream`, which says why), merged per order with
the latest poll (`order_merge`), so the listener gets complete orders even from sparse deltas.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from brokers.core.order_route import OrderRoute, OrderUpdateListener
from brokers.core.orders import (
    Ambiguous,
    Asked,
    BrokerExecution,
    BrokerOrder,
    BrokerQuestion,
    OrderRequest,
    PlaceOutcome,
    Refused,
)
from brokers.core.server_clock import least_offset
from brokers.core.structures import StructureKind, StructureOutcome, StructureRequest
from brokers.ibkr.errors import IbkrError
from brokers.ibkr.order_dialogue import AnyOutcome, Dialogue, Outcome, SingleOrder, outcome_of_failure
from brokers.ibkr.order_merge import OrderMerge
from brokers.ibkr.order_stream import DEFAULT_TIMING, OrderStream, OrderStreamState, OrderStreamTiming
from brokers.ibkr.order_structures import STRUCTURES, orders_path, plan
from brokers.ibkr.order_tickets import TicketUnsendable, execution_from_row, order_from_row, ticket
from brokers.ibkr.reply_policy import auto_confirmable
from brokers.ibkr.session import IbkrSession

MAX_ROUNDS = 20
POLL_INTERVAL_S = 5.0  # IBKR: one /iserver/account/orders (and trades) request per 5 s
_ACCOUNTS_FIRST = "accounts first"


class IbkrOrderRefused(IbkrError):
    """IBKR refused a cancel (the order is unknown or already final)."""


@dataclass(frozen=True)
class _OpenQuestion:
    """A question the trader has not answered yet, the ids already confirmed, and the request it is about."""

    question: BrokerQuestion
    answered: tuple[str, ...]
    dialogue: Dialogue[AnyOutcome]


class _HeldDesk:
    """The route's order requests as dialogues use them: only ever while the route's lock is held."""

    def __init__(self, route: IbkrOrderRoute) -> None:
        self._route = route

    @property
    def account(self) -> str:
        return self._route.account

    async def send(self, method: str, path: str, body: Any, what: str) -> Any:
        return await self._route._order_request(method, path, body, what)

    async def follow(self, answer: Any, answered: tuple[str, ...], dialogue: Dialogue[Outcome]) -> Outcome | Asked:
        return await self._route._follow(answer, answered, dialogue)


class IbkrOrderRoute(OrderRoute):
    """One account's orders over one `IbkrSession`."""

    def __init__(
        self,
        session: IbkrSession,
        account: str,
        *,
        poll_interval_s: float = POLL_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
        stream_timing: OrderStreamTiming = DEFAULT_TIMING,
    ) -> None:
        self._session, self._account = session, account
        self._stream_timing = stream_timing
        self._poll_interval_s, self._clock = poll_interval_s, clock
        self._lock = asyncio.Lock()  # one order (with its questions) at a time for the account
        self._poll_lock = asyncio.Lock()
        self._accounts_read_for: str | None = None  # the brokerage session /iserver/accounts was read in
        self._open: _OpenQuestion | None = None
        self._desk = _HeldDesk(self)
        self._orders_polled_in: str | None = None  # the session whose first (empty) orders answer we had
        self._orders: tuple[float, tuple[BrokerOrder, ...]] | None = None
        self._trades: tuple[float, tuple[BrokerExecution, ...]] | None = None
        self._last_poll_at: dict[str, float] = {}
        self._merge = OrderMerge()
        self._stream: tuple[OrderStream, asyncio.Task[None]] | None = None
        # Told when positions may have changed (an order went live, executions came): the accounts reader.
        self.on_fills: Callable[[], None] | None = None

    @property
    def account(self) -> str:
        return self._account

    @property
    def session(self) -> IbkrSession:
        return self._session

    # ---- placing -------------------------------------------------------------------------------

    async def place(self, request: OrderRequest, key: str) -> PlaceOutcome:
        return await self._send(request, key, None)

    async def modify(self, broker_order_id: str, request: OrderRequest, key: str) -> PlaceOutcome:
        return await self._send(request, key, broker_order_id)

    async def _send(self, request: OrderRequest, key: str, order_id: str | None) -> PlaceOutcome:
        try:
            body: Any = ticket(request, key, self._account)
        except TicketUnsendable as exc:
            return Refused(str(exc))
        if order_id is None:
            path, body = orders_path(self._account), {"orders": [body]}
        else:
            path = f"/iserver/account/{self._account}/order/{order_id}"
        return await self._start("POST", path, body, f"the order {key}", SingleOrder())

    @property
    def structures(self) -> frozenset[StructureKind]:
        return STRUCTURES

    async def place_structure(self, structure: StructureRequest, keys: tuple[str, ...]) -> StructureOutcome:
        """A bracket or OCO in one request, an OTO as its trigger then its child (`order_structures`)."""
        planned = plan(structure, keys, self._desk)
        if isinstance(planned, Refused):
            return planned
        what = f"the {structure.kind.value} {keys[0]}"
        return await self._start(
            "POST", orders_path(self._account), {"orders": planned.tickets}, what, planned.dialogue
        )

    async def _start(
        self, method: str, path: str, body: Any, what: str, dialogue: Dialogue[Outcome]
    ) -> Outcome | Asked:
        """Send one order request and follow IBKR's answer, one request (with its questions) at a time."""
        async with self._lock:
            if self._open is not None:
                waiting = "IBKR is waiting for the answer to a question about another order: answer it first."
                return await dialogue.failed(Refused(waiting))
            try:
                answer = await self._order_request(method, path, body, what)
            except IbkrError as error:
                return await dialogue.failed(outcome_of_failure(error))
            return await self._follow(answer, (), dialogue)

    async def answer(self, question: BrokerQuestion, confirm: bool) -> PlaceOutcome | StructureOutcome:
        """The trader's answer continues the request the question was about (a structure's ends in its outcome)."""
        async with self._lock:
            open_question = self._open
            if open_question is None or open_question.question.reply_id != question.reply_id:
                return Refused("That question is no longer open; nothing was sent.")
            self._open, dialogue = None, open_question.dialogue
            try:
                reply = await self._reply(question.reply_id, confirm)
            except IbkrError as error:
                return await dialogue.failed(outcome_of_failure(error))
            if not confirm:
                declined = "declined: the trader did not confirm IBKR's question, so IBKR discarded the order"
                return await dialogue.failed(Refused(declined))
            return await self._follow(reply, (*open_question.answered, *question.message_ids), dialogue)

    async def _follow(self, answer: Any, answered: tuple[str, ...], dialogue: Dialogue[Outcome]) -> Outcome | Asked:
        """Walk IBKR's answers: confirm whitelisted questions, stop at any other, until accepted or refused;
        `dialogue` says what the ending means for the request."""
        for _ in range(MAX_ROUNDS):
            rows = answer if isinstance(answer, list) else [answer]
            first = rows[0] if rows else None
            if any(isinstance(row, dict) and "order_id" in row for row in rows):
                self._fills_may_have_come()
                return await dialogue.accepted(rows)
            unreadable = Ambiguous(f"IBKR answered the order with something unreadable: {str(answer)[:200]}")
            if not isinstance(first, dict):
                return await dialogue.failed(unreadable)
            if first.get("error"):
                return await dialogue.failed(Refused(f"IBKR refused the order: {str(first['error']).strip()}"))
            if "messageIds" not in first and "message" not in first:
                return await dialogue.failed(unreadable)
            question = BrokerQuestion(
                reply_id=str(first.get("id", "")),
                message_ids=tuple(str(i) for i in first.get("messageIds") or ()),
                messages=tuple(str(m).replace("\n", " ").strip() for m in first.get("message") or ()),
            )
            if not auto_confirmable(question.message_ids):
                self._open = _OpenQuestion(question, answered, dialogue)
                return Asked(question, answered)
            try:
                answer = await self._reply(question.reply_id, True)
            except IbkrError as error:
                return await dialogue.failed(outcome_of_failure(error))
            answered = (*answered, *question.message_ids)
        return await dialogue.failed(
            Refused(f"IBKR asked more than {MAX_ROUNDS} questions; the last was not confirmed")
        )

    async def _reply(self, reply_id: str, confirm: bool) -> Any:
        return await self._session.request(
            "POST", f"/iserver/reply/{reply_id}", json={"confirmed": confirm}, what="the reply to IBKR's question"
        )

    async def cancel(self, broker_order_id: str) -> str:
        path = f"/iserver/account/{self._account}/order/{broker_order_id}"
        async with self._lock:
            body = await self._order_request("DELETE", path, None, f"cancelling order {broker_order_id}")
        if isinstance(body, dict) and body.get("error"):
            raise IbkrOrderRefused(f"IBKR refused to cancel order {broker_order_id}: {body['error']}")
        return str(body.get("msg") if isinstance(body, dict) else body) or "Request was submitted"

    async def _order_request(self, method: str, path: str, body: Any, what: str) -> Any:
        """An order request after the accounts pre-flight; IBKR's "query accounts first" refusal (nothing
        was placed) reads the accounts and tries once more."""
        await self._read_accounts()
        try:
            return await self._session.request(method, path, json=body, what=what)
        except IbkrError as error:
            if error.status != 400 or _ACCOUNTS_FIRST not in error.detail.lower():
                raise
        self._accounts_read_for = None
        await self._read_accounts()
        return await self._session.request(method, path, json=body, what=what)

    async def _read_accounts(self) -> None:
        """`/iserver/accounts` once per brokerage session (a new session, by its id, needs it again)."""
        current = self._session.api_session or ""
        if self._accounts_read_for == current and current:
            return
        body = await self._session.request("GET", "/iserver/accounts", what="the brokerage accounts")
        accounts = body.get("accounts") if isinstance(body, dict) else None
        if not isinstance(accounts, list) or self._account not in accounts:
            raise IbkrOrderRefused(f"IBKR does not list account {self._account} for this login ({accounts}).")
        self._accounts_read_for = self._session.api_session or current

    # ---- monitoring ----------------------------------------------------------------------------

    async def orders(self) -> tuple[BrokerOrder, ...]:
        return await self._live_orders(fresh=False)

    async def find(self, key: str) -> BrokerOrder | None:
        """A fresh read of live orders (waiting out the pacing window), so an order that just went live shows."""
        return next((o for o in await self._live_orders(fresh=True) if o.key == key), None)

    async def _live_orders(self, *, fresh: bool) -> tuple[BrokerOrder, ...]:
        async with self._poll_lock:
            cached = self._orders
            if cached is not None and not fresh and self._clock() - cached[0] < self._poll_interval_s:
                return cached[1]
            await self._read_accounts()
            rows = await self._poll("orders", {"accountId": self._account})
            session = self._session.api_session or ""
            if not rows and self._orders_polled_in != session:  # IBKR's first answer in a session is often empty
                rows = await self._poll("orders", {"accountId": self._account})
            self._orders_polled_in = session
            self._merge.seed(rows)
            orders = tuple(o for r in rows if isinstance(r, dict) and (o := order_from_row(r)) is not None)
            self._orders = (self._clock(), orders)
            return orders

    async def executions(self) -> tuple[BrokerExecution, ...]:
        async with self._poll_lock:
            cached = self._trades
            if cached is not None and self._clock() - cached[0] < self._poll_interval_s:
                return cached[1]
            await self._read_accounts()
            rows = await self._poll("trades", {"accountId": self._account, "days": "1"})
            found = tuple(e for r in rows if isinstance(r, dict) and (e := execution_from_row(r)) is not None)
            if len(found) > len(cached[1] if cached is not None else ()):
                self._fills_may_have_come()
            self._trades = (self._clock(), found)
            return found

    async def _poll(self, what: str, params: dict[str, str]) -> list[Any]:
        """One paced GET of live orders or trades: waits until IBKR's interval has passed since the last.

        The interval counts from when the last answer came back: IBKR counts from when the request arrived,
        which is later than when it was sent, so counting from the send can come in early and earn a 429. A sleep
        may end early (the window's Qt timers are coarse, to a few percent), so the clock is asked again."""
        due = self._last_poll_at.get(what, -self._poll_interval_s) + self._poll_interval_s
        while (wait := due - self._clock()) > 0:
            await asyncio.sleep(wait)
        try:
            body = await self._session.request("GET", f"/iserver/account/{what}", params=params, what=f"the {what}")
        finally:
            self._last_poll_at[what] = self._clock()
        rows = body.get("orders") if isinstance(body, dict) else body
        return rows if isinstance(rows, list) else []

    # ---- streaming -----------------------------------------------------------------------------

    def listen(self, listener: OrderUpdateListener | None) -> None:
        """Stream order updates and executions to `listener` on the running event loop; None stops.

        A new listener replaces the last one (and its socket). Orders arrive complete (sparse deltas merged
        with the latest poll), executions once each; a failing stream never fails an order or a poll.
        """
        if self._stream is not None:
            self._stream[1].cancel()
            self._stream = None
        if listener is None:
            return

        def heard(orders: tuple[BrokerOrder, ...], executions: tuple[BrokerExecution, ...]) -> None:
            if executions:
                self._fills_may_have_come()
            listener(orders, executions)

        stream = OrderStream(
            self._session, self._merge, heard, prepare=self._before_subscribing, timing=self._stream_timing
        )
        task = asyncio.get_running_loop().create_task(stream.run(), name=f"IBKR order updates {self._account}")
        self._stream = (stream, task)

    def _fills_may_have_come(self) -> None:
        if self.on_fills is not None:
            self.on_fills()

    @property
    def stream_state(self) -> OrderStreamState | None:
        """The order updates socket's state while listening, else None."""
        return None if self._stream is None else self._stream[0].state

    async def _before_subscribing(self) -> None:
        """What IBKR asks before `sor`: the accounts, then today's orders (they also seed the merge)."""
        await self._read_accounts()
        await self._live_orders(fresh=True)

    def clock_offset_s(self) -> float | None:
        """IBKR's clock minus ours, as little as the last answer allows: IBKR stamped its `Date` second somewhere
        between our request going out and its answer coming back, so a slow answer is not mistaken for drift."""
        clock = self._session.server_clock
        return None if clock is None else least_offset(*clock)
