"""Order requests for the Robinhood order tests, and what the sandbox says was called."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from brokers.core.orders import OrderRequest, OrderType, Side
from tests.brokers.robinhood.peer import RobinhoodSandbox

ACCOUNT = "5QR81234"
SMALL = dict(symbol="F", side=Side.BUY, quantity=Decimal(10), order_type=OrderType.LIMIT, limit_price=Decimal("11.95"))
LARGE = dict(symbol="AAPL", side=Side.BUY, quantity=Decimal(10), order_type=OrderType.LIMIT, limit_price=Decimal(190))


def request(**terms: Any) -> OrderRequest:
    return OrderRequest(profile="sandbox-robinhood", conid=None, **(SMALL | terms))


def tools_called(rh: RobinhoodSandbox) -> list[str]:
    return [c["tool"] for c in rh.calls()]
