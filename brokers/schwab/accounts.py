"""Schwab's accounts as the read-only snapshot every broker fills: masked numbers, balances, positions.

Schwab sends money as JSON numbers, so bodies are parsed with Decimal for every fraction and no float is
ever made. The account hashes `accountNumbers` hands out are what Schwab's account paths take; they stay
with the session (`AccountHashes`) and are never shown or published.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import httpx

from brokers.core.accounts import AccountSnapshot, AccountsReport, Position, mask_account, money
from brokers.oauth2.errors import OAuthError
from brokers.oauth2.session import OAuthSession
from brokers.schwab.engine import ACCOUNT_NUMBERS_PATH, ACCOUNTS_PATH

#: plain account number -> Schwab's hash for it
type AccountHashes = dict[str, str]


def _json(response: httpx.Response) -> Any:
    return json.loads(response.content, parse_float=Decimal)


def _problem(response: httpx.Response, what: str) -> str:
    try:
        body = _json(response)
        message = body.get("message", "") if isinstance(body, dict) else ""
    except ValueError:
        message = ""
    said = f": {message}" if message else ""
    return f"Schwab refused to list the {what} (HTTP {response.status_code}{said})"


def _first(balances: Mapping[str, Any], *names: str) -> Decimal | None:
    for name in names:
        value = money(balances.get(name))
        if value is not None:
            return value
    return None


def _position(entry: Mapping[str, Any]) -> Position:
    """Schwab states the open P&L per side (`longOpenProfitLoss`, `shortOpenProfitLoss`) and the day's P&L
    per position; the market price is the market value over the quantity (Schwab sends no price here)."""
    instrument = entry.get("instrument") or {}
    long_qty = money(entry.get("longQuantity")) or Decimal(0)
    short_qty = money(entry.get("shortQuantity")) or Decimal(0)
    quantity = long_qty - short_qty
    value = money(entry.get("marketValue"))
    open_pnl = _first(entry, "longOpenProfitLoss") if quantity >= 0 else _first(entry, "shortOpenProfitLoss")
    return Position(
        symbol=str(instrument.get("symbol") or instrument.get("cusip") or "?"),
        quantity=quantity,
        average_price=money(entry.get("averagePrice")),
        market_value=value,
        market_price=(value / quantity).quantize(Decimal("0.0001")) if value is not None and quantity else None,
        unrealized_pnl=open_pnl,
        asset_class=str(instrument.get("assetType") or ""),
    )


def _day_pnl(positions: list[Mapping[str, Any]]) -> Decimal | None:
    days = [money(p.get("currentDayProfitLoss")) for p in positions]
    return sum((d for d in days if d is not None), Decimal(0)) if days and None not in days else None


def _total(values: list[Decimal | None]) -> Decimal | None:
    return sum((v for v in values if v is not None), Decimal(0)) if values and None not in values else None


def account_snapshot(entry: Mapping[str, Any]) -> AccountSnapshot:
    """One element of `GET /trader/v1/accounts?fields=positions`; CASH accounts name their balances differently."""
    account = entry.get("securitiesAccount") or {}
    current = account.get("currentBalances") or {}
    aggregated = entry.get("aggregatedBalance") or {}
    listed = list(account.get("positions") or ())
    positions = tuple(_position(p) for p in listed)
    return AccountSnapshot(
        account=mask_account(str(account.get("accountNumber") or "")),
        kind=str(account.get("type") or ""),
        buying_power=_first(current, "buyingPower", "cashAvailableForTrading"),
        cash=_first(current, "cashBalance", "totalCash"),
        equity=_first(current, "liquidationValue", "equity") or _first(aggregated, "liquidationValue"),
        net_liquidation=_first(current, "liquidationValue") or _first(aggregated, "liquidationValue"),
        day_pnl=_day_pnl(listed),
        unrealized_pnl=_total([p.unrealized_pnl for p in positions]),
        positions=positions,
    )


async def read_accounts(session: OAuthSession, api: str) -> tuple[AccountsReport, AccountHashes]:
    """The accounts now, through the session (which renews the token when it must); a problem instead when
    Schwab or the network refuses."""
    try:
        numbers = await session.request("GET", api + ACCOUNT_NUMBERS_PATH)
        if numbers.status_code != 200:
            return AccountsReport(problem=_problem(numbers, "account numbers"), taken_at=time.time()), {}
        listed = await session.request("GET", api + ACCOUNTS_PATH, params={"fields": "positions"})
        if listed.status_code != 200:
            return AccountsReport(problem=_problem(listed, "accounts"), taken_at=time.time()), {}
        hashes = {str(p["accountNumber"]): str(p["hashValue"]) for p in _json(numbers)}
        accounts = tuple(account_snapshot(entry) for entry in _json(listed))
    except OAuthError as exc:
        return AccountsReport(problem=f"The accounts could not be read: {exc}", taken_at=time.time()), {}
    except (ValueError, KeyError, TypeError, AttributeError):
        return AccountsReport(
            problem="Schwab answered the accounts request with an unreadable body", taken_at=time.time()
        ), {}
    return AccountsReport(accounts=accounts, taken_at=time.time()), hashes
