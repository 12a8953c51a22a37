"""How the emulated IBKR reads a place request of related orders: a bracket or an OCA group.

IBKR's Client Portal API ("Bracket Orders and OCA Groups") takes them in one request
`{"orders": [parent, child, ...]}`: the parent carries a `cOID`, each child a `parentId` equal to that
cOID and no `cOID` of its own; children may instead name a parent already placed (its IBKR order id,
or, in the sandbox, its cOID). An OCA group is the same structure with `"isSingleGroup": true` on every
order; the API has no OCA group name or type field. Anything else of several orders is refused as
IBKR refuses it: "the orders endpoint does not currently support the placement of unrelated orders
in bulk".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from brokers.sandbox.ibkr.order_tickets import Ticket, TicketError

UNRELATED = "the orders endpoint does not currently support the placement of unrelated orders in bulk"


@dataclass(frozen=True)
class Family:
    """The orders of one place request, in the order sent.

    `oca`: every order is one OCA group (they all work at once; a fill cancels the others).
    `outside_parent`: the `parentId` the children give when their parent is not in the request.
    """

    tickets: tuple[Ticket, ...]
    oca: bool
    outside_parent: str | None

    @property
    def has_children(self) -> bool:
        return any(t.parent_ref is not None for t in self.tickets)


def family(tickets: list[Ticket], placed: Callable[[str], bool]) -> Family:
    """The request's orders as one family, or TicketError saying why IBKR would refuse them.

    `placed(ref)` says whether `ref` names an order of this account already placed.
    """
    groups = {t.single_group for t in tickets}
    if len(tickets) > 1 and len(groups) > 1:
        raise TicketError("isSingleGroup must be true on every order of an OCA group")
    in_request = {t.coid for t in tickets if t.coid}
    for child in (t for t in tickets if t.parent_ref is not None):
        if child.coid:
            raise TicketError(f"a child order carries no cOID: its parentId ({child.parent_ref}) links it")
        if child.parent_ref not in in_request and not placed(child.parent_ref or ""):
            raise TicketError(f"parentId {child.parent_ref} names no order in this request and no order placed")
    roots = [t for t in tickets if t.parent_ref is None]
    refs = {t.parent_ref for t in tickets if t.parent_ref is not None}
    if len(tickets) > 1:
        one_parent = len(roots) == 1 and refs == {roots[0].coid}
        outside = not roots and len(refs) == 1
        if not (one_parent or outside):
            raise TicketError(UNRELATED)
    outside_parent = next(iter(refs)) if not roots and refs else None
    return Family(tuple(tickets), len(tickets) > 1 and groups == {True}, outside_parent)
