"""The emulated IBKR's position book: what each account holds, fed by the order desk's own fills.

Every fill moves one holding (quantity, average price per unit, what closing trades made today) and the
account's cash; marks come from the sandbox's synthetic market (the last trade, else the mid). A closed
holding stays in the book at quantity 0 with its realized P&L, as IBKR keeps reporting it for the rest of
the session. Futures carry a multiplier: cash moves only by their realized P&L, and IBKR's `avgCost` is
per contract (`avgPrice` x multiplier). Day P&L is the net liquidation now against the one the account had
when the book first saw it (or when a test set it), commissions included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from brokers.sandbox.market import SyntheticMarket

DEFAULT_CASH = Decimal("1000000.00")
MARGIN_RATE = Decimal("0.25")  # initial and maintenance margin, as a share of the gross position value
BUYING_POWER_LEVERAGE = 4
CENT = Decimal("0.01")
_CONTRACTS = {"ES": ("FUT", Decimal(50)), "EUR.USD": ("CASH", Decimal(1))}  # everything else: a stock


@dataclass(frozen=True)
class Contract:
    """What IBKR knows of a conid for the portfolio: its symbol, asset class, multiplier and price decimals."""

    conid: int
    symbol: str
    asset_class: str
    multiplier: Decimal
    decimals: int


@dataclass
class Holding:
    """One conid in one account; `average_price` is per unit (0 while flat)."""

    conid: int
    quantity: Decimal = Decimal(0)
    average_price: Decimal = Decimal(0)
    realized_today: Decimal = Decimal(0)


@dataclass
class AccountBook:
    cash: Decimal
    holdings: dict[int, Holding] = field(default_factory=dict)
    start_net_liquidation: Decimal | None = None


@dataclass(frozen=True)
class Figures:
    """An account's totals at the current marks."""

    cash: Decimal
    stock_value: Decimal  # the market value of what is not a future
    futures_value: Decimal  # futures' notional, for the ledger
    unrealized: Decimal
    realized: Decimal
    net_liquidation: Decimal
    gross_position_value: Decimal
    day_pnl: Decimal

    @property
    def margin(self) -> Decimal:
        return (self.gross_position_value * MARGIN_RATE).quantize(CENT)

    @property
    def excess_liquidity(self) -> Decimal:
        return self.net_liquidation - self.margin


class PositionBook:
    """Every account's holdings and cash in one sandbox's IBKR."""

    def __init__(self, market: SyntheticMarket, last_trade: dict[int, float]) -> None:
        self.market, self.last_trade = market, last_trade
        self.accounts: dict[str, AccountBook] = {}

    def reset(self) -> None:
        self.accounts.clear()

    def contract(self, conid: int) -> Contract:
        """KeyError when the market does not trade `conid`."""
        instrument = self.market.instrument(conid)
        asset_class, multiplier = _CONTRACTS.get(instrument.symbol, ("STK", Decimal(1)))
        decimals = max(0, -int(Decimal(str(instrument.tick_size)).as_tuple().exponent))
        return Contract(conid, instrument.symbol, asset_class, multiplier, decimals)

    def mark(self, conid: int) -> Decimal:
        """The price positions are valued at now: the last trade, else the middle of the touch."""
        contract = self.contract(conid)
        last = self.last_trade.get(conid)
        if last is not None:
            return Decimal(str(last))
        quote = self.market.quote(conid)
        mid = (Decimal(str(quote.bid)) + Decimal(str(quote.ask))) / 2
        return mid.quantize(Decimal(1).scaleb(-contract.decimals))

    def account(self, account: str) -> AccountBook:
        book = self.accounts.get(account)
        if book is None:
            book = self.accounts[account] = AccountBook(cash=DEFAULT_CASH)
            book.start_net_liquidation = self.figures(account).net_liquidation
        return book

    def set(self, account: str, cash: Decimal, positions: list[tuple[int, Decimal, Decimal]]) -> None:
        """Start `account` over with `cash` and these (conid, quantity, average price) holdings."""
        book = self.accounts[account] = AccountBook(cash=cash)
        for conid, quantity, average in positions:
            self.contract(conid)
            book.holdings[conid] = Holding(conid, quantity, average)
        book.start_net_liquidation = self.figures(account).net_liquidation

    def fill(self, account: str, conid: int, quantity: Decimal, price: Decimal, commission: Decimal) -> None:
        """A fill of `quantity` (negative: sold) at `price` moves the holding, its realized P&L and the cash."""
        book = self.account(account)
        multiplier = self.contract(conid).multiplier
        holding = book.holdings.setdefault(conid, Holding(conid))
        held, realized = holding.quantity, Decimal(0)
        if held == 0 or (held > 0) == (quantity > 0):
            holding.average_price = (held * holding.average_price + quantity * price) / (held + quantity)
        else:
            closed = min(abs(quantity), abs(held))
            realized = (price - holding.average_price) * closed * (1 if held > 0 else -1) * multiplier
            if abs(quantity) > abs(held):
                holding.average_price = price  # reversed: the rest opens at this price
            elif abs(quantity) == abs(held):
                holding.average_price = Decimal(0)
        holding.quantity = held + quantity
        holding.realized_today += realized
        if self.contract(conid).asset_class == "FUT":
            book.cash += realized - commission
        else:
            book.cash -= quantity * price * multiplier + commission

    def market_value(self, holding: Holding) -> Decimal:
        return holding.quantity * self.mark(holding.conid) * self.contract(holding.conid).multiplier

    def unrealized(self, holding: Holding) -> Decimal:
        cost = holding.quantity * holding.average_price * self.contract(holding.conid).multiplier
        return self.market_value(holding) - cost

    def figures(self, account: str) -> Figures:
        book = self.accounts.get(account) or AccountBook(cash=DEFAULT_CASH)
        stock = futures = unrealized = realized = gross = Decimal(0)
        for holding in book.holdings.values():
            value = self.market_value(holding)
            gross += abs(value)
            unrealized += self.unrealized(holding)
            realized += holding.realized_today
            if self.contract(holding.conid).asset_class == "FUT":
                futures += value
            else:
                stock += value
        futures_pnl = sum(
            (self.unrealized(h) for h in book.holdings.values() if self.contract(h.conid).asset_class == "FUT"),
            Decimal(0),
        )
        net = book.cash + stock + futures_pnl
        start = book.start_net_liquidation if book.start_net_liquidation is not None else net
        return Figures(book.cash, stock, futures, unrealized, realized, net, gross, net - start)
