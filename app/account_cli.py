"""`brokerdeck account PROFILE [--json]`: a profile's balances, positions and P&L, and its SHADOW book beside them.

A running window already reads the accounts on its schedule and publishes them: when its report is fresh
the command shows it, so a terminal never opens a second broker session next to the window's (IBKR allows
one per user). Otherwise the command connects the profile itself, as `orders place` does, waits for the
first read, and prints it. The SHADOW book is always shown apart, marked SHADOW, and priced with the
broker's own market prices where the real account holds the same instrument. Exit codes: 0 shown,
1 the accounts could not be read, 2 no such profile or the profile's kind shows no accounts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from app.account_rows import amount, quantity
from brokers.core.accounts import AccountSnapshot, AccountsReport, Position
from brokers.core.timefmt import local_time

if TYPE_CHECKING:
    from app.context import AppContext
    from app.headless import HeadlessConnection
    from app.trading_cli import Found

DONE, FAILED, WRONG = 0, 1, 2
_COLUMNS = ("SYMBOL", "QTY", "AVG PRICE", "MKT PRICE", "MKT VALUE", "UNREALIZED", "REALIZED")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("profile", metavar="PROFILE", help="the profile whose accounts to show")
    parser.add_argument("--json", action="store_true", help="machine-readable output for scripts")


def run(context: AppContext, args: argparse.Namespace) -> int:
    from app.trading_cli import find_profile
    from brokers.core.published import published_file, read_published_accounts

    found = find_profile(context, args.profile)
    if found is None:
        return WRONG
    published = read_published_accounts(published_file(context.paths.data_dir, found.profile.name))
    if published is not None and published.fresh(time.time()):
        report, source = published, "read by the running Brokerdeck window"
    else:
        read = asyncio.run(_read(context, found))
        if read is None:
            print(f"brokerdeck: {found.profile.name} (kind {found.profile.kind}) shows no accounts.")
            return WRONG
        report, source = read, "read now"
    shadow = _shadow(context, found.profile.name, report)
    if args.json:
        facts = {"profile": found.profile.name, "source": source, "accounts": report.to_json()}
        print(json.dumps(facts | {"shadow": shadow.to_json()}, indent=2))
    else:
        print("\n".join(report_lines(found.profile.name, report, source, shadow)))
    return FAILED if report.problem or not report.accounts else DONE


async def _read(context: AppContext, found: Found) -> AccountsReport | None:
    """Connect the profile until its session has read the accounts (or gave up); None for a kind without accounts."""
    from app.headless import connected

    def read(connection: HeadlessConnection) -> bool:
        report = connection.session.accounts() if connection.session is not None else None
        return report is None or report.taken_at is not None

    vault = context.vault()
    async with connected(found.connector, found.profile, vault, found.sandbox, stream=False, ready=read) as link:
        report = link.session.accounts() if link.session is not None else None
        if report is None:
            return None
        if report.taken_at is None:
            health = link.health()
            why = health.reason if health is not None else "the session did not start"
            hint = f" {health.hint}" if health is not None and health.hint else ""
            return AccountsReport(problem=f"The accounts were not read: {why}.{hint}")
        return report


def _shadow(context: AppContext, profile: str, report: AccountsReport) -> AccountsReport:
    from brokers.trading.shadow_positions import shadow_accounts

    return shadow_accounts(context.paths.data_dir, profile, broker_mark(report), time.time())


def broker_mark(report: AccountsReport) -> Callable[[Position], Decimal | None]:
    """The broker's market price of an instrument the real account holds (by contract id, else by symbol)."""
    prices: dict[str, Decimal] = {}
    for account in report.accounts:
        for position in account.positions:
            if position.market_price is not None:
                prices.setdefault(f"id:{position.instrument_id}", position.market_price)
                prices.setdefault(f"symbol:{position.symbol.upper()}", position.market_price)

    def mark(position: Position) -> Decimal | None:
        by_id = prices.get(f"id:{position.instrument_id}") if position.instrument_id else None
        return by_id if by_id is not None else prices.get(f"symbol:{position.symbol.upper()}")

    return mark


def report_lines(
    profile: str, report: AccountsReport, source: str, shadow: AccountsReport, now: datetime | None = None
) -> list[str]:
    """The accounts as a terminal shows them: balances, then a positions table with a totals row, per account."""
    now = now or datetime.now().astimezone()
    if report.problem:
        lines = [f"{profile}: {report.problem}"]
    else:
        lines = [f"{profile}: {len(report.accounts)} account(s), {source}, {_age(report, now)}"]
        lines += [f"  {what}: {value}" for what, value in report.details.items()]
        for account in report.accounts:
            lines += ["", *_account_lines(account)]
    for account in shadow.accounts:
        lines += ["", *_account_lines(account)]
    if shadow.problem:
        lines += ["", f"SHADOW book: {shadow.problem}"]
    return lines


def _age(report: AccountsReport, now: datetime) -> str:
    if report.taken_at is None:
        return "never read"
    read = local_time(datetime.fromtimestamp(report.taken_at).astimezone(), now)
    return f"read at {read}" + ("" if report.fresh(now.timestamp()) else " (STALE: no newer read arrived)")


def _account_lines(account: AccountSnapshot) -> list[str]:
    money = account.currency
    title = "SHADOW (simulated, no broker holds it)" if account.simulated else f"{account.account} {account.kind}"
    balances = [
        ("net liquidation", account.net_liquidation),
        ("equity", account.equity),
        ("cash", account.cash),
        ("buying power", account.buying_power),
        ("day P&L", account.day_pnl),
        ("unrealized P&L", account.unrealized_pnl),
        ("realized P&L", account.realized_pnl),
    ]
    lines = [
        title.strip(),
        "  " + ", ".join(f"{what} {amount(value, money)}" for what, value in balances if value is not None),
    ]
    if account.note:
        lines.append(f"  ({account.note})")
    if not account.positions:
        return [*lines, "  no positions"]
    rows = [_COLUMNS, *(_position_row(p) for p in account.positions), _totals_row(account.positions)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    for row in rows:
        cells = [row[0].ljust(widths[0]), *(cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True))]
        lines.append("  " + "  ".join(cells))
    return lines


def _position_row(position: Position) -> tuple[str, ...]:
    return (
        position.symbol,
        quantity(position.quantity),
        amount(position.average_price),
        amount(position.market_price),
        amount(position.market_value),
        amount(position.unrealized_pnl),
        amount(position.realized_pnl),
    )


def _totals_row(positions: tuple[Position, ...]) -> tuple[str, ...]:
    def total(values: list[Decimal | None]) -> str:
        return (
            amount(sum((v for v in values if v is not None), Decimal(0))) if any(v is not None for v in values) else "-"
        )

    return (
        "TOTAL",
        "",
        "",
        "",
        total([p.market_value for p in positions]),
        total([p.unrealized_pnl for p in positions]),
        total([p.realized_pnl for p in positions]),
    )
