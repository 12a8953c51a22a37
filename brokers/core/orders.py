"""Orders as every part of Brokerdeck sees them, and what a connector that can trade implements.

The trading core (`brokers.trading`) owns the one order entry point: validation, mode, cap, ledger and
idempotency happen there and nowhere else. A connector only carries an order the core already accepted to
its broker through an `OrderRoute` (`order_route`), answers the broker's questions as the trader decides,
and reports what the broker says about its orders. Quantities and prices are `Decimal`: an order never
passes through a float.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Mode(StrEnum):
    """Where an order goes. SHADOW records and simulates; LIVE sends it to the broker."""

    SHADOW = "SHADOW"
    LIVE = "LIVE"


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class OrderType(StrEnum):
    MARKET = "MKT"
    LIMIT = "LMT"
    STOP = "STP"
    STOP_LIMIT = "STOP_LIMIT"

    @property
    def needs_limit(self) -> bool:
        return self in (OrderType.LIMIT, OrderType.STOP_LIMIT)

    @property
    def needs_stop(self) -> bool:
        return self in (OrderType.STOP, OrderType.STOP_LIMIT)


class TimeInForce(StrEnum):
    DAY = "DAY"
    GTC = "GTC"
    IOC = "IOC"
    OPG = "OPG"


class OrderStatus(StrEnum):
    """An order's state in the blotter, whichever broker (or the simulator) holds it."""

    PENDING = "PENDING"  # accepted by the core, on its way to the broker
    QUESTION = "QUESTION"  # the broker asked something only the trader may answer
    HELD = "HELD"  # a structure's leg that works only once its parent has filled
    WORKING = "WORKING"  # resting at the broker (or in the simulator)
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    PENDING_CANCEL = "PENDING_CANCEL"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"
    UNKNOWN = "UNKNOWN"  # the broker's answer was ambiguous: reconcile before anything is sent again

    @property
    def final(self) -> bool:
        return self in (OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED)

    @property
    def open(self) -> bool:
        return self in (OrderStatus.WORKING, OrderStatus.HELD, OrderStatus.PARTIALLY_FILLED, OrderStatus.PENDING_CANCEL)


@dataclass(frozen=True)
class OrderRequest:
    """What the trader (or a script) asks for; the core validates it before anything else happens.

    `decision_id` names the decision that produced the order: the same decision retried is the same order.
    """

    profile: str
    symbol: str
    conid: int | None  # the broker's instrument id when known (IBKR contract id)
    side: Side
    quantity: Decimal
    order_type: OrderType
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    tif: TimeInForce = TimeInForce.DAY
    outside_rth: bool = False
    decision_id: str = ""


@dataclass(frozen=True)
class Fill:
    quantity: Decimal
    price: Decimal
    at: float  # epoch seconds
    execution_id: str = ""


@dataclass(frozen=True)
class BrokerQuestion:
    """A question the broker asked about an order; answered by its id, never by its text."""

    reply_id: str
    message_ids: tuple[str, ...]
    messages: tuple[str, ...]


@dataclass(frozen=True)
class Accepted:
    broker_order_id: str
    status: OrderStatus = OrderStatus.WORKING


@dataclass(frozen=True)
class Asked:
    """The broker asked a question the connector may not answer on its own: the trader decides."""

    question: BrokerQuestion
    answered: tuple[str, ...] = ()  # message ids the connector already confirmed on this order (whitelisted)


@dataclass(frozen=True)
class Refused:
    reason: str


@dataclass(frozen=True)
class Ambiguous:
    """The broker's answer does not say whether the order is live (a 503 on a reply): reconcile first."""

    reason: str


PlaceOutcome = Accepted | Asked | Refused | Ambiguous


@dataclass(frozen=True)
class BrokerOrder:
    """One order as the broker reports it (live orders, order updates)."""

    broker_order_id: str
    key: str  # the idempotency key we sent (IBKR `cOID`, echoed as `order_ref`); "" when not ours
    symbol: str
    side: Side | None
    status: OrderStatus
    quantity: Decimal | None
    filled: Decimal
    average_price: Decimal | None
    order_type: str = ""
    limit_price: Decimal | None = None
    updated_at: float | None = None  # epoch seconds


@dataclass(frozen=True)
class BrokerExecution:
    """One execution (fill) the broker reports, matched to our order by its key when it carries one."""

    execution_id: str
    broker_order_id: str
    key: str
    symbol: str
    side: Side | None
    quantity: Decimal
    price: Decimal
    at: float
