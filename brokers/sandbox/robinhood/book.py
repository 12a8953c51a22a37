"""The sandbox trader's Robinhood accounts: what `get_accounts`, `get_portfolio` and `get_equity_positions`
answer, numbers as strings the way Robinhood sends them.

Four accounts as a live `get_accounts` showed them: a default margin account, an IRA, a managed account and
the Agentic cash account, the only one this agent may trade. Tests can make none or two accounts agentic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

AGENTIC_ACCOUNT = "5QR81234"
SECOND_AGENTIC_ACCOUNT = "5QR20077"


@dataclass
class Book:
    """The accounts, their portfolios and positions; `agentic` says which accounts this agent may trade."""

    agentic: tuple[str, ...] = (AGENTIC_ACCOUNT,)
    accounts: tuple[dict[str, Any], ...] = field(default_factory=lambda: _ACCOUNTS)

    def set_agentic_count(self, count: int) -> None:
        """0, 1 or 2 agentic accounts (the usual one first, then the default margin account)."""
        if count not in (0, 1, 2):
            raise ValueError("'agentic' must be 0, 1 or 2")
        self.agentic = (AGENTIC_ACCOUNT, SECOND_AGENTIC_ACCOUNT)[:count]

    def account_list(self) -> list[dict[str, Any]]:
        return [a | {"agentic_allowed": a["account_number"] in self.agentic} for a in self.accounts]

    def known(self, account_number: str) -> bool:
        return any(a["account_number"] == account_number for a in self.accounts)

    def portfolio(self, account_number: str) -> dict[str, Any]:
        return _PORTFOLIOS.get(account_number, _EMPTY_PORTFOLIO)

    def positions(self, account_number: str) -> list[dict[str, Any]]:
        return [_position(*row) for row in _POSITIONS.get(account_number, ())]


def _account(number: str, rhs: str, kind: str, brokerage: str, **extra: Any) -> dict[str, Any]:
    return {
        "account_number": number,
        "rhs_account_number": rhs,
        "type": kind,
        "brokerage_account_type": brokerage,
        "is_default": extra.pop("is_default", False),
        "option_level": extra.pop("option_level", ""),
        "state": "active",
        "deactivated": False,
        "permanently_deactivated": False,
        **extra,
    }


_ACCOUNTS: tuple[dict[str, Any], ...] = (
    _account(SECOND_AGENTIC_ACCOUNT, "410077", "margin", "individual", is_default=True, option_level="option_level_3"),
    _account("7IR55310", "415310", "limited_margin", "ira_roth", nickname="Roth IRA"),
    _account("8MG90412", "410412", "limited_margin", "individual", management_type="managed"),
    _account(AGENTIC_ACCOUNT, "411234", "cash", "individual", nickname="Agentic", unsettled_funds="0.00"),
)


def _portfolio(total: str, equity: str, cash: str, buying_power: str) -> dict[str, Any]:
    return {
        "total_value": total,
        "equity_value": equity,
        "options_value": "0.00",
        "futures_value": "0.00",
        "event_contracts_value": "0.00",
        "crypto_value": "0.00",
        "cash": cash,
        "pending_deposits": "0.00",
        "mutual_funds_value": "0.00",
        "fixed_income_value": "0.00",
        "currency": "USD",
        "buying_power": {
            "buying_power": buying_power,
            "unleveraged_buying_power": buying_power,
            "intraday_buying_power": None,
            "off_intraday_buying_power": None,
            "display_currency": "USD",
        },
    }


_PORTFOLIOS: dict[str, dict[str, Any]] = {
    AGENTIC_ACCOUNT: _portfolio("2841.37", "2541.37", "300.00", "287.50"),
    SECOND_AGENTIC_ACCOUNT: _portfolio("15230.10", "12000.10", "3230.00", "6460.00"),
}
_EMPTY_PORTFOLIO = _portfolio("0.00", "0.00", "0.00", "0.00")

_POSITIONS: dict[str, tuple[tuple[str, str, str], ...]] = {
    AGENTIC_ACCOUNT: (("AAPL", "10.000000", "187.2300"), ("MSFT", "1.250000", "412.1000"), ("F", "25", "11.8600")),
    SECOND_AGENTIC_ACCOUNT: (("SPY", "20", "510.0000"),),
}


def _position(symbol: str, quantity: str, average: str) -> dict[str, Any]:
    return {
        "symbol": symbol,
        "quantity": quantity,
        "intraday_quantity": "0",
        "average_buy_price": average,
        "shares_available_for_sells": quantity,
        "shares_held_for_sells": "0",
        "shares_held_for_stock_grants": "0",
        "shares_held_for_options_events": "0",
        "shares_held_for_asset_transfer": "0",
        "shares_pending_from_options_events": "0",
        "type": "long",
    }
