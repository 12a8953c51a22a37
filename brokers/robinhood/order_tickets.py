"""Robinhood order arguments from the core's `OrderRequest`, and Robinhood's order objects back into the core's
types: states, executions, the alerts of a review.

Every number goes out as a string (Robinhood's tools take no JSON numbers) and comes back into a Decimal. The
`ref_id` Robinhood deduplicates by is a UUID derived from our idempotency key (uuid5 over a fixed namespace),
so a retry of the same order always carries the same one. The order object carries no ref_id back, so an
order is ours only when this route saw Robinhood answer with its id.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from brokers.core.accounts import money
from brokers.core.orders import (
    BrokerExecution,
    BrokerOrder,
    BrokerQuestion,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)

REF_ID_NAMESPACE = uuid.UUID("6f0b6c1e-3d2a-5b8e-9c47-2a51d0e8b7f3")  # fixed: changing it changes every ref_id

_STATUS = {
    "new": OrderStatus.WORKING,
    "queued": OrderStatus.WORKING,
    "unconfirmed": OrderStatus.WORKING,
    "confirmed": OrderStatus.WORKING,
    "locating": OrderStatus.WORKING,
    "partially_filled": OrderStatus.PARTIALLY_FILLED,
    "filled": OrderStatus.FILLED,
    "pending_cancelled": OrderStatus.PENDING_CANCEL,
    "cancelled": OrderStatus.CANCELLED,
    "partially_filled_rest_cancelled": OrderStatus.CANCELLED,
    "rejected": OrderStatus.REJECTED,
    "failed": OrderStatus.REJECTED,
    "voided": OrderStatus.REJECTED,
    "locate_failed": OrderStatus.REJECTED,
}
_TYPES = {
    OrderType.MARKET: "market",
    OrderType.LIMIT: "limit",
    OrderType.STOP: "stop_market",
    OrderType.STOP_LIMIT: "stop_limit",
}
_TIMES_IN_FORCE = {TimeInForce.DAY: "gfd", TimeInForce.GTC: "gtc"}


class TicketUnsendable(ValueError):
    """A request Robinhood's tools cannot take without changing it."""


def ref_id_for(*keys: str) -> str:
    """The ref_id of the order (or OCO group) placed under `keys`: the same keys, the same UUID."""
    return str(uuid.uuid5(REF_ID_NAMESPACE, "\n".join(keys)))


def order_terms(request: OrderRequest) -> dict[str, Any]:
    """The arguments `review_equity_order` and `place_equity_order` share, but the account and the ref_id."""
    tif = _TIMES_IN_FORCE.get(request.tif)
    if tif is None:
        raise TicketUnsendable(f"Robinhood takes day (gfd) and GTC orders only, not {request.tif.value}")
    if request.quantity <= 0:
        raise TicketUnsendable(f"the quantity must be positive, not {request.quantity}")
    terms: dict[str, Any] = {
        "symbol": request.symbol.strip().upper(),
        "side": "buy" if request.side is Side.BUY else "sell",
        "type": _TYPES[request.order_type],
        "quantity": decimal_text(request.quantity),
        "time_in_force": tif,
        "market_hours": "extended_hours" if request.outside_rth else "regular_hours",
    }
    if request.order_type.needs_limit:
        terms["limit_price"] = decimal_text(_required(request.limit_price, "limit"))
    if request.order_type.needs_stop:
        terms["stop_price"] = decimal_text(_required(request.stop_price, "stop"))
    return terms


DISCLOSURE_ID = "market_data_disclosure"


def alert_question(reply_id: str, checks: Any, disclosure: Any = None) -> BrokerQuestion | None:
    """The trader's question for a review's `order_checks`; None when there is no alert.

    Robinhood sends `{}` or `{alert_type: UPPER_SNAKE, <alert_type_lower>_alert_details: {...}}` and says new
    alert types ship regularly, so none is recognised by name: each is shown with what its details say. The
    review's `market_data_disclosure`, which Robinhood asks to show verbatim, goes with the question as is."""
    alerts = checks if isinstance(checks, list) else [checks]
    found = [a for a in alerts if isinstance(a, dict) and a]
    if not found:
        return None
    ids = tuple(str(a.get("alert_type") or "ORDER_CHECK") for a in found)
    messages = tuple(_alert_text(a) for a in found)
    if isinstance(disclosure, str) and disclosure.strip():
        ids, messages = (*ids, DISCLOSURE_ID), (*messages, disclosure.strip())
    return BrokerQuestion(reply_id=reply_id, message_ids=ids, messages=messages)


def status_of(state: object) -> OrderStatus:
    """Robinhood's order state as ours; a state we do not know is UNKNOWN (reconcile, never guess)."""
    return _STATUS.get(str(state), OrderStatus.UNKNOWN)


def order_type_of(row: dict[str, Any]) -> str:
    """Robinhood's user-facing type: `type` with `trigger` (limit + stop = stop_limit, market + stop = stop_market)."""
    kind = str(row.get("type", ""))
    return f"stop_{kind}" if row.get("trigger") == "stop" and kind in ("limit", "market") else kind


def broker_order(row: Any, key: str) -> BrokerOrder | None:
    """An order object as the core's `BrokerOrder`; `key` is ours when this route placed it, else ""."""
    if not isinstance(row, dict) or not isinstance(row.get("id"), str):
        return None
    kind = order_type_of(row)
    return BrokerOrder(
        broker_order_id=row["id"],
        key=key,
        symbol=str(row.get("symbol", "")),
        side=_side(row.get("side")),
        status=status_of(row.get("state")),
        quantity=money(row.get("quantity")),
        filled=money(row.get("cumulative_quantity")) or Decimal(0),
        average_price=money(row.get("average_price")),
        order_type=kind,
        limit_price=money(row.get("price")) if kind in ("limit", "stop_limit") else None,
        updated_at=epoch(row.get("last_transaction_at")) or epoch(row.get("created_at")),
    )


def executions_of(row: Any, key: str) -> list[BrokerExecution]:
    """The executions listed in an order object."""
    if not isinstance(row, dict) or not isinstance(row.get("executions"), list):
        return []
    found = []
    for fill in row["executions"]:
        if not isinstance(fill, dict):
            continue
        quantity, price = money(fill.get("quantity")), money(fill.get("price"))
        if quantity is None or price is None or not fill.get("id"):
            continue
        found.append(
            BrokerExecution(
                execution_id=str(fill["id"]),
                broker_order_id=str(row.get("id", "")),
                key=key,
                symbol=str(row.get("symbol", "")),
                side=_side(row.get("side")),
                quantity=quantity,
                price=price,
                at=epoch(fill.get("timestamp")) or 0.0,
            )
        )
    return found


def same_terms(row: dict[str, Any], terms: dict[str, Any]) -> bool:
    """Whether an order object has the terms we sent (symbol, side, type, quantity, prices, time in force)."""
    return (
        row.get("symbol") == terms.get("symbol")
        and row.get("side") == terms.get("side")
        and order_type_of(row) == terms.get("type")
        and money(row.get("quantity")) == money(terms.get("quantity"))
        and row.get("time_in_force") == terms.get("time_in_force")
        and (terms.get("limit_price") is None or money(row.get("price")) == money(terms.get("limit_price")))
        and (terms.get("stop_price") is None or money(row.get("stop_price")) == money(terms.get("stop_price")))
    )


def decimal_text(value: Decimal) -> str:
    """A Decimal as Robinhood's number string: plain digits, no exponent, no trailing zeros."""
    return format(value.normalize(), "f")


def epoch(value: object) -> float | None:
    """An ISO time ("…Z" or with an offset) as epoch seconds; None when it is none."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return None


def _alert_text(alert: dict[str, Any]) -> str:
    kind = str(alert.get("alert_type") or "")
    details = alert.get(f"{kind.lower()}_alert_details") if kind else None
    details = details if isinstance(details, dict) else {k: v for k, v in alert.items() if k != "alert_type"}
    title = details.get("title") or kind.replace("_", " ").capitalize() or "Robinhood flagged this order"
    message = details.get("message") or details.get("description")
    if isinstance(message, str) and message.strip():
        return f"{str(title).rstrip('.')}: {message.strip()}"
    facts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in details.items() if k != "title" and v not in (None, ""))
    return f"{title} ({facts})" if facts else str(title)


def _side(value: object) -> Side | None:
    return {"buy": Side.BUY, "sell": Side.SELL}.get(str(value))


def _required(price: Decimal | None, name: str) -> Decimal:
    if price is None or price <= 0:
        raise TicketUnsendable(f"a {name} price is needed and must be positive")
    return price
