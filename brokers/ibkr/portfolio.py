"""IBKR's portfolio endpoints read into the broker-independent account model, quirks handled.

`/portfolio/accounts` comes first in every session (without it the other portfolio endpoints answer
empty or stale, with no error) and is paced at 1 per 5 s, so it is listed once per session and never
sooner than 5 s after the last listing. Positions come from the uncached `/portfolio2` where IBKR serves
it, else from the paged endpoint, invalidated first after the profile's own fills (its prices and rows are
frozen until then). Closed positions linger at quantity 0 for the rest of a session and are not holdings.
The paged `avgCost` is per contract: the price per unit is `avgPrice` (or `avgCost` over the multiplier).
`/iserver/account/pnl/partitioned` answers `{"upnl":{}}` at first and is paced at 1 per 5 s: the empty
answer is asked again once the interval has passed. Money goes through `money()`, never a float.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from brokers.core.accounts import AccountSnapshot, AccountsReport, Position, mask_account, money
from brokers.ibkr.errors import IbkrError
from brokers.ibkr.session import IbkrSession

ACCOUNTS_INTERVAL_S = 5.0  # IBKR: /portfolio/accounts 1 per 5 s
PNL_INTERVAL_S = 5.0  # IBKR: /iserver/account/pnl/partitioned 1 per 5 s
MAX_PAGES = 50
_NOT_SERVED = (404, 501)  # where IBKR does not serve /portfolio2


@dataclass(frozen=True)
class PnlRow:
    """One `{acct}.Core` row of `pnl/partitioned` or `spl`; `excess_liquidity` from `el` (REST) or `uel` (WS)."""

    day_pnl: Decimal | None
    net_liquidation: Decimal | None
    unrealized_pnl: Decimal | None
    excess_liquidity: Decimal | None
    market_value: Decimal | None


def pnl_rows(upnl: object) -> dict[str, PnlRow]:
    """The rows of a `upnl` object (or an `spl` frame's args) by account id."""
    rows: dict[str, PnlRow] = {}
    if not isinstance(upnl, Mapping):
        return rows
    for key, row in upnl.items():
        if not isinstance(row, Mapping) or not str(key).endswith(".Core"):
            continue
        excess = row.get("uel") if row.get("uel") is not None else row.get("el")
        rows[str(key).removesuffix(".Core")] = PnlRow(
            money(row.get("dpl")), money(row.get("nl")), money(row.get("upl")), money(excess), money(row.get("mv"))
        )
    return rows


def _amount(summary: Mapping[str, Any], key: str) -> Decimal | None:
    entry = summary.get(key)
    if not isinstance(entry, Mapping) or entry.get("isNull") is True:
        return None
    return money(entry.get("amount"))


def _summary_time(summary: Mapping[str, Any]) -> float | None:
    stamps = [e.get("timestamp") for e in summary.values() if isinstance(e, Mapping)]
    millis = [s for s in stamps if isinstance(s, int | float) and not isinstance(s, bool) and s > 0]
    return max(millis) / 1000.0 if millis else None


def position_of(row: Mapping[str, Any]) -> Position | None:
    """A paged or `portfolio2` row as a Position; None for a closed one (quantity 0) or an unreadable one."""
    quantity = money(row.get("position"))
    conid = row.get("conid")
    if quantity is None or quantity == 0 or conid is None:
        return None
    average = money(row.get("avgPrice"))
    if average is None and (cost := money(row.get("avgCost"))) is not None:
        multiplier = money(row.get("multiplier")) or Decimal(1)  # equities report 0
        average = cost / multiplier
    symbol = row.get("ticker") or row.get("contractDesc") or row.get("description") or str(conid)
    price = row.get("marketPrice") if row.get("marketPrice") is not None else row.get("mktPrice")
    value = row.get("marketValue") if row.get("marketValue") is not None else row.get("mktValue")
    return Position(
        symbol=str(symbol),
        quantity=quantity,
        average_price=average,
        market_value=money(value),
        market_price=money(price),
        unrealized_pnl=money(row.get("unrealizedPnl")),
        realized_pnl=money(row.get("realizedPnl")),
        instrument_id=str(conid),
        currency=str(row.get("currency") or ""),
        asset_class=str(row.get("assetClass") or row.get("secType") or ""),
    )


class IbkrPortfolio:
    """One login's portfolio reads over its `IbkrSession`; one reader at a time (the accounts reader)."""

    def __init__(
        self,
        session: IbkrSession,
        account: str = "",
        *,
        accounts_interval_s: float = ACCOUNTS_INTERVAL_S,
        pnl_interval_s: float = PNL_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.session, self._account = session, account
        self._accounts_interval_s, self._pnl_interval_s = accounts_interval_s, pnl_interval_s
        self._clock, self._wall = clock, wall
        self._listed: tuple[str, tuple[Mapping[str, Any], ...]] | None = None  # the session listed in, its rows
        self._listed_at: float | None = None
        self._portfolio2 = True  # until IBKR says it does not serve it
        self._invalidate_due = False
        self._pnl_at: float | None = None
        self._pnl_session: str | None = None  # the session whose first (empty) P&L answer we had

    def positions_changed(self) -> None:
        """The profile's orders filled: the paged positions are invalidated before they are read next."""
        self._invalidate_due = True

    async def read(self) -> AccountsReport:
        """Every account the profile reads: balances, positions and today's P&L, each with when it was read."""
        rows = await self._accounts()
        wanted = [r for r in rows if not self._account or r.get("accountId") == self._account]
        if not wanted:
            listed = ", ".join(mask_account(str(r.get("accountId"))) for r in rows) or "none"
            return AccountsReport(
                taken_at=self._wall(),
                problem=f"IBKR does not list account {mask_account(self._account)} for this login ({listed}).",
            )
        snapshots = [await self._snapshot(row) for row in wanted]
        pnl, pnl_at = await self._pnl()
        details: dict[str, str] = {}
        for index, snapshot in enumerate(snapshots):
            figures = pnl.get(str(wanted[index].get("accountId")))
            if figures is None:
                continue
            unrealized = figures.unrealized_pnl if snapshot.unrealized_pnl is None else snapshot.unrealized_pnl
            snapshots[index] = replace(snapshot, day_pnl=figures.day_pnl, unrealized_pnl=unrealized, pnl_at=pnl_at)
            if figures.excess_liquidity is not None:
                details[f"excess liquidity {snapshot.account}"] = f"{figures.excess_liquidity:,.2f}"
        return AccountsReport(accounts=tuple(snapshots), taken_at=self._wall(), details=details)

    # ---- accounts --------------------------------------------------------------------------------

    async def _accounts(self, *, again: bool = False) -> tuple[Mapping[str, Any], ...]:
        """`/portfolio/accounts`, once per session (or `again`), never sooner than its interval after the last."""
        current = self.session.api_session or ""
        if self._listed is not None and self._listed[0] == current and current and not again:
            return self._listed[1]
        if self._listed_at is not None:
            while (wait := self._listed_at + self._accounts_interval_s - self._clock()) > 0:
                await asyncio.sleep(wait)
        try:
            body = await self.session.request("GET", "/portfolio/accounts", what="the portfolio accounts")
        finally:
            self._listed_at = self._clock()
        rows = tuple(r for r in body if isinstance(r, Mapping)) if isinstance(body, list) else ()
        self._listed = (self.session.api_session or current, rows)
        return rows

    async def _listed_get(self, path: str, what: str) -> Any:
        """A portfolio read that needs the accounts listed in this session: an empty answer where an object
        belongs means the session changed under us (IBKR gives empty data, no error), so list and ask again."""
        body = await self.session.request("GET", path, what=what)
        if isinstance(body, Mapping) and body:
            return body
        await self._accounts(again=True)
        return await self.session.request("GET", path, what=what)

    # ---- one account -----------------------------------------------------------------------------

    async def _snapshot(self, row: Mapping[str, Any]) -> AccountSnapshot:
        account = str(row.get("accountId") or row.get("id") or "")
        summary = await self._listed_get(f"/portfolio/{account}/summary", "the account summary")
        summary = summary if isinstance(summary, Mapping) else {}
        balances_at = _summary_time(summary) or self._wall()
        ledger = await self.session.request("GET", f"/portfolio/{account}/ledger", what="the account ledger")
        base = ledger.get("BASE") if isinstance(ledger, Mapping) else None
        base = base if isinstance(base, Mapping) else {}
        positions, positions_at = await self._positions(account)
        net = summary.get("netliquidation")
        currency = net.get("currency") if isinstance(net, Mapping) else None
        kind = summary.get("accounttype")
        return AccountSnapshot(
            account=mask_account(account),
            kind=str(kind.get("value") or "") if isinstance(kind, Mapping) else str(row.get("type") or ""),
            currency=str(currency or row.get("currency") or "USD"),
            buying_power=_amount(summary, "buyingpower"),
            cash=_amount(summary, "totalcashvalue"),
            equity=_amount(summary, "equitywithloanvalue"),
            net_liquidation=_amount(summary, "netliquidation"),
            unrealized_pnl=money(base.get("unrealizedpnl")),
            realized_pnl=money(base.get("realizedpnl")),
            positions=positions,
            balances_at=balances_at,
            positions_at=positions_at,
        )

    async def _positions(self, account: str) -> tuple[tuple[Position, ...], float]:
        rows: list[Any] | None = None
        read_at = self._wall()
        if self._portfolio2:
            try:
                body = await self.session.request("GET", f"/portfolio2/{account}/positions", what="the positions")
                rows = body if isinstance(body, list) else []
            except IbkrError as error:
                if error.status not in _NOT_SERVED:
                    raise
                self._portfolio2 = False
        if rows is None:
            rows = await self._paged(account)
        stamps = [r.get("timestamp") for r in rows if isinstance(r, Mapping)]
        seconds = [s for s in stamps if isinstance(s, int | float) and not isinstance(s, bool) and s > 0]
        positions = tuple(p for r in rows if isinstance(r, Mapping) and (p := position_of(r)) is not None)
        return positions, float(max(seconds)) if seconds else read_at

    async def _paged(self, account: str) -> list[Any]:
        """Every page of the cached positions, invalidated first when the profile's orders filled since."""
        if self._invalidate_due:
            self._invalidate_due = False
            path = f"/portfolio/{account}/positions/invalidate"
            await self.session.request("POST", path, what="invalidating the cached positions")
        rows: list[Any] = []
        for page in range(MAX_PAGES):
            path = f"/portfolio/{account}/positions/{page}"
            body = await self.session.request("GET", path, what="the positions")
            found = [r for r in body if isinstance(r, Mapping)] if isinstance(body, list) else []
            rows += found
            size = next((r.get("pageSize") for r in found if isinstance(r.get("pageSize"), int)), None)
            if not found or (size is not None and len(found) < size):
                break
        return rows

    # ---- P&L -------------------------------------------------------------------------------------

    async def _pnl(self) -> tuple[dict[str, PnlRow], float | None]:
        """Today's P&L per account, when the brokerage session is up; a session's first (empty) answer is asked
        again once the interval has passed."""
        if not self.session.snapshot.authenticated:
            return {}, None
        body = await self._paced_pnl()
        current = self.session.api_session or ""
        upnl = body.get("upnl") if isinstance(body, Mapping) else None
        if not upnl and self._pnl_session != current:
            self._pnl_session = current
            body = await self._paced_pnl()
            upnl = body.get("upnl") if isinstance(body, Mapping) else None
        self._pnl_session = current
        return pnl_rows(upnl), self._wall()

    async def _paced_pnl(self) -> Any:
        if self._pnl_at is not None:
            while (wait := self._pnl_at + self._pnl_interval_s - self._clock()) > 0:
                await asyncio.sleep(wait)
        try:
            return await self.session.request("GET", "/iserver/account/pnl/partitioned", what="the P&L")
        finally:
            self._pnl_at = self._clock()  # IBKR counts from arrival: counting from the answer is never early
