"""Which of IBKR's order questions Brokerdeck may confirm on the trader's behalf: an explicit whitelist by id.

IBKR asks about an order with "Are you sure?" messages carrying message ids (`o163`, `o354`, ...). Their
text changes and is localised, so questions are matched by id only, never by text. Accepting a question
is a trading decision, so only questions that merely inform about what the trader already chose are
confirmed automatically; everything else, including every id not listed here and the non-suppressible
ones (`o0`), stops the order until the trader answers.
"""

from __future__ import annotations

AUTO_CONFIRMED: dict[str, str] = {
    "o10151": "risk disclosure for market orders: the trader chose a market order; the note adds no new fact",
    "o10152": "risk disclosure that stop orders are active: the trader chose a stop order",
    "o10331": "risk disclosure about stop-order types: the trader chose the stop type and its price",
    "o10153": "IBKR may cap or floor the price (mandatory cap price): a protection IBKR applies, never a risk",
    "o2165": "no fractional trading outside RTH: Brokerdeck only sends whole quantities, so it cannot apply",
    "o10164": "cash-quantity orders are best-efforts: Brokerdeck never sends cash quantities",
    "o10223": "cash-quantity orders are not guaranteed: Brokerdeck never sends cash quantities",
}
"""The ids confirmed without asking, each with why that is safe."""

NEVER_AUTO_CONFIRMED = frozenset(
    {
        "o354",  # no market data: the order would be priced blind
        "o403",  # the order will most likely trigger and fill immediately: a stop or limit on the wrong side
        "o10334",  # the order would go to the omnibus account instead of the selected one
        "o163",  # the price is far from the market (fat finger)
        "o382",  # the price exceeds the tick size limit
        "o383",  # the size exceeds the size limit
        "o451",  # the value exceeds the total value limit
        "o10138",  # a size modification exceeds the limit
        "o2136",  # mixed allocation (advisor accounts)
        "o2137",  # the order crosses one of our own orders
        "o10333",  # option exercise at the money
        "o10336",  # limited liquidity: heightened risk of not being able to close
        "p6",  # the order would be distributed over several accounts
        "p12",  # the price may be rejected far from the reference; IBKR offers its price algorithm
        "o0",  # a non-suppressible question without a documented meaning
    }
)
"""Documented for the reader: these always reach the trader (as does any id not in `AUTO_CONFIRMED`)."""


def auto_confirmable(message_ids: tuple[str, ...]) -> bool:
    """True when every id of a question is whitelisted (and there is at least one)."""
    return bool(message_ids) and all(i in AUTO_CONFIRMED and i not in NEVER_AUTO_CONFIRMED for i in message_ids)
