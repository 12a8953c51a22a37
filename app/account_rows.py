"""A profile's accounts in people's words: the window's accounts panel, its Accounts dock and `brokerdeck status`.

Money keeps the broker's precision (no float on the way) and reads with thousands separators; account
numbers come masked from the connector.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from brokers.core.accounts import SHADOW_ACCOUNT, AccountSnapshot, AccountsReport, Position
from brokers.core.timefmt import local_time
from widgets.account_view_models import (
    TOTAL_KEY,
    AccountBook,
    AccountsDockView,
    BalanceFigure,
    PositionLine,
    tone_of,
)
from widgets.trading_views import SHADOW
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


# ---- the Accounts dock -------------------------------------------------------------------------------------

BALANCE_FIGURES = (
    ("net_liquidation", "Net liquidation"),
    ("cash", "Cash"),
    ("buying_power", "Buying power"),
    ("equity", "Equity"),
    ("day_pnl", "Day P&L"),
    ("unrealized_pnl", "Unrealized"),
    ("realized_pnl", "Realized"),
)
PNL_FIGURES = frozenset({"day_pnl", "unrealized_pnl", "realized_pnl"})
SHADOW_FIGURES = ("unrealized_pnl", "realized_pnl")  # the simulated book has no cash, margin or day's P&L
SHADOW_LABEL = "SHADOW (simulated)"
SHADOW_TIP = "Simulated (SHADOW): what the SHADOW strategy would hold, from its simulated fills; no broker holds it"
NO_ACCOUNT_KEY = "broker"  # the picker's entry for a broker that shows no account (yet): its problem is the news
STALE_TEXT = "These figures are older than the broker's reader promised (it may have stopped); press Refresh."


def age_text(seconds: float) -> str:
    """'12 s', '3 min', '2 h': how old a figure is, as a trader glances at it."""
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.0f} h"


def dock_view(
    profiles: Sequence[tuple[str, str]],
    profile: str,
    report: AccountsReport | None,
    shadow: AccountsReport | None,
    now: float,
) -> AccountsDockView:
    """`profile`'s broker accounts (when its connector shows them) and then its SHADOW book, as the dock shows them."""
    books = broker_books(report, now) if report is not None else ()
    return AccountsDockView(tuple(profiles), profile, books + (shadow_books(shadow) if shadow is not None else ()))


def broker_books(report: AccountsReport, now: float) -> tuple[AccountBook, ...]:
    """One book per account; one empty book carrying the problem when the broker showed none."""
    fresh = report.fresh(now)
    facts = "; ".join(f"{what}: {value}" for what, value in report.details.items())
    if not report.accounts:
        read = f"read {age_text(now - report.taken_at)} ago" if report.taken_at is not None else "not read yet"
        problem = report.problem or ("No account to show." if report.taken_at is not None else "")
        return (AccountBook(NO_ACCOUNT_KEY, "Broker account", False, age_text=read, fresh=fresh, problem=problem),)
    books = []
    for account in report.accounts:
        read_at = [t for t in (account.balances_at, account.positions_at, account.pnl_at) if t is not None]
        oldest = min(read_at, default=report.taken_at)
        read = f"read {age_text(now - oldest)} ago" if oldest is not None else "not read yet"
        books.append(
            AccountBook(
                key=account.account,
                label=f"{account.account} {account.kind}".strip(),
                simulated=False,
                balances=_balances(account),
                positions=tuple(_line(account, p) for p in account.positions),
                total=_total(account),
                age_text=read,
                fresh=fresh,
                problem=report.problem or ("" if fresh else STALE_TEXT),
                note="; ".join(text for text in (account.note, facts) if text),
            )
        )
    return tuple(books)


def shadow_books(report: AccountsReport) -> tuple[AccountBook, ...]:
    """The SHADOW book: its own picker entry, only P&L among its figures (it has no cash), never a broker's."""
    account = next((a for a in report.accounts if a.simulated), None)
    if account is None:
        return (AccountBook(SHADOW_ACCOUNT, SHADOW_LABEL, True, age_text="simulated", problem=report.problem),)
    last = account.positions_at
    when = f"last simulated fill {age_text((report.taken_at or 0) - last)} ago" if last else "no simulated fills yet"
    return (
        AccountBook(
            key=SHADOW_ACCOUNT,
            label=SHADOW_LABEL,
            simulated=True,
            balances=tuple(f for f in _balances(account) if f.key in SHADOW_FIGURES),
            positions=tuple(_line(account, p) for p in account.positions),
            total=_total(account),
            age_text=f"simulated · {when}",
            problem=report.problem,
            note="Priced at the market viewer's quotes, or the broker's own price, where either shows one.",
        ),
    )


def _balances(account: AccountSnapshot) -> tuple[BalanceFigure, ...]:
    figures = []
    for key, title in BALANCE_FIGURES:
        value: Decimal | None = getattr(account, key)
        tone = tone_of(value) if key in PNL_FIGURES else ""
        figures.append(BalanceFigure(key, title, amount(value), tone))
    return (*figures, BalanceFigure("currency", "Currency", account.currency or "-"))


def _line(account: AccountSnapshot, position: Position) -> PositionLine:
    book = SHADOW if account.simulated else account.account
    return PositionLine(
        key=position.instrument_id or position.symbol,
        book=book,
        symbol=position.symbol,
        quantity=quantity(position.quantity),
        average_price=amount(position.average_price),
        market_price=amount(position.market_price),
        market_value=amount(position.market_value, _foreign(account, position)),
        unrealized_pnl=amount(position.unrealized_pnl),
        realized_pnl=amount(position.realized_pnl),
        unrealized_tone=tone_of(position.unrealized_pnl),
        realized_tone=tone_of(position.realized_pnl),
        instrument_id=position.instrument_id,
        simulated=account.simulated,
        tip=SHADOW_TIP if account.simulated else f"Held at the broker in account {account.account}",
        quantity_value=position.quantity,
        average_value=position.average_price,
        price_value=position.market_price,
        value_value=position.market_value,
        unrealized_value=position.unrealized_pnl,
        realized_value=position.realized_pnl,
    )


def _foreign(account: AccountSnapshot, position: Position) -> str:
    """The position's currency when it is not the account's (its figures then stay out of the totals)."""
    return position.currency if position.currency and position.currency != account.currency else ""


def _total(account: AccountSnapshot) -> PositionLine | None:
    """The book's totals in its own currency; positions in another currency are named, not added."""
    if not account.positions:
        return None
    summed = [p for p in account.positions if not _foreign(account, p)]
    left_out = len(account.positions) - len(summed)

    def total(name: str) -> Decimal | None:
        values = [getattr(p, name) for p in summed if getattr(p, name) is not None]
        return sum(values, Decimal(0)) if values else None

    value, unrealized, realized = total("market_value"), total("unrealized_pnl"), total("realized_pnl")
    return PositionLine(
        key=TOTAL_KEY,
        book=SHADOW if account.simulated else "",
        symbol="Total" + (f" ({left_out} in other currencies not added)" if left_out else ""),
        quantity="",
        average_price="",
        market_price="",
        market_value=amount(value, account.currency),
        unrealized_pnl=amount(unrealized),
        realized_pnl=amount(realized),
        unrealized_tone=tone_of(unrealized),
        realized_tone=tone_of(realized),
        simulated=account.simulated,
        is_total=True,
        tip=SHADOW_TIP if account.simulated else "",
    )
