"""What IBKR's answer to an order request means, once its questions are behind it: the reply loop's ending.

IBKR answers a place request (and each reply to its questions) with an accepted array, a refusal, or
another question. The questions are walked the same way for every request (`IbkrOrderRoute._follow`), but
what an accepted answer or a failure means depends on what was sent: one order is `Accepted`; a bracket's
array names every leg; an OTO trigger's acceptance sends its child next, and a failure of that child must
cancel the trigger. A `Dialogue` carries that meaning, so a question the trader answers later continues
exactly the request it was asked about.
"""

from __future__ import annotations

from collections.abc import Awaitable
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from brokers.core.orders import Accepted, Ambiguous, Asked, PlaceOutcome, Refused
from brokers.core.structures import StructureOutcome
from brokers.ibkr.errors import IbkrError, IbkrRateLimited, IbkrServerError, IbkrUnreachable
from brokers.ibkr.order_tickets import status_of

AnyOutcome = PlaceOutcome | StructureOutcome
_Outcome_co = TypeVar("_Outcome_co", bound=AnyOutcome, covariant=True)
Outcome = TypeVar("Outcome", bound=AnyOutcome)
_ZERO = Decimal(0)


class Dialogue(Protocol[_Outcome_co]):
    """What IBKR's final answer to one request means."""

    def accepted(self, rows: list[Any]) -> Awaitable[_Outcome_co]:
        """IBKR took the request: `rows` is its answer, one element per order sent."""
        ...

    def failed(self, outcome: Refused | Ambiguous) -> Awaitable[_Outcome_co]:
        """IBKR refused the request, the trader declined a question, or the answer was lost or unreadable."""
        ...


class Desk(Protocol):
    """What a dialogue may do on IBKR's order desk while the route holds its one-order-at-a-time lock."""

    @property
    def account(self) -> str: ...

    async def send(self, method: str, path: str, body: Any, what: str) -> Any:
        """One order request (raises `IbkrError`)."""
        ...

    async def follow(self, answer: Any, answered: tuple[str, ...], dialogue: Dialogue[Outcome]) -> Outcome | Asked:
        """Walk IBKR's questions about `answer`, ending in `dialogue`."""
        ...


class SingleOrder:
    """One order (a place or a modify): the first element that carries an order id is the order."""

    async def accepted(self, rows: list[Any]) -> PlaceOutcome:
        first = next(r for r in rows if isinstance(r, dict) and "order_id" in r)
        return Accepted(str(first["order_id"]), status_of(first.get("order_status"), _ZERO))

    async def failed(self, outcome: Refused | Ambiguous) -> PlaceOutcome:
        return outcome


async def withdraw(desk: Desk, order_id: str) -> tuple[str, bool]:
    """Cancel an order best-effort: what IBKR said, and whether it acknowledged the cancel."""
    path = f"/iserver/account/{desk.account}/order/{order_id}"
    try:
        body = await desk.send("DELETE", path, None, f"cancelling order {order_id}")
    except IbkrError as error:
        return f"the cancel of order {order_id} failed: {error}", False
    if isinstance(body, dict) and body.get("error"):
        return f"IBKR refused to cancel order {order_id}: {body['error']}", False
    said = str(body.get("msg") if isinstance(body, dict) else body) or "Request was submitted"
    return said, True


def outcome_of_failure(error: IbkrError) -> Refused | Ambiguous:
    """A failed order request: a 5xx or a lost connection may still have reached IBKR, anything else did not."""
    after = "IBKR may still have taken the order: it is looked up at IBKR and never sent again blindly."
    if isinstance(error, IbkrServerError):
        return Ambiguous(f"IBKR answered {error.status} ({error.detail or 'server error'}). {after}")
    if isinstance(error, IbkrUnreachable):
        return Ambiguous(f"The connection to IBKR broke ({error}). {after}")
    if isinstance(error, IbkrRateLimited):
        return Refused(f"{error} The order was not placed.")
    return Refused(str(error))
