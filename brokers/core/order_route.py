"""What a connector that can trade implements: the `OrderRoute` a connected session hands the trading core."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

from brokers.core.orders import (
    BrokerExecution,
    BrokerOrder,
    BrokerQuestion,
    OrderRequest,
    PlaceOutcome,
    Refused,
)
from brokers.core.structures import StructureKind, StructureOutcome, StructureRequest

OrderUpdateListener = Callable[[tuple[BrokerOrder, ...], tuple[BrokerExecution, ...]], None]


class OrderRoute(ABC):
    """A connected session's way to the broker's order desk. The trading core is its only caller.

    `place` and `modify` run the broker's confirmation dialogue themselves as far as the connector's policy
    allows (informational questions only), and return `Asked` for anything the trader must decide.
    """

    @property
    @abstractmethod
    def account(self) -> str:
        """The account orders go to (the broker's id; shown masked, typed in full to arm LIVE)."""

    @abstractmethod
    async def place(self, request: OrderRequest, key: str) -> PlaceOutcome:
        """Send one order carrying the idempotency `key`."""

    @abstractmethod
    async def answer(self, question: BrokerQuestion, confirm: bool) -> PlaceOutcome | StructureOutcome:
        """The trader's answer to a question `place`, `modify` or `place_structure` returned (a structure's
        question is answered with the structure's outcome)."""

    @property
    def structures(self) -> frozenset[StructureKind]:
        """The structures this broker takes as such (none by default)."""
        return frozenset()

    async def place_structure(self, structure: StructureRequest, keys: tuple[str, ...]) -> StructureOutcome:
        """Send a structure's legs together, leg i carrying the idempotency key `keys[i]`."""
        return Refused(f"this broker does not take {structure.kind.value} orders through Brokerdeck")

    @abstractmethod
    async def modify(self, broker_order_id: str, request: OrderRequest, key: str) -> PlaceOutcome:
        """Replace a working order's ticket with the complete new one."""

    @abstractmethod
    async def cancel(self, broker_order_id: str) -> str:
        """Ask the broker to cancel; what it said (an acknowledgement, not yet the cancellation)."""

    @abstractmethod
    async def orders(self) -> tuple[BrokerOrder, ...]:
        """The broker's orders of this session (paced as the broker requires)."""

    @abstractmethod
    async def executions(self) -> tuple[BrokerExecution, ...]:
        """Today's executions."""

    async def find(self, key: str) -> BrokerOrder | None:
        """The broker's order carrying `key`, if it has one (reconciling an ambiguous answer)."""
        for order in await self.orders():
            if order.key == key:
                return order
        return None

    def listen(self, listener: OrderUpdateListener | None) -> None:
        """Push order updates and executions as the broker streams them (a hint: `orders()` confirms)."""
        return

    def clock_offset_s(self) -> float | None:
        """The broker's clock minus ours, from its latest answer (the least the answer allows, so network delay
        is not counted as drift); None before the first."""
        return None
