"""What a connected profile can show of its brokerage accounts: a read-only snapshot, one model for every broker.

Connectors fill it from their own API (IBKR's portfolio endpoints, Robinhood's MCP tools, Schwab's accounts
endpoints); the SHADOW position book fills it from simulated fills, marked `simulated`. The Accounts dock,
the status detail view and `brokerdeck account` render it. Money stays `Decimal` (brokers send strings or
JSON numbers; neither may pass through a float), an account number is only ever shown masked, and every
figure carries when it was read, so a view can say how old it is and whether it is still fresh.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

MASK = "••••"
SHADOW_ACCOUNT = "SHADOW"  # the account name of the simulated position book, never a broker's number
# A report older than this many refresh periods is stale: its reader stopped or the broker stopped answering.
STALE_AFTER_PERIODS = 3


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
    average_price: Decimal | None = None  # per share (per unit of the instrument), not per contract
    market_value: Decimal | None = None
    market_price: Decimal | None = None
    unrealized_pnl: Decimal | None = None
    realized_pnl: Decimal | None = None  # what closing trades made today, as the broker counts it
    instrument_id: str = ""  # the broker's contract id (an IBKR conid), to open the instrument in the viewer
    currency: str = ""  # when it differs from the account's
    asset_class: str = ""  # the broker's word: "STK", "OPT", "equity"


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
    net_liquidation: Decimal | None = None
    day_pnl: Decimal | None = None
    unrealized_pnl: Decimal | None = None
    realized_pnl: Decimal | None = None
    simulated: bool = False  # the SHADOW position book: what the SHADOW strategy would hold, no broker's
    balances_at: float | None = None  # epoch seconds each part was read; None: when the report was taken
    positions_at: float | None = None
    pnl_at: float | None = None


@dataclass(frozen=True)
class AccountsReport:
    """The accounts a session can show, when it read them, or why it shows none (with what to do).

    `refresh_s` is how often its reader reads again (0: only when asked); with it a view can tell fresh
    figures from ones a stopped reader left behind.
    """

    accounts: tuple[AccountSnapshot, ...] = ()
    taken_at: float | None = None  # epoch seconds
    problem: str = ""
    details: Mapping[str, str] = field(default_factory=dict)  # extra facts for people ("agentic account": "••••1234")
    refresh_s: float = 0.0

    def fresh(self, now: float) -> bool:
        """Read recently enough to trade on: within a few of its reader's periods (a one-off read never is
        stale by age alone, as nothing promised to read it again)."""
        if self.taken_at is None:
            return False
        return self.refresh_s <= 0 or now - self.taken_at <= STALE_AFTER_PERIODS * self.refresh_s

    def to_json(self) -> dict[str, Any]:
        return {
            "taken_at": self.taken_at,
            "problem": self.problem,
            "details": dict(self.details),
            "refresh_s": self.refresh_s,
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
                refresh_s=float(facts.get("refresh_s") or 0.0),
            )
        except (TypeError, ValueError, KeyError, AttributeError, InvalidOperation):
            return None


_POSITION_MONEY = ("average_price", "market_value", "market_price", "unrealized_pnl", "realized_pnl")
_POSITION_TEXT = ("instrument_id", "currency", "asset_class")
_ACCOUNT_MONEY = ("buying_power", "cash", "equity", "net_liquidation", "day_pnl", "unrealized_pnl", "realized_pnl")
_ACCOUNT_TIMES = ("balances_at", "positions_at", "pnl_at")


def _text(number: Decimal | None) -> str | None:
    return None if number is None else str(number)


def _position_json(position: Position) -> dict[str, Any]:
    facts: dict[str, Any] = {"symbol": position.symbol, "quantity": str(position.quantity)}
    facts |= {name: _text(getattr(position, name)) for name in _POSITION_MONEY}
    return facts | {name: getattr(position, name) for name in _POSITION_TEXT}


def _account_json(account: AccountSnapshot) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "account": account.account,
        "kind": account.kind,
        "currency": account.currency,
        "note": account.note,
        "simulated": account.simulated,
    }
    facts |= {name: _text(getattr(account, name)) for name in _ACCOUNT_MONEY}
    facts |= {name: getattr(account, name) for name in _ACCOUNT_TIMES}
    return facts | {"positions": [_position_json(p) for p in account.positions]}


def _time(value: object) -> float | None:
    return None if value is None else float(str(value))


def _position_of(facts: Mapping[str, Any]) -> Position:
    return Position(
        symbol=str(facts["symbol"]),
        quantity=Decimal(str(facts["quantity"])),
        average_price=money(facts.get("average_price")),
        market_value=money(facts.get("market_value")),
        market_price=money(facts.get("market_price")),
        unrealized_pnl=money(facts.get("unrealized_pnl")),
        realized_pnl=money(facts.get("realized_pnl")),
        instrument_id=str(facts.get("instrument_id") or ""),
        currency=str(facts.get("currency") or ""),
        asset_class=str(facts.get("asset_class") or ""),
    )


def _account_of(facts: Mapping[str, Any]) -> AccountSnapshot:
    return AccountSnapshot(
        account=str(facts["account"]),
        kind=str(facts.get("kind") or ""),
        currency=str(facts.get("currency") or "USD"),
        positions=tuple(_position_of(p) for p in facts.get("positions") or ()),
        note=str(facts.get("note") or ""),
        simulated=facts.get("simulated") is True,
        buying_power=money(facts.get("buying_power")),
        cash=money(facts.get("cash")),
        equity=money(facts.get("equity")),
        net_liquidation=money(facts.get("net_liquidation")),
        day_pnl=money(facts.get("day_pnl")),
        unrealized_pnl=money(facts.get("unrealized_pnl")),
        realized_pnl=money(facts.get("realized_pnl")),
        balances_at=_time(facts.get("balances_at")),
        positions_at=_time(facts.get("positions_at")),
        pnl_at=_time(facts.get("pnl_at")),
    )
