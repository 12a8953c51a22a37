"""A profile's accounts in people's words: the window's accounts panel and `brokerdeck status` say the same.

Money keeps the broker's precision (no float on the way) and reads with thousands separators; account
numbers come masked from the connector.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from brokers.core.accounts import AccountSnapshot, AccountsReport
from brokers.core.timefmt import local_time
from widgets.view_models import AccountRow, AccountsView, PositionRow


def amount(value: Decimal | None, currency: str = "") -> str:
    """'12,345.60 USD'; '-' when the broker did not say."""
    if value is None:
        return "-"
    text = f"{value:,.2f}" if value == value.quantize(Decimal("0.01")) else f"{value:,f}"
    return f"{text} {currency}".strip()


def quantity(value: Decimal) -> str:
    """Shares as the broker counts them: '10', '0.5', '-3' (no trailing zeros, never exponent notation)."""
    return f"{value.normalize():f}"


def accounts_view(report: AccountsReport, now: datetime | None = None) -> AccountsView:
    read_at = local_time(datetime.fromtimestamp(report.taken_at).astimezone(), now) if report.taken_at else ""
    return AccountsView(
        read_at=read_at,
        problem=report.problem,
        details=tuple(report.details.items()),
        accounts=tuple(_account_row(a) for a in report.accounts),
        positions=tuple(
            PositionRow(
                account=a.account,
                symbol=p.symbol,
                quantity=quantity(p.quantity),
                average_price=amount(p.average_price),
                market_value=amount(p.market_value),
            )
            for a in report.accounts
            for p in a.positions
        ),
    )


def accounts_lines(report: AccountsReport, now: datetime | None = None) -> list[str]:
    """The accounts for `brokerdeck status`: a line per account, its positions indented below it."""
    view = accounts_view(report, now)
    facts = "".join(f"; {what}: {value}" for what, value in view.details)
    if view.problem:
        return [f"accounts: {view.problem}{facts}"]
    lines = [f"accounts (read at {view.read_at or '-'}){facts}"]
    for account, snapshot in zip(view.accounts, report.accounts, strict=True):
        lines.append(
            f"  {account.account} {account.kind}: buying power {account.buying_power}, cash {account.cash}, "
            f"equity {account.equity}"
        )
        lines.extend(
            f"    {p.symbol} {p.quantity}" + (f" @ {p.average_price}" if p.average_price != "-" else "")
            for p in view.positions
            if p.account == snapshot.account
        )
    return lines


def _account_row(account: AccountSnapshot) -> AccountRow:
    return AccountRow(
        account=account.account,
        kind=account.kind,
        buying_power=amount(account.buying_power, account.currency),
        cash=amount(account.cash, account.currency),
        equity=amount(account.equity, account.currency),
        note=account.note,
    )
