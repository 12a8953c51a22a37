"""The sandbox Robinhood's order desk: reviews, equity orders and OCO groups, and how their states move.

An order goes queued -> confirmed -> partially_filled -> filled, one step per `advance` (a test control) or
per `auto_advance_s` of wall time (for people trying the sandbox; tests switch that off). A cancel is
accepted as pending_cancelled and becomes cancelled (partially_filled_rest_cancelled after a fill) at the
next step. In an OCO group only the first open leg fills, and its first fill cancels the others. A ref_id
answers the order (or group) it first made and never makes another, as Robinhood promises. Only an account
with agentic_allowed may review, place or cancel.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

from mcp.server.fastmcp.exceptions import ToolError

from brokers.sandbox.robinhood.book import Book
from brokers.sandbox.robinhood.order_terms import NOT_PLACED, Terms, quote, refuse, text

OPEN_STATES = ("queued", "confirmed", "partially_filled", "pending_cancelled")
DEFAULT_AUTO_ADVANCE_S = 4.0
OCO_LEGS = 2
ADVANCED_NOT_ALLOWED = (
    "Advanced orders (OCO) are not enabled for this account. Place single orders with place_equity_order instead."
)


@dataclass
class DeskSettings:
    auto_advance_s: float = DEFAULT_AUTO_ADVANCE_S  # 0: states move only on `advance`
    advanced_allowed: bool = True  # whether the agentic account may use the advanced (OCO) tools


@dataclass
class SandboxOrder:
    id: str
    account: str
    terms: Terms
    created_at: float
    moved_at: float
    state: str = "queued"
    last_transaction_at: float | None = None
    executions: list[dict[str, Any]] = field(default_factory=list)
    group: str = ""

    @property
    def filled(self) -> Decimal:
        return sum((Decimal(e["quantity"]) for e in self.executions), Decimal(0))

    def fill(self, quantity: Decimal, at: float) -> None:
        price = self.terms.fill_price()
        number = len(self.executions) + 1
        self.executions.append(
            {
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.id}/execution/{number}")),
                "price": text(price),
                "quantity": text(quantity),
                "timestamp": iso(at),
                "fees": "0.00",
            }
        )
        self.last_transaction_at = at
        self.state = "filled" if self.filled >= self.terms.shares() else "partially_filled"

    def as_json(self) -> dict[str, Any]:
        t = self.terms
        filled = self.filled
        paid = sum((Decimal(e["price"]) * Decimal(e["quantity"]) for e in self.executions), Decimal(0))
        dollars = t.dollar_amount
        return {
            "id": self.id,
            "instrument_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"instrument/{t.symbol}")),
            "symbol": t.symbol,
            "side": t.side,
            "type": "limit" if t.limit_price is not None else "market",
            "state": self.state,
            "quantity": None if dollars is not None else text(t.quantity),
            "cumulative_quantity": text(filled),
            "price": text(t.limit_price),
            "stop_price": text(t.stop_price),
            "average_price": text((paid / filled).quantize(Decimal("0.0001"))) if filled else None,
            "fees": "0.00",
            "dollar_based_amount": None if dollars is None else {"amount": text(dollars), "currency_code": "USD"},
            "time_in_force": t.time_in_force,
            "market_hours": t.market_hours,
            "trigger": "stop" if t.stop_price is not None else "immediate",
            "placed_agent": "agentic",
            "created_at": iso(self.created_at),
            "last_transaction_at": None if self.last_transaction_at is None else iso(self.last_transaction_at),
            "executions": list(self.executions),
        }


@dataclass
class Group:
    """An OCO group: its legs are equity orders too (`get_equity_orders` lists them)."""

    id: str
    account: str
    legs: list[SandboxOrder]
    created_at: float

    @property
    def state(self) -> str:
        states = [leg.state for leg in self.legs]
        if any(s in ("filled", "partially_filled", "partially_filled_rest_cancelled") for s in states):
            return "triggered"
        return "active" if any(s in OPEN_STATES for s in states) else "cancelled"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "oco",
            "state": self.state,
            "created_at": iso(self.created_at),
            "orders": [leg.as_json() for leg in self.legs],
        }


class OrderDesk:
    """The orders of every account; `clock` is the sandbox's wall clock."""

    def __init__(self, book: Book, clock: Callable[[], float] = time.time) -> None:
        self.book = book
        self.clock = clock
        self.settings = DeskSettings()
        self.orders: list[SandboxOrder] = []
        self.groups: list[Group] = []
        self.by_ref: dict[str, SandboxOrder | Group] = {}

    def reset(self) -> None:
        self.settings = DeskSettings()
        self.orders, self.groups, self.by_ref = [], [], {}

    def update(self, body: dict[str, Any]) -> None:
        """Apply `auto_advance_s` and `advanced_allowed` from a control body; ValueError says what is wrong."""
        auto = body.get("auto_advance_s", self.settings.auto_advance_s)
        allowed = body.get("advanced_allowed", self.settings.advanced_allowed)
        if isinstance(auto, bool) or not isinstance(auto, int | float) or not 0 <= auto <= 3600:
            raise ValueError("'auto_advance_s' must be a number of seconds from 0 to 3600")
        if not isinstance(allowed, bool):
            raise ValueError("'advanced_allowed' must be true or false")
        self.settings = DeskSettings(float(auto), allowed)

    def describe(self) -> dict[str, Any]:
        self._catch_up()
        return {
            "auto_advance_s": self.settings.auto_advance_s,
            "advanced_allowed": self.settings.advanced_allowed,
            "orders": [o.as_json() | {"account_number": o.account} for o in reversed(self.orders)],
            "advanced_orders": [g.as_json() for g in reversed(self.groups)],
        }

    # ---- single orders ------------------------------------------------------------------------

    def trading(self, account: str) -> None:
        """Refuse an account that is unknown or that this agent may not trade."""
        if not self.book.known(account):
            raise ToolError(f"Account {account} not found. Call get_accounts and use an account_number from it.")
        if account not in self.book.agentic:
            raise ToolError(
                "This account is not enabled for agentic trading (agentic_allowed is false). "
                f"Use the account where agentic_allowed is true. {NOT_PLACED}"
            )

    def review(self, account: str, terms: Terms) -> dict[str, Any]:
        self.trading(account)
        self._no_short_sale(account, terms)
        now = iso(self.clock())
        return terms.echo() | {
            "order_checks": self._checks(account, terms.cost() if terms.side == "buy" else Decimal(0)),
            "quote_data": quote(terms.symbol, now),
            "market_data_disclosure": disclosure(now),
        }

    def place(self, account: str, terms: Terms, ref_id: str) -> dict[str, Any]:
        self.trading(account)
        self._catch_up()
        known = self.by_ref.get(ref_id)
        if isinstance(known, Group):
            refuse("This ref_id already placed an advanced order.")
        if isinstance(known, SandboxOrder):
            return known.as_json()
        self._no_short_sale(account, terms)
        order = self._new_order(account, terms, "")
        self.by_ref[ref_id] = order
        return order.as_json()

    def cancel(self, account: str, order_id: str) -> bool:
        """Whether the cancel was accepted (not whether the order is cancelled yet)."""
        self.trading(account)
        self._catch_up()
        order = next((o for o in self.orders if o.id == order_id and o.account == account), None)
        if order is None:
            raise ToolError(f"Order {order_id} was not found in this account. Check the id with get_equity_orders.")
        if order.state not in ("queued", "confirmed", "partially_filled"):
            return False
        order.state, order.moved_at = "pending_cancelled", self.clock()
        return True

    def listed(
        self, account: str, *, order_id: str | None, state: str | None, symbol: str | None, since: str | None
    ) -> list[dict[str, Any]]:
        """`get_equity_orders`: the account's orders, newest first, filtered."""
        if not self.book.known(account):
            raise ToolError(f"Account {account} not found. Call get_accounts and use an account_number from it.")
        self._catch_up()
        earliest = parse_time(since) if since else None
        return [
            o.as_json()
            for o in reversed(self.orders)
            if o.account == account
            and order_id in (None, o.id)
            and state in (None, o.state)
            and (symbol is None or symbol.upper() == o.terms.symbol)
            and (earliest is None or o.created_at >= earliest)
        ]

    # ---- OCO groups ---------------------------------------------------------------------------

    def review_group(self, account: str, legs: list[Terms]) -> dict[str, Any]:
        self._group_allowed(account, legs)
        now = iso(self.clock())
        buying = max((leg.cost() for leg in legs if leg.side == "buy"), default=Decimal(0))
        return {
            "type": "oco",
            "orders": [leg.echo() for leg in legs],
            "order_checks": self._checks(account, buying),
            "quote_data": quote(legs[0].symbol, now),
            "market_data_disclosure": disclosure(now),
        }

    def place_group(self, account: str, legs: list[Terms], ref_id: str) -> dict[str, Any]:
        self._group_allowed(account, legs)
        self._catch_up()
        known = self.by_ref.get(ref_id)
        if isinstance(known, SandboxOrder):
            refuse("This ref_id already placed a single order.")
        if isinstance(known, Group):
            return known.as_json()
        group_id = str(uuid.uuid4())
        group = Group(group_id, account, [self._new_order(account, leg, group_id) for leg in legs], self.clock())
        self.groups.append(group)
        self.by_ref[ref_id] = group
        return group.as_json()

    def cancel_group(self, account: str, group_id: str) -> bool:
        self.trading(account)
        group = next((g for g in self.groups if g.id == group_id and g.account == account), None)
        if group is None:
            raise ToolError(f"Advanced order {group_id} was not found. Check the id with get_advanced_orders.")
        return any([self.cancel(account, leg.id) for leg in group.legs])

    def listed_groups(self, account: str, *, group_id: str | None, state: str | None) -> list[dict[str, Any]]:
        self._catch_up()
        return [
            g.as_json()
            for g in reversed(self.groups)
            if g.account == account and group_id in (None, g.id) and state in (None, g.state)
        ]

    # ---- time -----------------------------------------------------------------------------------

    def advance(self, order_id: str | None = None, steps: int = 1) -> int:
        """Move open orders (or the one named) `steps` states on; how many moves were made."""
        targets = [o for o in self.orders if order_id in (None, o.id)]
        if order_id is not None and not targets:
            raise ValueError(f"no order {order_id}")
        moves = 0
        for _ in range(steps):
            moves += sum(self._step(o, self.clock()) for o in targets)
        return moves

    def _catch_up(self) -> None:
        every = self.settings.auto_advance_s
        if every <= 0:
            return
        now = self.clock()
        for order in self.orders:
            due = int((now - order.moved_at) // every)
            for _ in range(due):
                self._step(order, now)
            order.moved_at += due * every

    def _step(self, order: SandboxOrder, now: float) -> bool:
        if order.state == "pending_cancelled":
            order.state = "partially_filled_rest_cancelled" if order.filled else "cancelled"
            order.last_transaction_at = now
            return True
        if order.state == "queued":
            order.state = "confirmed"
            return True
        if order.state not in ("confirmed", "partially_filled") or not self._may_fill(order):
            return False
        shares = order.terms.shares()
        half = (shares / 2).to_integral_value(ROUND_DOWN)
        partial = order.state == "confirmed" and Decimal(0) < half < shares
        order.fill(half if partial else shares - order.filled, now)
        for leg in self._siblings(order):
            if leg.state in OPEN_STATES:
                leg.state, leg.last_transaction_at = "cancelled", now
        return True

    def _may_fill(self, order: SandboxOrder) -> bool:
        """An OCO leg fills only when it is its group's first open leg (one leg fills, the rest cancel)."""
        if not order.group:
            return True
        group = next(g for g in self.groups if g.id == order.group)
        return next((leg for leg in group.legs if leg.state in OPEN_STATES), None) is order

    def _siblings(self, order: SandboxOrder) -> list[SandboxOrder]:
        group = next((g for g in self.groups if g.id == order.group), None) if order.group else None
        return [leg for leg in group.legs if leg is not order] if group else []

    # ---- helpers ----------------------------------------------------------------------------------

    def _new_order(self, account: str, terms: Terms, group: str) -> SandboxOrder:
        now = self.clock()
        order = SandboxOrder(str(uuid.uuid4()), account, terms, now, now, group=group)
        self.orders.append(order)
        return order

    def _checks(self, account: str, cost: Decimal) -> dict[str, Any]:
        """`order_checks`: {} or one alert, as Robinhood shapes it."""
        power = Decimal(self.book.portfolio(account)["buying_power"]["buying_power"])
        if cost <= power:
            return {}
        return {
            "alert_type": "INSUFFICIENT_BUYING_POWER",
            "insufficient_buying_power_alert_details": {
                "title": "Not enough buying power",
                "message": f"This order costs about ${cost:.2f}, more than the ${power:.2f} of buying power.",
                "buying_power": text(power),
                "estimated_cost": text(cost.quantize(Decimal("0.01"))),
            },
        }

    def _no_short_sale(self, account: str, terms: Terms) -> None:
        if terms.side != "sell":
            return
        held = sum(
            (
                Decimal(p["shares_available_for_sells"])
                for p in self.book.positions(account)
                if p["symbol"] == terms.symbol
            ),
            Decimal(0),
        )
        if terms.shares() > held:
            refuse(f"This account holds {text(held)} {terms.symbol} to sell; short selling is not allowed.")

    def _group_allowed(self, account: str, legs: list[Terms]) -> None:
        self.trading(account)
        if not self.settings.advanced_allowed:
            refuse(ADVANCED_NOT_ALLOWED)
        if len(legs) != OCO_LEGS:
            refuse(f"An OCO order has exactly {OCO_LEGS} legs, not {len(legs)}.")
        if len({leg.symbol for leg in legs}) != 1 or len({leg.side for leg in legs}) != 1:
            refuse("The legs of an OCO order trade the same symbol on the same side.")
        if any(leg.dollar_amount is not None for leg in legs):
            refuse("OCO legs take a quantity, not a dollar_amount.")
        for leg in legs:
            self._no_short_sale(account, leg)


def iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_time(value: str) -> float:
    """`created_at_gte`: an ISO UTC time or a date (midnight UTC); a ToolError when it is neither."""
    try:
        if len(value) == len("2026-01-31"):
            return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC).timestamp()
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ToolError(f"created_at_gte must be an ISO UTC time or YYYY-MM-DD, not {value!r}.") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def disclosure(at: str) -> str:
    return (
        f"Sandbox market data as of {at}: fixed quotes for testing, not real prices. Robinhood shows its own "
        "market data disclosure here; display it verbatim."
    )
