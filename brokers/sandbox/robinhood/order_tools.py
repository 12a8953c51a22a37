"""The sandbox Robinhood's order tools, in Robinhood's shapes: `review_equity_order`, `place_equity_order`,
`cancel_equity_order`, `get_equity_orders`, and the advanced (OCO) tools.

The equity tools follow the schemas captured from Robinhood's `tools/list`. The advanced tools' names are
Robinhood's, but their schemas were never recorded: the shape here (`type: "oco"`, `orders: [legs]`, one
`ref_id` for the group, `data.advanced_order = {id, type, state, created_at, orders}`) is our assumption,
and a client must treat it as such until a live `tools/list` confirms or corrects it.
"""

from __future__ import annotations

from typing import Any, Literal

from mcp.server.fastmcp import FastMCP
from pydantic import BaseModel

from brokers.sandbox.robinhood.order_desk import OrderDesk
from brokers.sandbox.robinhood.order_terms import Terms, check_ref_id, terms
from brokers.sandbox.robinhood.tools import READ, WRITE, EquityQuote

Side = Literal["buy", "sell"]
OrderType = Literal["market", "limit", "stop_market", "stop_limit"]
TimeInForce = Literal["gfd", "gtc"]
MarketHours = Literal["regular_hours", "extended_hours", "all_day_hours"]


class Execution(BaseModel):
    id: str
    price: str
    quantity: str
    timestamp: str
    fees: str


class DollarAmount(BaseModel):
    amount: str
    currency_code: str


class EquityOrder(BaseModel):
    id: str
    instrument_id: str
    symbol: str
    side: str
    type: str
    state: str
    quantity: str | None
    cumulative_quantity: str
    price: str | None
    stop_price: str | None
    average_price: str | None
    fees: str
    dollar_based_amount: DollarAmount | None
    time_in_force: str
    market_hours: str
    trigger: str
    placed_agent: str
    created_at: str
    last_transaction_at: str | None
    executions: list[Execution]
    reject_reason: str | None = None


class Echo(BaseModel):
    symbol: str
    side: str
    type: str
    quantity: str | None
    dollar_amount: str | None
    limit_price: str | None
    stop_price: str | None


class Review(Echo):
    order_checks: dict[str, Any]
    quote_data: EquityQuote
    market_data_disclosure: str


class ReviewEnvelope(BaseModel):
    data: Review
    guide: str


class OrderData(BaseModel):
    order: EquityOrder


class OrderEnvelope(BaseModel):
    data: OrderData
    guide: str


class OrdersData(BaseModel):
    orders: list[EquityOrder]
    next: str


class OrdersEnvelope(BaseModel):
    data: OrdersData
    guide: str


class CancelData(BaseModel):
    accepted: bool


class CancelEnvelope(BaseModel):
    data: CancelData
    guide: str


class Leg(BaseModel):
    """One leg of an OCO group (our assumption of Robinhood's shape)."""

    symbol: str
    side: Side
    type: OrderType
    quantity: str
    limit_price: str | None = None
    stop_price: str | None = None
    time_in_force: TimeInForce = "gtc"
    market_hours: MarketHours = "regular_hours"


class AdvancedReview(BaseModel):
    type: str
    orders: list[Echo]
    order_checks: dict[str, Any]
    quote_data: EquityQuote
    market_data_disclosure: str


class AdvancedReviewEnvelope(BaseModel):
    data: AdvancedReview
    guide: str


class AdvancedOrder(BaseModel):
    id: str
    type: str
    state: str
    created_at: str
    orders: list[EquityOrder]


class AdvancedOrderData(BaseModel):
    advanced_order: AdvancedOrder


class AdvancedOrderEnvelope(BaseModel):
    data: AdvancedOrderData
    guide: str


class AdvancedOrdersData(BaseModel):
    advanced_orders: list[AdvancedOrder]
    next: str


class AdvancedOrdersEnvelope(BaseModel):
    data: AdvancedOrdersData
    guide: str


REVIEW_GUIDE = (
    "Show the order and any order_checks alert to the user, display market_data_disclosure verbatim, and place "
    "only after the user confirms."
)
ASSUMED = " (Sandbox: this tool's schema is Brokerdeck's assumption; Robinhood's was not recorded.)"


def add_order_tools(server: FastMCP, desk: OrderDesk) -> None:
    """Register the order tools on `server`, backed by `desk`."""

    @server.tool(
        description="Simulate a stock order without placing it: alerts, a quote, a disclosure.", annotations=READ
    )
    def review_equity_order(
        account_number: str,
        symbol: str,
        side: Side,
        type: OrderType,
        quantity: str | None = None,
        dollar_amount: str | None = None,
        limit_price: str | None = None,
        stop_price: str | None = None,
        time_in_force: TimeInForce = "gfd",
        market_hours: MarketHours = "regular_hours",
    ) -> ReviewEnvelope:
        checked = terms(
            symbol=symbol,
            side=side,
            type=type,
            quantity=quantity,
            dollar_amount=dollar_amount,
            limit_price=limit_price,
            stop_price=stop_price,
            time_in_force=time_in_force,
            market_hours=market_hours,
        )
        return ReviewEnvelope(data=Review(**desk.review(account_number, checked)), guide=REVIEW_GUIDE)

    @server.tool(
        description="Place a real equity order with real money. Review first and get the user's confirmation. "
        "Pass a fresh UUID as ref_id for each logical order and the SAME ref_id on retries of transient transport "
        "failures; the upstream deduplicates by ref_id. On error, the order was NOT placed: report the error verbatim.",
        annotations=WRITE,
    )
    def place_equity_order(
        account_number: str,
        symbol: str,
        side: Side,
        type: OrderType,
        quantity: str | None = None,
        dollar_amount: str | None = None,
        limit_price: str | None = None,
        stop_price: str | None = None,
        time_in_force: TimeInForce = "gfd",
        market_hours: MarketHours = "regular_hours",
        ref_id: str | None = None,
    ) -> OrderEnvelope:
        key = check_ref_id(ref_id)
        checked = terms(
            symbol=symbol,
            side=side,
            type=type,
            quantity=quantity,
            dollar_amount=dollar_amount,
            limit_price=limit_price,
            stop_price=stop_price,
            time_in_force=time_in_force,
            market_hours=market_hours,
        )
        order = EquityOrder(**desk.place(account_number, checked, key))
        return OrderEnvelope(data=OrderData(order=order), guide="Poll get_equity_orders for fills.")

    @server.tool(
        description="Ask to cancel an equity order. accepted is not cancelled: poll get_equity_orders until the "
        "state is cancelled or partially_filled_rest_cancelled (a filled state means the fill won the race).",
        annotations=WRITE,
    )
    def cancel_equity_order(account_number: str, order_id: str) -> CancelEnvelope:
        accepted = desk.cancel(account_number, order_id)
        return CancelEnvelope(data=CancelData(accepted=accepted), guide="pending_cancelled means in flight.")

    @server.tool(description="Equity orders of one account, newest first.", annotations=READ)
    def get_equity_orders(
        account_number: str,
        order_id: str | None = None,
        state: str | None = None,
        symbol: str | None = None,
        created_at_gte: str | None = None,
        placed_agent: str | None = None,
        cursor: str | None = None,
    ) -> OrdersEnvelope:
        rows = desk.listed(account_number, order_id=order_id, state=state, symbol=symbol, since=created_at_gte)
        rows = [r for r in rows if placed_agent in (None, r["placed_agent"])]
        orders = [EquityOrder(**r) for r in rows]
        return OrdersEnvelope(data=OrdersData(orders=orders, next=""), guide="Unknown states: reconcile, never guess.")

    @server.tool(
        description="Simulate an OCO group (two orders; a fill of one cancels the other)." + ASSUMED, annotations=READ
    )
    def review_advanced_order(account_number: str, type: Literal["oco"], orders: list[Leg]) -> AdvancedReviewEnvelope:
        review = desk.review_group(account_number, _legs(orders))
        return AdvancedReviewEnvelope(data=AdvancedReview(**review), guide=REVIEW_GUIDE)

    @server.tool(description="Place an OCO group; ref_id works as for place_equity_order." + ASSUMED, annotations=WRITE)
    def place_advanced_order(
        account_number: str, type: Literal["oco"], orders: list[Leg], ref_id: str | None = None
    ) -> AdvancedOrderEnvelope:
        key = check_ref_id(ref_id)
        group = AdvancedOrder(**desk.place_group(account_number, _legs(orders), key))
        return AdvancedOrderEnvelope(data=AdvancedOrderData(advanced_order=group), guide="Poll get_advanced_orders.")

    @server.tool(description="Ask to cancel an OCO group (every open leg)." + ASSUMED, annotations=WRITE)
    def cancel_advanced_order(account_number: str, advanced_order_id: str) -> CancelEnvelope:
        accepted = desk.cancel_group(account_number, advanced_order_id)
        return CancelEnvelope(data=CancelData(accepted=accepted), guide="Poll get_advanced_orders.")

    @server.tool(description="OCO groups of one account, newest first." + ASSUMED, annotations=READ)
    def get_advanced_orders(
        account_number: str, advanced_order_id: str | None = None, state: str | None = None
    ) -> AdvancedOrdersEnvelope:
        groups = [
            AdvancedOrder(**g) for g in desk.listed_groups(account_number, group_id=advanced_order_id, state=state)
        ]
        return AdvancedOrdersEnvelope(data=AdvancedOrdersData(advanced_orders=groups, next=""), guide="")


def _legs(orders: list[Leg]) -> list[Terms]:
    return [
        terms(
            symbol=leg.symbol,
            side=leg.side,
            type=leg.type,
            quantity=leg.quantity,
            dollar_amount=None,
            limit_price=leg.limit_price,
            stop_price=leg.stop_price,
            time_in_force=leg.time_in_force,
            market_hours=leg.market_hours,
        )
        for leg in orders
    ]
