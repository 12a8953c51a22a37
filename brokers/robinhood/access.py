"""What the MCP server says about this sign-in and the trader's accounts: granted or not, the one account
this agent may trade, and a read-only snapshot of it.

Robinhood's `get_accounts` lists every brokerage account with `agentic_allowed`; exactly one is this agent's.
None or several is a state of its own with its fix, never a guess. Buying power comes from `get_portfolio`
(`get_accounts` says its own is unreliable); numbers arrive as strings and stay Decimal.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from brokers.core.accounts import AccountSnapshot, AccountsReport, Position, mask_account, money
from brokers.core.errors import BrokerError
from brokers.oauth2.errors import LoginRequired
from brokers.oauth2.session import OAuthSession
from brokers.robinhood.connection import McpConnection
from brokers.robinhood.errors import McpUnavailable, SignInRevoked, Waitlisted

MAX_POSITION_PAGES = 20
QUOTES_PER_CALL = 20  # Robinhood keeps the previous close in its answer up to about this many symbols
NO_AGENTIC_ACCOUNT = (
    "no Robinhood account is enabled for agentic trading: open the Agentic account in Robinhood on a desktop "
    "browser (approve it in the Robinhood app)"
)
SEVERAL_AGENTIC_ACCOUNTS = (
    "Robinhood lists {count} accounts this agent may trade ({accounts}); Brokerdeck uses only one and does not "
    "guess which: in Robinhood, leave agentic trading on for one account only"
)


@dataclass(frozen=True)
class AccessFacts:
    """The last check at the MCP server, without secrets: each field empty when it does not apply."""

    granted_at: float | None = None  # an authenticated initialize + tools/list succeeded then
    agentic_account: str = ""  # masked: ••••1234
    agentic_problem: str = ""  # none or several agentic accounts
    waitlisted: str = ""  # 403: signed in, but Robinhood has not opened agentic trading to this user
    refused: str = ""  # 401 even after a renewal: access revoked
    error: str = ""  # the check could not be made (network, 5xx, 429, a tool refused)
    account_number: str = ""  # the agentic account in full: orders go to it; kept in this process, never published

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if k != "account_number"}

    @classmethod
    def from_json(cls, facts: object) -> AccessFacts:
        if not isinstance(facts, Mapping):
            return cls()
        try:
            return cls(**{k: v for k, v in facts.items() if k in cls.__dataclass_fields__})
        except TypeError:
            return cls()


async def check_access(
    url: str, tokens: OAuthSession, clock: Callable[[], float] = time.time
) -> tuple[AccessFacts, AccountsReport | None]:
    """Prove the sign-in at the MCP server and read the agentic account; the facts and the snapshot."""
    granted: float | None = None
    try:
        async with McpConnection(url, tokens) as mcp:
            granted = clock()
            accounts = await list_accounts(mcp)
            number, _ = agentic_account(accounts)
            report = await read_accounts(mcp, clock(), accounts)
    except LoginRequired:
        return AccessFacts(), None  # the engine recorded it: the sign-in health says "sign in again"
    except SignInRevoked as exc:
        return AccessFacts(refused=str(exc)), None
    except Waitlisted as exc:
        return AccessFacts(waitlisted=str(exc)), None
    except BrokerError as exc:
        return AccessFacts(granted_at=granted, error=str(exc)), None
    masked = report.details.get("agentic account", "")
    facts = AccessFacts(
        granted_at=granted, agentic_account=masked, agentic_problem=report.problem, account_number=number
    )
    return facts, report


async def sign_in_accepted(url: str, tokens: OAuthSession) -> str:
    """The MCP server's word on a sign-in (a re-registration's proof): "" when it grants access (a waitlisted
    user is signed in too), else why not."""
    access, _ = await check_access(url, tokens)
    if access.granted_at is not None or access.waitlisted:
        return ""
    return access.refused or access.error or tokens.facts.login_required or "Robinhood did not accept the sign-in"


async def list_accounts(mcp: McpConnection) -> list[dict[str, Any]]:
    """`get_accounts`: every brokerage account of the trader, agentic or not."""
    return [a for a in _list(envelope(await mcp.read("get_accounts")), "accounts") if isinstance(a, dict)]


def agentic_account(accounts: list[dict[str, Any]]) -> tuple[str, str]:
    """The number of the one account this agent may trade, or "" and why there is none to use."""
    agentic = [a for a in accounts if a.get("agentic_allowed") is True]
    if not agentic:
        return "", NO_AGENTIC_ACCOUNT
    if len(agentic) > 1:
        masked = ", ".join(mask_account(str(a.get("account_number", ""))) for a in agentic)
        return "", SEVERAL_AGENTIC_ACCOUNTS.format(count=len(agentic), accounts=masked)
    return str(agentic[0].get("account_number", "")), ""


async def read_accounts(mcp: McpConnection, now: float, accounts: list[dict[str, Any]]) -> AccountsReport:
    """The snapshot of the agentic account among `accounts` (or why there is none)."""
    others = f"{len(accounts) - 1} not tradable by this agent" if accounts else "none"
    number, problem = agentic_account(accounts)
    if problem:
        return AccountsReport(taken_at=now, problem=problem, details={"accounts": str(len(accounts))})
    account = next(a for a in accounts if a.get("account_number") == number)
    portfolio = envelope(await mcp.read("get_portfolio", {"account_number": number}))
    positions, priced = await _priced(mcp, await _positions(mcp, number))
    power = portfolio.get("buying_power")
    unrealized = [p.unrealized_pnl for p in positions]
    snapshot = AccountSnapshot(
        account=mask_account(number),
        kind=str(account.get("type", "")),
        currency=str(portfolio.get("currency") or "USD"),
        buying_power=money(power.get("buying_power")) if isinstance(power, dict) else None,
        cash=money(portfolio.get("cash")),
        equity=money(portfolio.get("total_value")),
        net_liquidation=money(portfolio.get("total_value")),
        unrealized_pnl=sum((u for u in unrealized if u is not None), Decimal(0)) if None not in unrealized else None,
        positions=positions,
        note="buying power from get_portfolio" + ("" if priced else "; no prices: get_equity_quotes failed"),
    )
    details = {"agentic account": snapshot.account, "other accounts": others}
    return AccountsReport(accounts=(snapshot,), taken_at=now, details=details)


def envelope(result: Any) -> dict[str, Any]:
    """The `data` of Robinhood's `{data, guide}` result."""
    data = result.get("data") if isinstance(result, dict) else None
    if not isinstance(data, dict):
        raise McpUnavailable("Robinhood answered without the usual {data, guide} envelope; the server may have changed")
    return data


async def _positions(mcp: McpConnection, number: str) -> tuple[Position, ...]:
    rows: list[Position] = []
    cursor = ""
    for _ in range(MAX_POSITION_PAGES):
        arguments = {"account_number": number} | ({"cursor": cursor} if cursor else {})
        data = envelope(await mcp.read("get_equity_positions", arguments))
        rows.extend(p for p in (_position(row) for row in _list(data, "positions")) if p is not None)
        cursor = str(data.get("next") or "")
        if not cursor:
            break
    return tuple(rows)


async def _priced(mcp: McpConnection, positions: tuple[Position, ...]) -> tuple[tuple[Position, ...], bool]:
    """Positions with the last trade price from `get_equity_quotes` (positions carry none); unpriced, and False,
    when the quotes cannot be read: the holdings still show."""
    symbols = sorted({p.symbol for p in positions})
    prices: dict[str, Decimal] = {}
    try:
        for start in range(0, len(symbols), QUOTES_PER_CALL):
            data = envelope(await mcp.read("get_equity_quotes", {"symbols": symbols[start : start + QUOTES_PER_CALL]}))
            for result in _list(data, "results"):
                quote = result.get("quote") if isinstance(result, dict) else None
                if not isinstance(quote, dict):
                    continue
                price = money(quote.get("last_trade_price"))
                if price is not None:
                    prices[str(quote.get("symbol", "")).upper()] = price
    except BrokerError:
        return positions, False
    return tuple(_at_price(p, prices.get(p.symbol.upper())) for p in positions), True


def _at_price(position: Position, price: Decimal | None) -> Position:
    if price is None:
        return position
    average = position.average_price
    return dataclasses.replace(
        position,
        market_price=price,
        market_value=position.quantity * price,
        unrealized_pnl=position.quantity * (price - average) if average is not None else None,
    )


def _position(row: Any) -> Position | None:
    if not isinstance(row, dict):
        return None
    quantity = money(row.get("quantity"))
    if quantity is None or quantity == Decimal(0):
        return None
    return Position(
        symbol=str(row.get("symbol", "")),
        quantity=quantity,
        average_price=money(row.get("average_buy_price")),
        asset_class="equity",
    )


def _list(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    return value if isinstance(value, list) else []
