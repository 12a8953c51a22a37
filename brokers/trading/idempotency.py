"""The idempotency key: the same decision asks for the same order, so it is placed once.

The key is a hash of the profile, the decision id and the ticket (symbol, side, quantity, order type,
prices), short enough for IBKR's `cOID` ("bd-" and 24 hex digits). Amounts are normalized first, so 10,
10.0 and 1E+1 give one key. A caller who wants a retry to be recognised must pass the same decision id each
time: when none is given, the desk makes up a fresh one and the order is new every time.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

from brokers.core.orders import OrderRequest

KEY_PREFIX = "bd-"
KEY_HEX_DIGITS = 24


def order_key(request: OrderRequest) -> str:
    """The order's key; ValueError for an empty decision id (the desk gives every order one first)."""
    if not request.decision_id.strip():
        raise ValueError("an order needs a decision id before it has an idempotency key")
    parts = (
        request.profile,
        request.decision_id,
        request.symbol.strip().upper(),
        request.side.value,
        _amount(request.quantity),
        request.order_type.value,
        _amount(request.limit_price),
        _amount(request.stop_price),
    )
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return KEY_PREFIX + digest[:KEY_HEX_DIGITS]


def _amount(value: Decimal | None) -> str:
    if value is None:
        return ""
    return format(value.normalize(), "f")
