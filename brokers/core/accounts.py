"""What a connected profile can show of its brokerage accounts: a read-only snapshot, one model for every broker.

Connectors fill it from their own API (Robinhood's MCP tools, Schwab's accounts endpoints, IBKR's portfolio);
the window's detail view and `brokerdeck status` render it. Money stays `Decimal` (brokers send strings or
JSON numbers; neither may pass through a float), and an account number is only ever shown masked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

MASK = "••••"


def mask_account(number: str) -> str:
    """'5QR12345' -> '••••2345': the last four characters only, as brokers show them."""
    return MASK + number[-4:] if len(number) > 4 else MASK + number


def money(value: object) -> Decimal | None:
    """A broker's number (a string such as "1234.50", or a JSON number) as a Decimal; None when it is none."""
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


@dataclass(frozen=True)
class Position:
    symbol: str
    quantity: Decimal  # negative when short
    average_price: Decimal | None = None
    market_value: Decimal | None = None


@dataclass(frozen=True)
class AccountSnapshot:
    """One account at one moment. `account` is already masked; `kind` is the broker's word ("cash", "MARGIN")."""

    account: str
    kind: str = ""
    currency: str = "USD"
    buying_power: Decimal | None = None
    cash: Decimal | None = None
    equity: Decimal | None = None  # the account's total value as the broker states it
    positions: tuple[Position, ...] = ()
    note: str = ""  # where a figure comes from, when that matters ("buying power from get_portfolio")


@dataclass(frozen=True)
class AccountsReport:
    """The accounts a session can show, when it read them, or why it shows none (with what to do)."""

    accounts: tuple[AccountSnapshot, ...] = ()
    taken_at: float | None = None  # epoch seconds
    problem: str = ""
    details: Mapping[str, str] = field(default_factory=dict)  # extra facts for people ("agentic account": "••••1234")

    def to_json(self) -> dict[str, Any]:
        return {
            "taken_at": self.taken_at,
            "problem": self.problem,
            "details": dict(self.details),
            "accounts": [_account_json(a) for a in self.accounts],
        }

    @classmethod
    def from_json(cls, facts: object) -> AccountsReport | None:
        """The report `to_json` wrote, or None when `facts` is not one (another version, a damaged file)."""
        try:
            if not isinstance(facts, Mapping):
                return None
            accounts = tuple(_account_of(a) for a in facts.get("accounts") or ())
            taken = facts.get("taken_at")
            return cls(
                accounts=accounts,
                taken_at=float(taken) if taken is not None else None,
                problem=str(facts.get("problem") or ""),
                details={str(k): str(v) for k, v in dict(facts.get("details") or {}).items()},
            )
        except (TypeError, ValueError, KeyError, AttributeError):
            return None


def _text(number: Decimal | None) -> str | None:
    return None if number is None else str(number)


def _account_json(account: AccountSnapshot) -> dict[str, Any]:
    return {
        "account": account.account,
        "kind": account.kind,
        "currency": account.currency,
        "buying_power": _text(account.buying_power),
        "cash": _text(account.cash),
        "equity": _text(account.equity),
        "note": account.note,
        "positions": [
            {
                "symbol": p.symbol,
                "quantity": str(p.quantity),
                "average_price": _text(p.average_price),
                "market_value": _text(p.market_value),
            }
            for p in account.positions
        ],
    }


def _account_of(facts: Mapping[str, Any]) -> AccountSnapshot:
    positions = tuple(
        Position(
            symbol=str(p["symbol"]),
            quantity=Decimal(str(p["quantity"])),
            average_price=money(p.get("average_price")),
            market_value=money(p.get("market_value")),
        )
        for p in facts.get("positions") or ()
    )
    return AccountSnapshot(
        account=str(facts["account"]),
        kind=str(facts.get("kind") or ""),
        currency=str(facts.get("currency") or "USD"),
        buying_power=money(facts.get("buying_power")),
        cash=money(facts.get("cash")),
        equity=money(facts.get("equity")),
        positions=positions,
        note=str(facts.get("note") or ""),
    )
