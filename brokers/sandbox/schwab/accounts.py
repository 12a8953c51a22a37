"""The Trader API's account payloads: one MARGIN account with positions, one CASH account, JSON numbers throughout.

Shapes follow Schwab's documented responses: `accountNumbers` pairs each plain number with a 64-hex hash,
every other account path takes the hash, and positions appear only with `fields=positions`.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SandboxAccount:
    number: str
    hash_value: str
    payload: dict[str, Any]  # the `securitiesAccount` object with its positions

    def view(self, *, positions: bool) -> dict[str, Any]:
        account = dict(self.payload)
        if not positions:
            account.pop("positions", None)
        liquidation = account["currentBalances"]["liquidationValue"]
        return {
            "securitiesAccount": account,
            "aggregatedBalance": {"currentLiquidationValue": liquidation, "liquidationValue": liquidation},
        }


def _position(symbol: str, cusip: str, quantity: float, average: float, price: float) -> dict[str, Any]:
    value = round(quantity * price, 2)
    return {
        "shortQuantity": 0.0,
        "averagePrice": average,
        "currentDayProfitLoss": round(quantity * price * 0.004, 2),
        "currentDayProfitLossPercentage": 0.4,
        "longQuantity": quantity,
        "settledLongQuantity": quantity,
        "settledShortQuantity": 0.0,
        "instrument": {"assetType": "EQUITY", "cusip": cusip, "symbol": symbol, "netChange": 0.52},
        "marketValue": value,
        "maintenanceRequirement": round(value * 0.25, 2),
        "averageLongPrice": average,
        "taxLotAverageLongPrice": average,
        "longOpenProfitLoss": round(value - quantity * average, 2),
        "previousSessionLongQuantity": quantity,
        "currentDayCost": 0.0,
    }


def _margin(number: str) -> dict[str, Any]:
    positions = [
        _position("AAPL", "037833100", 40.0, 171.32, 189.25),
        _position("MSFT", "594918104", 15.0, 402.1, 415.5),
    ]
    long_value = round(sum(p["marketValue"] for p in positions), 2)
    cash = 12_430.55
    return {
        "type": "MARGIN",
        "accountNumber": number,
        "roundTrips": 0,
        "isDayTrader": False,
        "isClosingOnlyRestricted": False,
        "pfcbFlag": False,
        "positions": positions,
        "initialBalances": {"cashBalance": cash, "buyingPower": 38_120.4, "equity": round(cash + long_value, 2)},
        "currentBalances": {
            "cashBalance": cash,
            "longMarketValue": long_value,
            "liquidationValue": round(cash + long_value, 2),
            "availableFunds": 19_060.2,
            "buyingPower": 38_120.4,
            "dayTradingBuyingPower": 76_240.8,
            "equity": round(cash + long_value, 2),
            "maintenanceRequirement": round(long_value * 0.25, 2),
            "marginBalance": 0.0,
            "shortBalance": 0.0,
            "sma": 19_060.2,
        },
        "projectedBalances": {"availableFunds": 19_060.2, "buyingPower": 38_120.4, "isInCall": False},
    }


def _cash(number: str) -> dict[str, Any]:
    cash = 5_210.07
    return {
        "type": "CASH",
        "accountNumber": number,
        "roundTrips": 0,
        "isDayTrader": False,
        "isClosingOnlyRestricted": False,
        "pfcbFlag": False,
        "positions": [],
        "initialBalances": {"cashBalance": cash, "cashAvailableForTrading": cash, "liquidationValue": cash},
        "currentBalances": {
            "cashBalance": cash,
            "cashAvailableForTrading": 5_010.07,
            "cashAvailableForWithdrawal": 5_010.07,
            "unsettledCash": 200.0,
            "liquidationValue": cash,
            "longMarketValue": 0.0,
        },
        "projectedBalances": {"cashAvailableForTrading": 5_010.07, "cashAvailableForWithdrawal": 5_010.07},
    }


def sandbox_accounts(seed: int) -> tuple[SandboxAccount, ...]:
    """The same two accounts for the same seed; hashes unlike the numbers, as Schwab's are."""
    rng = random.Random(seed)  # noqa: S311 - made-up account numbers, not secrets
    numbers = [str(rng.randrange(10_000_000, 99_999_999)) for _ in range(2)]
    return tuple(
        SandboxAccount(
            number, hashlib.sha256(f"schwab-sandbox:{seed}:{number}".encode()).hexdigest().upper(), build(number)
        )
        for number, build in zip(numbers, (_margin, _cash), strict=True)
    )
