"""IBKR's sparse `sor` order deltas and `str` executions turned into complete core values.

After its first frame `sor` carries only the fields that changed, plus `orderId`; a delta alone cannot say
what the order is. The merge keeps every order's latest full row (seeded by each `/iserver/account/orders`
poll, which replaces the row whole) and lays each delta over it, so the row parser of the polled orders
(`order_tickets.order_from_row`) reads the merged row exactly as it reads a polled one. `str` re-sends
today's executions on every subscribe; each execution id is handed on once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from brokers.core.orders import BrokerExecution, BrokerOrder
from brokers.ibkr.order_tickets import execution_from_row, order_from_row


class OrderMerge:
    """The latest row of every order this route has seen, and the executions already handed on."""

    def __init__(self) -> None:
        self._rows: dict[str, dict[str, Any]] = {}
        self._delivered: set[str] = set()
        self.incomplete = 0  # deltas of orders neither a poll nor a full row described yet
        self.unusable = 0  # execution rows without an id, a size or a price

    def seed(self, rows: Iterable[Any]) -> None:
        """Rows of a live-orders poll: the broker's complete, confirmed state of each order."""
        for row in rows:
            if isinstance(row, dict) and row.get("orderId") not in (None, ""):
                self._rows[str(row["orderId"])] = dict(row)

    def orders(self, deltas: Iterable[dict[str, Any]]) -> tuple[BrokerOrder, ...]:
        """The complete orders `deltas` change; an order whose status is still unknown is left for the poll."""
        merged: dict[str, BrokerOrder] = {}
        for delta in deltas:
            order_id = str(delta["orderId"])
            row = self._rows.setdefault(order_id, {})
            row.update(delta)
            if not row.get("status"):
                self.incomplete += 1
                continue
            if (order := order_from_row(row)) is not None:
                merged[order_id] = order
        return tuple(merged.values())

    def executions(self, rows: Iterable[dict[str, Any]]) -> tuple[BrokerExecution, ...]:
        """The executions in `rows` not handed on before, each once."""
        fresh: list[BrokerExecution] = []
        for row in rows:
            execution = execution_from_row(row)
            if execution is None:
                self.unusable += 1
            elif execution.execution_id not in self._delivered:
                self._delivered.add(execution.execution_id)
                fresh.append(execution)
        return tuple(fresh)
