"""The emulated IBKR's portfolio answers in IBKR's own shapes, built from the position book.

The units differ as IBKR's do: summary timestamps in ms, ledger and `portfolio2` timestamps in s, the
paged positions' `time` the ms it took to build. Summary values are `{amount, currency, isNull, severity,
timestamp, value}`: numeric keys carry `amount` (and `value: null`), textual keys `value` (and `amount: 0`),
each base key beside its `-c` (commodities) and `-s` (securities) segment variant. The paged rows put
`avgCost` per contract and report a stock's multiplier as 0, as IBKR does.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from brokers.sandbox.ibkr.portfolio import BUYING_POWER_LEVERAGE, CENT, Figures, Holding, PositionBook

PAGE_SIZE = 100
_TITLE = "Brokerdeck Sandbox"
_LEDGER_ZEROES = (
    "commoditymarketvalue",
    "corporatebondsmarketvalue",
    "warrantsmarketvalue",
    "interest",
    "moneyfunds",
    "funds",
    "issueroptionsmarketvalue",
    "stockoptionmarketvalue",
    "futuresonlypnl",
    "tbondsmarketvalue",
    "futureoptionmarketvalue",
    "cashbalancefxsegment",
    "tbillsmarketvalue",
    "dividends",
    "cryptocurrencyvalue",
)


def _number(value: Decimal) -> float:
    """IBKR sends JSON numbers; the sandbox rounds them to the cent first."""
    return float(value.quantize(CENT))


def account_row(account: str) -> dict[str, Any]:
    """One `/portfolio/accounts` element (also `/portfolio/{acct}/meta`)."""
    paper = account.startswith("D")
    return {
        "id": account,
        "accountId": account,
        "accountVan": account,
        "accountTitle": _TITLE,
        "displayName": account,
        "accountAlias": None,
        "accountStatus": 1_700_000_000_000,
        "currency": "USD",
        "type": "DEMO" if paper else "INDIVIDUAL",
        "tradingType": "STKNOPT",
        "businessType": "IB_PROSERVE",
        "category": "",
        "ibEntity": "IBLLC-US",
        "faclient": False,
        "clearingStatus": "O",
        "covestor": False,
        "noClientTrading": False,
        "trackVirtualFXPortfolio": True,
        "acctCustType": "INDIVIDUAL",
        "parent": {"mmc": [], "accountId": "", "isMParent": False, "isMChild": False, "isMultiplex": False},
        "desc": account,
        "brokerageAccess": True,
    }


def summary(book: PositionBook, account: str, now_ms: int) -> dict[str, Any]:
    figures = book.figures(account)
    amounts = {
        "netliquidation": figures.net_liquidation,
        "totalcashvalue": figures.cash,
        "settledcash": figures.cash,
        "equitywithloanvalue": figures.net_liquidation,
        "previousdayequitywithloanvalue": figures.net_liquidation - figures.day_pnl,
        "grosspositionvalue": figures.gross_position_value,
        "initmarginreq": figures.margin,
        "maintmarginreq": figures.margin,
        "fullinitmarginreq": figures.margin,
        "fullmaintmarginreq": figures.margin,
        "availablefunds": figures.excess_liquidity,
        "fullavailablefunds": figures.excess_liquidity,
        "excessliquidity": figures.excess_liquidity,
        "fullexcessliquidity": figures.excess_liquidity,
        "buyingpower": figures.excess_liquidity * BUYING_POWER_LEVERAGE,
        "availabletotrade": figures.excess_liquidity,
        "availabletowithdraw": figures.excess_liquidity,
        "sma": figures.excess_liquidity,
        "regtequity": figures.net_liquidation,
        "regtmargin": figures.margin,
        "accruedcash": Decimal(0),
        "accrueddividend": Decimal(0),
    }
    cushion = figures.excess_liquidity / figures.net_liquidation if figures.net_liquidation else Decimal(0)
    values = {
        "accountcode": account,
        "accountready": "true",
        "accounttype": "DEMO" if account.startswith("D") else "INDIVIDUAL",
        "cushion": f"{cushion:.6f}",
        "daytradesremaining": "-1",
        "highestseverity": "0",
        "tradingtype-s": "STKNOPT",
        "segmenttitle-s": "Securities",
        "segmenttitle-c": "Commodities",
        "leverage-s": f"{figures.gross_position_value / figures.net_liquidation if figures.net_liquidation else 0:.2f}",
    }
    body: dict[str, Any] = {}
    for key, amount in amounts.items():
        for suffix, share in (("", amount), ("-s", amount), ("-c", Decimal(0))):
            body[key + suffix] = _amount(share, now_ms)
    for key, text in values.items():
        body[key] = {"amount": 0, "currency": None, "isNull": False, "severity": 0, "timestamp": now_ms, "value": text}
    return body


def _amount(amount: Decimal, now_ms: int) -> dict[str, Any]:
    return {"amount": _number(amount), "currency": "USD", "isNull": False, "severity": 0, "timestamp": now_ms}


def ledger(book: PositionBook, account: str, now_s: int) -> dict[str, Any]:
    """BASE and USD (the sandbox's only currency, so they agree); BASE carries `endofbundle`."""
    figures = book.figures(account)
    entry: dict[str, Any] = dict.fromkeys(_LEDGER_ZEROES, 0.0)
    entry |= {
        "cashbalance": _number(figures.cash),
        "settledcash": _number(figures.cash),
        "netliquidationvalue": _number(figures.net_liquidation),
        "stockmarketvalue": _number(figures.stock_value),
        "futuremarketvalue": _number(figures.futures_value),
        "unrealizedpnl": _number(figures.unrealized),
        "realizedpnl": _number(figures.realized),
        "exchangerate": 1,
        "sessionid": 1,
        "acctcode": account,
        "key": "LedgerList",
        "timestamp": now_s,
        "severity": 0,
    }
    return {
        "USD": entry | {"currency": "USD", "secondkey": "USD"},
        "BASE": entry | {"currency": "BASE", "secondkey": "BASE", "endofbundle": 1},
    }


def position_row(book: PositionBook, account: str, holding: Holding, built_ms: int) -> dict[str, Any]:
    """A paged `/portfolio/{acct}/positions/{page}` row, at the marks of the moment it was built."""
    contract = book.contract(holding.conid)
    price = book.mark(holding.conid)
    value = holding.quantity * price * contract.multiplier
    cost = holding.average_price * contract.multiplier  # per contract
    return {
        "acctId": account,
        "conid": holding.conid,
        "contractDesc": contract.symbol,
        "position": float(holding.quantity),
        "mktPrice": float(price),
        "mktValue": _number(value),
        "currency": "USD",
        "avgCost": float(cost),
        "avgPrice": float(holding.average_price),
        "realizedPnl": _number(holding.realized_today),
        "unrealizedPnl": _number(value - cost * holding.quantity),
        "exchs": None,
        "expiry": None,
        "putOrCall": None,
        "multiplier": float(contract.multiplier) if contract.asset_class == "FUT" else 0.0,
        "strike": 0.0,
        "exerciseStyle": None,
        "conExchMap": [],
        "assetClass": contract.asset_class,
        "undConid": 0,
        "model": "",
        "time": built_ms,
        "ticker": contract.symbol,
        "name": contract.symbol,
        "fullName": contract.symbol,
        "listingExchange": "CME" if contract.asset_class == "FUT" else "NASDAQ",
        "countryCode": "US",
        "isUS": True,
        "hasOptions": contract.asset_class == "STK",
        "isEventContract": False,
        "pageSize": PAGE_SIZE,
    }


def portfolio2_row(book: PositionBook, holding: Holding, now_s: int) -> dict[str, Any]:
    """A `/portfolio2/{acct}/positions` row: live marks, other field names, the conid as a string."""
    contract = book.contract(holding.conid)
    price = book.mark(holding.conid)
    value = holding.quantity * price * contract.multiplier
    cost = holding.average_price * contract.multiplier
    return {
        "position": float(holding.quantity),
        "conid": str(holding.conid),
        "avgCost": float(cost),
        "avgPrice": float(holding.average_price),
        "currency": "USD",
        "description": contract.symbol,
        "isLastToLoq": False,
        "marketPrice": float(price),
        "marketValue": _number(value),
        "realizedPnl": _number(holding.realized_today),
        "unrealizedPnl": _number(value - cost * holding.quantity),
        "secType": contract.asset_class,
        "timestamp": now_s,
        "assetClass": contract.asset_class,
        "sector": None,
        "group": None,
        "model": "",
    }


def pnl_row(figures: Figures, excess_key: str) -> dict[str, Any]:
    """The `{acct}.Core` row: `el` over REST, `uel` (unrounded) over the `spl` topic."""
    return {
        "rowType": 1,
        "dpl": _number(figures.day_pnl),
        "nl": _number(figures.net_liquidation),
        "upl": _number(figures.unrealized),
        excess_key: _number(figures.excess_liquidity),
        "mv": _number(figures.gross_position_value),
    }
