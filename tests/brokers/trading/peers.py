"""Test peers for the desk: a fixed-price simulator (until the real one lands) and a scripted order route.

The route implements our own `OrderRoute` ABC honestly: it records what it receives, answers outcomes a
test scripts, keeps the orders it accepted, and refuses (as a broker refuses a repeated `cOID`) to take a
key twice, failing the test.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal

from brokers.core.market import InstrumentQuotes
from brokers.core.order_route import OrderRoute
from brokers.core.orders import (
    Accepted,
    BrokerExecution,
    BrokerOrder,
    BrokerQuestion,
    Fill,
    OrderRequest,
    OrderStatus,
    PlaceOutcome,
)
from tests.brokers.trading.facts import ACCOUNT


@dataclass
class FixedPriceSimulator:
    """Market orders fill in full at `price`; everything else rests, and resting orders fill on any market update."""

    price: Decimal = Decimal("100")
    entries: list[OrderRequest] = field(default_factory=list)

    def fill_on_entry(self, request: OrderRequest, quotes: InstrumentQuotes | None, now: float) -> tuple[Fill, ...]:
        self.entries.append(request)
        if request.limit_price is None and request.stop_price is None:
            return (Fill(request.quantity, self.price, now),)
        return ()

    def fill_resting(
        self, request: OrderRequest, remaining: Decimal, quotes: InstrumentQuotes, since: float, now: float
    ) -> tuple[Fill, ...]:
        return (Fill(remaining, request.limit_price or self.price, now),)


class DoubleSend(AssertionError):
    """The desk sent a key the broker already has: exactly what idempotency must prevent."""


class ScriptedRoute(OrderRoute):
    def __init__(self, *outcomes: PlaceOutcome | Exception) -> None:
        self.script: deque[PlaceOutcome | Exception] = deque(outcomes)
        self.placed: list[tuple[OrderRequest, str]] = []
        self.answers: list[tuple[str, bool]] = []
        self.cancels: list[str] = []
        self.modifies: list[tuple[str, OrderRequest, str]] = []
        self.live: dict[str, BrokerOrder] = {}  # by key: what the broker holds
        self.executions_out: list[BrokerExecution] = []
        self.fail_reads: Exception | None = None

    @property
    def account(self) -> str:
        return ACCOUNT

    def _next(self) -> PlaceOutcome:
        outcome = self.script.popleft() if self.script else Accepted(f"B{len(self.placed)}")
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def hold(self, request: OrderRequest, key: str, broker_id: str, status: OrderStatus = OrderStatus.WORKING) -> None:
        """The broker has this order (it went live whatever its answer said)."""
        self.live[key] = BrokerOrder(
            broker_id, key, request.symbol, request.side, status, request.quantity, Decimal(0), None
        )

    async def place(self, request: OrderRequest, key: str) -> PlaceOutcome:
        if key in self.live or any(sent == key for _, sent in self.placed):
            raise DoubleSend(key)
        self.placed.append((request, key))
        outcome = self._next()
        if isinstance(outcome, Accepted):
            self.hold(request, key, outcome.broker_order_id, outcome.status)
        return outcome

    async def answer(self, question: BrokerQuestion, confirm: bool) -> PlaceOutcome:
        self.answers.append((question.reply_id, confirm))
        outcome = self._next()
        if isinstance(outcome, Accepted) and self.placed:
            request, key = self.placed[-1]
            self.hold(request, key, outcome.broker_order_id, outcome.status)
        return outcome

    async def modify(self, broker_order_id: str, request: OrderRequest, key: str) -> PlaceOutcome:
        self.modifies.append((broker_order_id, request, key))
        return self._next()

    async def cancel(self, broker_order_id: str) -> str:
        self.cancels.append(broker_order_id)
        return "Request was submitted"

    async def orders(self) -> tuple[BrokerOrder, ...]:
        if self.fail_reads:
            raise self.fail_reads
        return tuple(self.live.values())

    async def executions(self) -> tuple[BrokerExecution, ...]:
        return tuple(self.executions_out)
