"""The MCP tools of the sandbox Robinhood server, with Robinhood's shapes: every result is a `{data, guide}`
envelope (pydantic models, so clients get `structuredContent` and an `outputSchema`), numbers are strings,
read tools say `readOnlyHint`, and a refused call is a tool error whose text ends with what to do.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mcp.server.fastmcp import FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import BaseModel

from brokers.sandbox.robinhood.book import Book
from brokers.sandbox.robinhood.order_terms import QUOTES, quote

READ = ToolAnnotations(readOnlyHint=True, destructiveHint=False, openWorldHint=True)
WRITE = ToolAnnotations(readOnlyHint=False, destructiveHint=True, openWorldHint=True)


class Account(BaseModel):
    account_number: str
    rhs_account_number: str
    type: str
    brokerage_account_type: str
    is_default: bool
    agentic_allowed: bool
    option_level: str
    state: str
    deactivated: bool
    permanently_deactivated: bool
    nickname: str | None = None
    management_type: str | None = None
    unsettled_funds: str | None = None


class AccountsData(BaseModel):
    accounts: list[Account]


class AccountsEnvelope(BaseModel):
    data: AccountsData
    guide: str


class BuyingPower(BaseModel):
    buying_power: str
    unleveraged_buying_power: str
    intraday_buying_power: str | None
    off_intraday_buying_power: str | None
    display_currency: str


class Portfolio(BaseModel):
    total_value: str
    equity_value: str
    options_value: str
    futures_value: str
    event_contracts_value: str
    crypto_value: str
    cash: str
    pending_deposits: str
    mutual_funds_value: str
    fixed_income_value: str
    currency: str
    buying_power: BuyingPower


class PortfolioEnvelope(BaseModel):
    data: Portfolio
    guide: str


class EquityPosition(BaseModel):
    symbol: str
    quantity: str
    intraday_quantity: str
    average_buy_price: str | None
    shares_available_for_sells: str
    shares_held_for_sells: str
    shares_held_for_stock_grants: str
    shares_held_for_options_events: str
    shares_held_for_asset_transfer: str
    shares_pending_from_options_events: str
    type: str


class PositionsData(BaseModel):
    positions: list[EquityPosition]
    next: str


class PositionsEnvelope(BaseModel):
    data: PositionsData
    guide: str


class EquityQuote(BaseModel):
    symbol: str
    last_trade_price: str
    venue_last_trade_time: str
    last_non_reg_trade_price: str | None
    venue_last_non_reg_trade_time: str | None
    adjusted_previous_close: str
    previous_close: str
    previous_close_date: str | None
    bid_price: str
    venue_bid_time: str
    ask_price: str
    venue_ask_time: str
    has_traded: bool
    state: str


class QuoteResult(BaseModel):
    quote: EquityQuote


class QuotesData(BaseModel):
    results: list[QuoteResult]


class QuotesEnvelope(BaseModel):
    data: QuotesData
    guide: str


MAX_QUOTED_SYMBOLS = 20


def build_tools(book: Book) -> FastMCP:
    """The account tools over `book` (the order tools are `order_tools`')."""
    server = FastMCP("sandbox-robinhood-trading", log_level="WARNING")

    def account_for(account_number: str) -> None:
        if not book.known(account_number):
            raise ToolError(f"Account {account_number} not found. Call get_accounts and use an account_number from it.")

    @server.tool(
        description="List the user's brokerage accounts. Exactly one account is tradable by you (agentic_allowed); "
        "use that account directly without asking. Does NOT return reliable buying power: use get_portfolio.",
        annotations=READ,
    )
    def get_accounts() -> AccountsEnvelope:
        accounts = [Account(**a) for a in book.account_list()]
        guide = "Mask account numbers to their last 4 digits when showing them."
        return AccountsEnvelope(data=AccountsData(accounts=accounts), guide=guide)

    @server.tool(
        description="Portfolio values and buying power of one account; buying_power.buying_power is authoritative.",
        annotations=READ,
    )
    def get_portfolio(account_number: str) -> PortfolioEnvelope:
        account_for(account_number)
        guide = "Quote buying_power.buying_power as the amount available to trade."
        return PortfolioEnvelope(data=Portfolio(**book.portfolio(account_number)), guide=guide)

    @server.tool(
        description="Equity positions of one account (no prices: combine with get_equity_quotes). "
        "Sellable shares are shares_available_for_sells.",
        annotations=READ,
    )
    def get_equity_positions(account_number: str, cursor: str | None = None) -> PositionsEnvelope:
        account_for(account_number)
        positions = [EquityPosition(**p) for p in book.positions(account_number)]
        return PositionsEnvelope(data=PositionsData(positions=positions, next=""), guide="Negative quantity = short.")

    @server.tool(
        description=f"Current quotes of up to {MAX_QUOTED_SYMBOLS} equity symbols (last trade, bid, ask, previous "
        "close).",
        annotations=READ,
    )
    def get_equity_quotes(symbols: list[str]) -> QuotesEnvelope:
        wanted = [s.strip().upper() for s in symbols if s.strip()]
        if not wanted or len(wanted) > MAX_QUOTED_SYMBOLS:
            raise ToolError(f'Give 1 to {MAX_QUOTED_SYMBOLS} symbols, e.g. ["AAPL"].')
        unknown = [s for s in wanted if s not in QUOTES]
        if unknown:
            raise ToolError(f"No quote for {', '.join(unknown)}. Check the symbols (get_equity_positions lists yours).")
        at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        results = [QuoteResult(quote=EquityQuote(**quote(s, at))) for s in wanted]
        return QuotesEnvelope(data=QuotesData(results=results), guide="Prices are in USD.")

    return server


def low_level(server: FastMCP) -> Any:
    """The SDK's protocol server under FastMCP, which a session manager serves."""
    return server._mcp_server
