"""Robinhood's agentic order tools as an `OrderRoute`: review, then place; cancel; orders and their fills.

Every order goes to the one account `get_accounts` marks agentic_allowed, read again before each review and
each place: none, several, or another one than the trading mode was armed for, and the order is refused
before any review or write. A review's alerts (`order_checks`) are the trader's to answer; confirming places
the reviewed order. A place is sent again only with the same `ref_id` (Robinhood deduplicates by it) and
only after a 429 (waiting its Retry-After) or a lost connection, a few times; after that it is ambiguous.
Each operation opens its own MCP connection: the SDK's transport belongs to the task that opened it, and the
trading core calls from whichever task it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from brokers.core.accounts import mask_account
from brokers.core.errors import BrokerError
from brokers.core.order_route import OrderRoute
from brokers.core.orders import (
    Accepted,
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
from brokers.core.structures import LegsAccepted, StructureKind, StructureOutcome, StructureRequest
from brokers.oauth2.session import OAuthSession
from brokers.robinhood.access import agentic_account, envelope, list_accounts
from brokers.robinhood.connection import McpConnection
from brokers.robinhood.errors import McpUnavailable, RateLimited, ToolFailed
from brokers.robinhood.order_tickets import (
    TicketUnsendable,
    alert_question,
    broker_order,
    executions_of,
    order_terms,
    ref_id_for,
    same_terms,
)

ATTEMPTS = 3  # sends of one place: the first and two more with the same ref_id
PAUSE_AFTER_LOSS_S = 1.0
ORDERS_WINDOW_S = 86400.0  # `orders()` reads what was placed in the last day
MAX_ORDER_PAGES = 5
FIND_SLACK_S = 120.0  # clocks differ: an order made this long before our first send may still be ours
ONLY_OCO = (
    "Robinhood's agentic tools take OCO groups only (review/place_advanced_order); a {kind} cannot be placed as "
    "one there. Nothing was sent."
)
DECLINED = "declined: the trader did not confirm Robinhood's alert, so nothing was placed"
NOT_PLACED = "The order was NOT placed."


@dataclass(frozen=True)
class Retries:
    attempts: int = ATTEMPTS
    pause_after_loss_s: float = PAUSE_AFTER_LOSS_S  # before sending again after a lost connection


@dataclass(frozen=True)
class _Placing:
    """A reviewed order (or OCO group) that waits to be placed: its tool, its arguments with the ref_id, and the
    keys of its orders (one per leg)."""

    tool: str
    arguments: dict[str, Any]
    keys: tuple[str, ...]
    legs: tuple[dict[str, Any], ...]  # the terms of each order, to recognise them in `find`


class RobinhoodOrderRoute(OrderRoute):
    """Orders of one agentic account, over the MCP server at `url` with the engine's `tokens`."""

    def __init__(
        self,
        url: str,
        tokens: OAuthSession,
        account: str,
        *,
        retries: Retries = Retries(),
        timezone: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._url, self._tokens, self._account = url, tokens, account
        self._retries, self._timezone, self._clock = retries, timezone, clock
        self._questions: dict[str, _Placing] = {}  # by reply id: reviewed, waiting for the trader
        self._placed: dict[str, str] = {}  # key -> Robinhood's order id, for what Robinhood answered us
        self._sent: dict[str, tuple[dict[str, Any], float]] = {}  # key -> terms and when first sent
        self._server_clock: tuple[float, float, float] | None = None

    @property
    def account(self) -> str:
        return self._account

    @property
    def structures(self) -> frozenset[StructureKind]:
        return frozenset({StructureKind.OCO})

    # ---- placing -------------------------------------------------------------------------------

    async def place(self, request: OrderRequest, key: str) -> PlaceOutcome:
        try:
            terms = order_terms(request)
        except TicketUnsendable as exc:
            return Refused(f"{exc}. {NOT_PLACED}")
        arguments = {"account_number": self._account} | terms
        placing = _Placing("place_equity_order", arguments | {"ref_id": ref_id_for(key)}, (key,), (terms,))
        outcome = await self._review_then_place(placing, "review_equity_order", arguments)
        return outcome if not isinstance(outcome, LegsAccepted) else _single(outcome)

    async def place_structure(self, structure: StructureRequest, keys: tuple[str, ...]) -> StructureOutcome:
        """An OCO group through the advanced tools, whose schema is our assumption (`type: "oco"`, `orders`:
        the legs, one ref_id for the group): Robinhood's was never recorded. Brackets and OTOs are refused."""
        if structure.kind is not StructureKind.OCO:
            return Refused(ONLY_OCO.format(kind=structure.kind.value))
        try:
            legs = tuple(order_terms(leg) for leg in structure.legs)
        except TicketUnsendable as exc:
            return Refused(f"{exc}. {NOT_PLACED}")
        arguments = {"account_number": self._account, "type": "oco", "orders": list(legs)}
        placing = _Placing("place_advanced_order", arguments | {"ref_id": ref_id_for("oco", *keys)}, keys, legs)
        return await self._review_then_place(placing, "review_advanced_order", arguments)

    async def answer(self, question: BrokerQuestion, confirm: bool) -> PlaceOutcome | StructureOutcome:
        placing = self._questions.pop(question.reply_id, None)
        if placing is None:
            return Refused("That question is no longer open; nothing was sent.")
        if not confirm:
            return Refused(DECLINED)
        outcome = await self._checked_place(placing)
        if placing.tool == "place_equity_order" and isinstance(outcome, LegsAccepted):
            return _single(outcome)
        return outcome

    async def modify(self, broker_order_id: str, request: OrderRequest, key: str) -> PlaceOutcome:
        return Refused("Robinhood's agentic tools cannot change an order: cancel it and place a new one.")

    async def _review_then_place(
        self, placing: _Placing, review_tool: str, arguments: dict[str, Any]
    ) -> LegsAccepted | Asked | Refused | Ambiguous:
        """Check the account, review, and place when Robinhood raises no alert (else ask the trader)."""
        try:
            async with self._connection() as mcp:
                refusal = await self._account_refusal(mcp)
                if refusal is not None:
                    return refusal
                if mcp.tool(review_tool) is None or mcp.tool(placing.tool) is None:
                    return Refused(f"This Robinhood server offers no {placing.tool}. Nothing was sent.")
                review = envelope(await mcp.call_write(review_tool, arguments))
                reply_id = str(placing.arguments["ref_id"])
                question = alert_question(reply_id, review.get("order_checks"), review.get("market_data_disclosure"))
                if question is not None:
                    self._questions[question.reply_id] = placing
                    return Asked(question)
                return await self._place(placing, mcp)
        except ToolFailed as exc:
            return Refused(str(exc))
        except BrokerError as exc:
            return Refused(f"Robinhood could not check the account or review the order ({exc}). {NOT_PLACED}")

    async def _checked_place(self, placing: _Placing) -> LegsAccepted | Refused | Ambiguous:
        try:
            async with self._connection() as mcp:
                refusal = await self._account_refusal(mcp)
                return refusal if refusal is not None else await self._place(placing, mcp)
        except BrokerError as exc:
            return Refused(f"Robinhood could not be reached to place the order ({exc}). {NOT_PLACED}")

    async def _account_refusal(self, mcp: McpConnection) -> Refused | None:
        """Why orders may not go to our account now (none, several or another agentic account), or None."""
        number, problem = agentic_account(await list_accounts(mcp))
        if problem:
            return Refused(f"{problem}. Nothing was sent.")
        if number != self._account:
            return Refused(
                f"Robinhood's agentic account is now {mask_account(number)}, not {mask_account(self._account)} "
                "that the trading mode was armed for: check the profile again. Nothing was sent."
            )
        return None

    async def _place(self, placing: _Placing, first: McpConnection) -> LegsAccepted | Refused | Ambiguous:
        """Send the place call on `first`; again (on a new connection, with the same ref_id) only after a 429
        or a lost connection, at most `retries.attempts` sends in all."""
        now = self._clock()
        for key, terms in zip(placing.keys, placing.legs, strict=True):
            self._sent.setdefault(key, (terms, now))
        reached = ""  # why a send that may have reached Robinhood got no answer
        for attempt in range(self._retries.attempts):
            try:
                result = await (
                    first.call_write(placing.tool, placing.arguments) if attempt == 0 else self._again(placing)
                )
            except ToolFailed as exc:
                return Ambiguous(f"{exc} (an earlier send got no answer)") if reached else Refused(str(exc))
            except RateLimited as exc:
                wait = exc.retry_after_s
            except _NotSent:
                wait = self._retries.pause_after_loss_s
            except McpUnavailable as exc:
                reached, wait = str(exc), self._retries.pause_after_loss_s
            except BrokerError as exc:  # the sign-in failed: refused before any tool ran
                return (
                    Ambiguous(f"{exc} (an earlier send got no answer)") if reached else Refused(f"{exc}. {NOT_PLACED}")
                )
            else:
                return self._accepted(placing, result)
            if attempt + 1 < self._retries.attempts:
                await asyncio.sleep(wait)
        if reached:
            return Ambiguous(
                f"Robinhood did not answer the order ({reached}); {self._retries.attempts} sends with the same ref_id "
                "got no answer. Robinhood may have taken it: it is looked up there, never sent under another ref_id."
            )
        return Refused(f"Robinhood kept refusing requests (HTTP 429) or could not be reached. {NOT_PLACED}")

    async def _again(self, placing: _Placing) -> Any:
        async with contextlib.AsyncExitStack() as stack:
            try:
                mcp = await stack.enter_async_context(self._connection())
            except McpUnavailable as exc:
                raise _NotSent from exc
            return await mcp.call_write(placing.tool, placing.arguments)

    def _accepted(self, placing: _Placing, result: Any) -> LegsAccepted | Ambiguous:
        try:
            data = envelope(result)
        except McpUnavailable as exc:
            return Ambiguous(f"{exc}; the order may be live at Robinhood")
        group = data.get("advanced_order")
        rows: Any = [data.get("order")] if placing.tool == "place_equity_order" else None
        if isinstance(group, dict):
            rows = group.get("orders")
        orders = [o for o in (broker_order(r, "") for r in rows or ()) if o is not None]
        if len(orders) != len(placing.keys):
            return Ambiguous(f"Robinhood answered {len(orders)} orders for {len(placing.keys)}: {str(result)[:200]}")
        for key, order in zip(placing.keys, orders, strict=True):
            self._placed[key] = order.broker_order_id
        return LegsAccepted(tuple(o.broker_order_id for o in orders), tuple(o.status for o in orders))

    # ---- cancelling and monitoring -------------------------------------------------------------

    async def cancel(self, broker_order_id: str) -> str:
        """Robinhood's answer: accepted is not cancelled (pending_cancelled first, then cancelled)."""
        async with self._connection() as mcp:
            arguments = {"account_number": self._account, "order_id": broker_order_id}
            data = envelope(await mcp.call_write("cancel_equity_order", arguments))
        if data.get("accepted") is True:
            return "Robinhood accepted the cancel request; the order is cancelled once Robinhood confirms it"
        return "Robinhood did not accept the cancel request: the order may already be filled or cancelled"

    async def orders(self) -> tuple[BrokerOrder, ...]:
        """The agentic account's orders of the last day, newest first; `key` is ours for what this route placed."""
        keys = {order_id: key for key, order_id in self._placed.items()}
        rows = await self._rows()
        return tuple(o for r in rows if (o := broker_order(r, keys.get(str(r.get("id")), ""))) is not None)

    async def executions(self) -> tuple[BrokerExecution, ...]:
        keys = {order_id: key for key, order_id in self._placed.items()}
        rows = await self._rows()
        return tuple(e for r in rows for e in executions_of(r, keys.get(str(r.get("id")), "")))

    async def find(self, key: str) -> BrokerOrder | None:
        """The order this route placed under `key`, read-only.

        Robinhood's order object carries no ref_id, so an order is matched by its id when Robinhood answered
        with one; otherwise (every send ambiguous) by its terms: an agentic order with exactly the terms sent,
        made since the first send (less a clock slack), and no other order claimed by this route. Only a
        single such order is taken; none or several, and the answer is None (nothing is guessed). A key this
        route never sent (another process, before a restart) is not found."""
        order_id = self._placed.get(key)
        if order_id is not None:
            rows = await self._rows(order_id=order_id)
            return next((o for r in rows if (o := broker_order(r, key)) is not None), None)
        sent = self._sent.get(key)
        if sent is None:
            return None
        terms, at = sent
        claimed = set(self._placed.values())
        rows = await self._rows(since=at - FIND_SLACK_S)
        matches = [
            r
            for r in rows
            if r.get("placed_agent") == "agentic" and str(r.get("id")) not in claimed and same_terms(r, terms)
        ]
        if len(matches) != 1:
            return None
        found = broker_order(matches[0], key)
        if found is not None:
            self._placed[key] = found.broker_order_id
        return found

    async def _rows(self, *, order_id: str = "", since: float | None = None) -> list[dict[str, Any]]:
        start = self._clock() - ORDERS_WINDOW_S if since is None else since
        arguments: dict[str, Any] = {"account_number": self._account}
        arguments |= {"order_id": order_id} if order_id else {"created_at_gte": _iso(start)}
        rows: list[dict[str, Any]] = []
        async with self._connection() as mcp:
            for _ in range(MAX_ORDER_PAGES):
                data = envelope(await mcp.read("get_equity_orders", arguments))
                page = data.get("orders")
                rows.extend(r for r in (page if isinstance(page, list) else ()) if isinstance(r, dict))
                cursor = str(data.get("next") or "")
                if not cursor:
                    break
                arguments = arguments | {"cursor": cursor}
        return rows

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[McpConnection]:
        """A new MCP connection for one operation; the server's clock is kept from its last answer."""
        mcp = McpConnection(self._url, self._tokens, timezone=self._timezone)
        try:
            async with mcp:
                yield mcp
        finally:
            self._server_clock = mcp.server_clock or self._server_clock

    def clock_offset_s(self) -> float | None:
        """Robinhood's clock minus ours, as little as its last answer's `Date` allows (a whole second, stamped
        somewhere between our send and our receipt); None before the first answer."""
        if self._server_clock is None:
            return None
        return least_offset(*self._server_clock)


class _NotSent(Exception):
    """A send again that never left: its connection could not be opened."""


def _single(outcome: LegsAccepted) -> Accepted:
    return Accepted(outcome.broker_order_ids[0], outcome.statuses[0])


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
