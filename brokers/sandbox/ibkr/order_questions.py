"""The questions the emulated IBKR asks about an order, and the reply loop's pending answers.

Each order gets its questions from what it is (deterministic, so tests can count on them), unless a
test forced the message ids of the next order; ids the session suppressed are skipped. One question
is asked per round, the way clients (ibind) assume. A reply id goes stale as soon as another order
request reaches the gateway, as IBKR documents, and is then answered with a 503.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from brokers.sandbox.ibkr.order_families import Family
from brokers.sandbox.ibkr.order_tickets import Ticket

FAR_FROM_MARKET = Decimal("0.03")  # IBKR's default percentage constraint behind o163

MESSAGES = {
    "o163": "The following order exceeds the price percentage limit of 3%. Are you sure you want to submit this order?",
    "o354": "You are submitting an order without market data. We strongly recommend against this as it may result "
    "in a very bad fill price. Are you sure you want to send this order?",
    "o382": "The following value exceeds the tick size limit. Are you sure you want to submit this order?",
    "o383": "The following order size exceeds the Size Limit of 500. Are you sure you want to submit this order?",
    "o403": "This order will most likely trigger and fill immediately. Are you sure you want to submit this order?",
    "o451": "The following order value estimate exceeds the Total Value Limit. Are you sure you want to submit?",
    "o2165": "Fractional-share orders cannot be traded outside regular trading hours. Continue?",
    "o10151": "Important note: market orders are executed at the best price available; the price may differ "
    "from the last quote. Are you sure you want to submit this order?",
    "o10152": "Your stop order will be active; a stop order may be triggered by a momentary price. Continue?",
    "o10331": "You are about to submit a stop order. Please be aware of the various stop order types. Continue?",
    "o10153": "Confirm Mandatory Cap Price: IB may set a cap or floor on this order's price. Continue?",
    "o10334": "This order will be placed into the omnibus account instead of the selected account. Continue?",
    "p6": "This order will be distributed over multiple accounts. Are you sure you want to submit this order?",
    "p12": "If your order is not immediately executable, it may be rejected if too far from the reference "
    "price. Use the Price Management Algo?",
}
LARGE_ORDER = Decimal(500)


def message_text(message_id: str) -> str:
    return MESSAGES.get(message_id, f"Please confirm this order ({message_id}). Are you sure?")


def questions_for(ticket: Ticket, reference: Decimal | None, last: Decimal | None, streaming: bool) -> list[str]:
    """The message ids IBKR would ask about `ticket`, in the order it asks them.

    `reference` is the market's mid, `last` the last trade (or the touch the order's side faces).
    """
    ids: list[str] = []
    if not streaming:
        ids.append("o354")
    if ticket.order_type == "MKT":
        ids.append("o10151")
    limit, stop = ticket.limit, ticket.stop
    if limit is not None and reference is not None and abs(limit - reference) > reference * FAR_FROM_MARKET:
        ids.append("o163")
    if stop is not None:
        ids.append("o10331")
        if last is not None and (stop <= last if ticket.side == "BUY" else stop >= last):
            ids.append("o403")
    if ticket.quantity > LARGE_ORDER:
        ids.append("o383")
    return ids


@dataclass
class Pending:
    """A place (of one order or a family) or a modify waiting for the trader's answers; `ids` are the
    questions left, asked about the request as a whole."""

    session_id: str
    account: str
    family: Family
    order_id: int | None  # the order a modify replaces; None for a new order
    ids: list[str]
    reply_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def question(self) -> list[dict[str, Any]]:
        """The next question, as IBKR sends it; a fresh reply id per round."""
        self.reply_id = str(uuid.uuid4())
        first = self.ids[0]
        return [{"id": self.reply_id, "message": [message_text(first)], "isSuppressed": False, "messageIds": [first]}]


class ReplyBook:
    """Pending questions by reply id, ids gone stale, forced ids for the next orders, and suppressions."""

    def __init__(self) -> None:
        self.pending: dict[str, Pending] = {}
        self.stale: set[str] = set()
        self.forced: list[list[str]] = []
        self.suppressed: dict[str, set[str]] = {}  # session id -> message ids
        self.unavailable: list[bool] = []  # armed 503s on reply: whether the order goes live anyway

    def ask(self, pending: Pending) -> list[dict[str, Any]]:
        self.pending.pop(pending.reply_id, None)
        question = pending.question()
        self.pending[pending.reply_id] = pending
        return question

    def invalidate(self, session_id: str) -> None:
        """Another order request came in: every question open in this session is stale now."""
        for reply_id in [r for r, p in self.pending.items() if p.session_id == session_id]:
            del self.pending[reply_id]
            self.stale.add(reply_id)

    def chosen(self, session_id: str, natural: list[str]) -> list[str]:
        """The ids to ask: a forced list when one is armed, else `natural`, without suppressed ids."""
        ids = self.forced.pop(0) if self.forced else natural
        skipped = self.suppressed.get(session_id, set())
        return [i for i in dict.fromkeys(ids) if i not in skipped]

    def reset(self) -> None:
        self.pending.clear()
        self.stale.clear()
        self.forced.clear()
        self.suppressed.clear()
        self.unavailable.clear()
