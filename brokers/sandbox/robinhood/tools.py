"""The MCP tools of the sandbox Robinhood server, with Robinhood's shapes: every result is a `{data, guide}`
envelope (pydantic models, so clients get `structuredContent` and an `outputSchema`), numbers are strings,
read tools say `readOnlyHint`, and a refused call is a tool error whose text ends with what to do.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from mcp.server.fastmcp import FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import BaseModel

from brokers.sandbox.robinhood.book import Book

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


class Order(BaseModel):
    id: str
    symbol: str
    side: str
    type: str
    state: str
    quantity: str | None
    price: str | None
    time_in_force: str
    market_hours: str
    trigger: str
    placed_agent: str
    created_at: str


class OrderData(BaseModel):
    order: Order


class OrderEnvelope(BaseModel):
    data: OrderData
    guide: str


def build_tools(book: Book) -> FastMCP:
    """The tool set over `book`; one per sandbox (orders placed are remembered by `ref_id`)."""
    server = FastMCP("sandbox-robinhood-trading", log_level="WARNING")
    orders: dict[str, Order] = {}

    def account_for(account_number: str, *, trading: bool = False) -> None:
        if not book.known(account_number):
            raise ToolError(f"Account {account_number} not found. Call get_accounts and use an account_number from it.")
        if trading and account_number not in book.agentic:
            raise ToolError(
                "This account is not enabled for agentic trading. Use the account where agentic_allowed is true."
            )

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
        description="Place a real equity order with real money. Review first and get the user's confirmation. "
        "Pass a fresh UUID as ref_id for each logical order and the SAME ref_id on retries.",
        annotations=WRITE,
    )
    def place_equity_order(
        account_number: str,
        symbol: str,
        side: Literal["buy", "sell"],
        type: Literal["market", "limit", "stop_market", "stop_limit"],
        quantity: str | None = None,
        limit_price: str | None = None,
        time_in_force: Literal["gfd", "gtc"] = "gfd",
        ref_id: str | None = None,
    ) -> OrderEnvelope:
        account_for(account_number, trading=True)
        if type in ("limit", "stop_limit") and limit_price is None:
            raise ToolError("A limit order needs limit_price. The order was NOT placed.")
        key = ref_id or str(uuid.uuid4())
        if key not in orders:
            orders[key] = Order(
                id=str(uuid.uuid5(uuid.NAMESPACE_URL, key)),
                symbol=symbol.upper(),
                side=side,
                type="limit" if "limit" in type else "market",
                state="queued",
                quantity=quantity,
                price=limit_price,
                time_in_force=time_in_force,
                market_hours="regular_hours",
                trigger="stop" if type.startswith("stop") else "immediate",
                placed_agent="agentic",
                created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            )
        return OrderEnvelope(data=OrderData(order=orders[key]), guide="Poll get_equity_orders for the fill.")

    return server


def low_level(server: FastMCP) -> Any:
    """The SDK's protocol server under FastMCP, which a session manager serves."""
    return server._mcp_server
