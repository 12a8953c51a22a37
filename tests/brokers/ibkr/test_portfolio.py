"""IBKR accounts read by `IbkrPortfolio` and `IbkrAccountsReader` from the sandbox over real HTTP."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from brokers.core.accounts import AccountsReport, mask_account
from brokers.core.orders import Accepted, OrderStatus, OrderType, Side
from brokers.ibkr.accounts_reader import IbkrAccountsReader
from brokers.ibkr.portfolio import IbkrPortfolio, pnl_rows, position_of
from tests.brokers.ibkr.order_peer import AAPL, ACCOUNT, Desk, order_desk, request
from tests.conftest import run_async
from tests.waiting import until_async

INTERVAL_S = 0.3  # the pacing the tests run the portfolio and the sandbox at (IBKR: 5 s)
ES = 495512557
WAIT_S = 20.0


async def sandbox_portfolio(desk: Desk, path: str = "", **body: Any) -> dict[str, Any]:
    url = f"{desk.gw.url}/sandbox/ibkr/portfolio" + (f"/{path}" if path else "")
    response = await (desk.gw.http.post(url, json=body) if path else desk.gw.http.get(url))
    response.raise_for_status()
    return dict(response.json())


async def paced_portfolio(desk: Desk, *, portfolio2: bool = True, **holdings: Any) -> IbkrPortfolio:
    """The sandbox paced at `INTERVAL_S`, the account set up as given, and a portfolio reading it."""
    await sandbox_portfolio(
        desk, "settings", accounts_interval_s=INTERVAL_S, pnl_interval_s=INTERVAL_S, portfolio2=portfolio2
    )
    if holdings:
        await sandbox_portfolio(desk, "account", account=ACCOUNT, **holdings)
    return IbkrPortfolio(desk.session, ACCOUNT, accounts_interval_s=INTERVAL_S, pnl_interval_s=INTERVAL_S)


async def fill(desk: Desk, quantity: int, side: Side = Side.BUY) -> None:
    """A market order through the route that fills at once."""
    await desk.touch()
    outcome = await desk.route.place(request(OrderType.MARKET, quantity, side=side), f"k-{side}-{quantity}")
    assert isinstance(outcome, Accepted), outcome
    assert outcome.status == OrderStatus.FILLED


def test_balances_positions_and_the_first_pnl_are_read_with_their_times() -> None:
    async def scenario() -> tuple[AccountsReport, dict[str, Any]]:
        async with order_desk() as desk:
            positions = [{"conid": AAPL, "quantity": "100", "average_price": "180"}]
            portfolio = await paced_portfolio(desk, cash="50000", positions=positions)
            report = await portfolio.read()
            return report, await sandbox_portfolio(desk)

    report, sandbox = run_async(scenario)
    held = sandbox["accounts"][ACCOUNT]
    assert report.problem == ""
    (account,) = report.accounts
    assert account.account == mask_account(ACCOUNT)
    assert (account.kind, account.currency) == ("DEMO", "USD")
    assert account.cash == Decimal(50000)
    assert account.net_liquidation == Decimal(held["net_liquidation"]).quantize(Decimal("0.01"))
    assert account.buying_power is not None
    assert account.buying_power > 0
    assert account.equity == account.net_liquidation
    (position,) = account.positions
    mark = Decimal(held["holdings"][0]["mark"])
    assert (position.symbol, position.quantity, position.average_price) == ("AAPL", 100, 180)
    assert (position.instrument_id, position.asset_class, position.market_price) == (str(AAPL), "STK", mark)
    assert position.market_value == 100 * mark
    assert position.unrealized_pnl == 100 * (mark - 180)
    assert account.day_pnl is not None  # the session's first, empty P&L answer was asked again
    assert account.balances_at is not None
    assert account.positions_at is not None
    assert account.pnl_at is not None
    assert report.taken_at is not None


@pytest.mark.parametrize("portfolio2", [True, False], ids=["portfolio2", "paged"])
def test_positions_change_after_a_fill_through_the_order_route(portfolio2: bool) -> None:
    async def scenario() -> tuple[AccountsReport, AccountsReport, AccountsReport]:
        async with order_desk() as desk:
            portfolio = await paced_portfolio(desk, portfolio2=portfolio2, cash="100000")
            await sandbox_portfolio(desk, "settings", accounts_interval_s=0, pnl_interval_s=0)  # two readers
            unhooked = IbkrPortfolio(desk.session, ACCOUNT, accounts_interval_s=INTERVAL_S, pnl_interval_s=INTERVAL_S)
            before = await portfolio.read()
            desk.route.on_fills = portfolio.positions_changed
            await fill(desk, 10)
            unhooked_after = await unhooked.read()  # before the hooked reader invalidates the session's cache
            return before, await portfolio.read(), unhooked_after

    before, after, unhooked = run_async(scenario)
    assert before.accounts[0].positions == ()
    (position,) = after.accounts[0].positions
    assert (position.symbol, position.quantity) == ("AAPL", 10)
    assert position.average_price is not None
    assert position.average_price > 0
    # Only the paged positions are cached: a reader not told of the fill keeps seeing them frozen there.
    assert len(unhooked.accounts[0].positions) == (1 if portfolio2 else 0)


def test_a_closed_position_is_not_shown_though_ibkr_keeps_its_zero_row() -> None:
    async def scenario() -> tuple[AccountsReport, AccountsReport, list[Any]]:
        async with order_desk() as desk:
            portfolio = await paced_portfolio(desk, cash="100000")
            desk.route.on_fills = portfolio.positions_changed
            await fill(desk, 10)
            opened = await portfolio.read()
            await fill(desk, 10, Side.SELL)
            closed = await portfolio.read()
            raw = await desk.session.request("GET", f"/portfolio2/{ACCOUNT}/positions")
            return opened, closed, raw

    opened, closed, raw = run_async(scenario)
    assert len(opened.accounts[0].positions) == 1
    assert closed.accounts[0].positions == ()
    assert [row["position"] for row in raw] == [0]
    assert closed.accounts[0].realized_pnl is not None


def test_a_future_read_from_the_paged_positions_has_its_price_per_unit() -> None:
    async def scenario() -> AccountsReport:
        async with order_desk() as desk:
            positions = [{"conid": ES, "quantity": "2", "average_price": "5200"}]
            return await (await paced_portfolio(desk, portfolio2=False, positions=positions)).read()

    (position,) = run_async(scenario).accounts[0].positions
    assert (position.symbol, position.asset_class, position.average_price) == ("ES", "FUT", 5200)


def test_a_row_without_avg_price_divides_the_per_contract_cost_and_ignores_a_stocks_zero_multiplier() -> None:
    future = position_of({"conid": ES, "position": 2, "avgCost": 260000.0, "multiplier": 50.0, "ticker": "ES"})
    stock = position_of({"conid": AAPL, "position": 3, "avgCost": 180.5, "multiplier": 0.0, "contractDesc": "AAPL"})
    assert future is not None
    assert stock is not None
    assert (future.average_price, stock.average_price) == (5200, Decimal("180.5"))
    assert position_of({"conid": AAPL, "position": 0.0, "avgCost": 0}) is None


def test_pnl_rows_take_el_from_rest_and_uel_from_the_stream() -> None:
    rest = pnl_rows({f"{ACCOUNT}.Core": {"rowType": 1, "dpl": 12.5, "nl": 1000.0, "upl": 3.0, "el": 900.0, "mv": 0}})
    stream = pnl_rows({f"{ACCOUNT}.Core": {"rowType": 1, "dpl": -1.0, "uel": 901.25}, "junk": 1})
    assert rest[ACCOUNT].excess_liquidity == 900
    assert rest[ACCOUNT].day_pnl == Decimal("12.5")
    assert stream[ACCOUNT].excess_liquidity == Decimal("901.25")
    assert set(stream) == {ACCOUNT}


def test_a_new_session_lists_the_accounts_again_without_breaking_their_pacing() -> None:
    async def scenario() -> AccountsReport:
        async with order_desk() as desk:
            await sandbox_portfolio(desk, "settings", accounts_interval_s=1.0, pnl_interval_s=INTERVAL_S)
            portfolio = IbkrPortfolio(desk.session, ACCOUNT, accounts_interval_s=1.0, pnl_interval_s=INTERVAL_S)
            await portfolio.read()
            await desk.session.request("POST", "/logout")
            await desk.session.connect()  # a new brokerage session: IBKR wants the accounts listed in it
            return await portfolio.read()  # a 429 would raise

    report = run_async(scenario)
    assert report.accounts[0].net_liquidation is not None


def test_an_account_the_login_does_not_list_is_a_problem_not_an_error() -> None:
    async def scenario() -> AccountsReport:
        async with order_desk() as desk:
            await paced_portfolio(desk)
            return await IbkrPortfolio(desk.session, "U9999999", accounts_interval_s=INTERVAL_S).read()

    report = run_async(scenario)
    assert report.accounts == ()
    assert mask_account("U9999999") in report.problem


def test_the_reader_reads_once_wanted_and_again_soon_after_the_routes_fills() -> None:
    async def scenario() -> tuple[AccountsReport, AccountsReport, int]:
        async with order_desk() as desk:
            portfolio = await paced_portfolio(desk, portfolio2=False, cash="100000")
            reports: list[AccountsReport] = []
            reader = IbkrAccountsReader(portfolio, lambda: reports.append(reader.report), refresh_s=600)
            task = asyncio.create_task(reader.run())
            try:
                await asyncio.sleep(0.3)
                assert reports == []  # nobody asked for the accounts yet: nothing is read
                reader.want()
                first = await until_async(lambda: reports[0] if reports else None, WAIT_S)
                desk.route.on_fills = reader.orders_filled
                await fill(desk, 10)
                second = await until_async(lambda: reports[1] if len(reports) > 1 else None, WAIT_S)
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
            return first, second, reader.reads

    first, second, reads = run_async(scenario)
    assert first.refresh_s == 600
    assert first.accounts[0].positions == ()
    assert [p.quantity for p in second.accounts[0].positions] == [10]
    assert reads == 2
