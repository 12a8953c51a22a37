"""Orders that belong together: a bracket, an OCO group, a one-triggers-other pair.

A structure is a handful of `OrderRequest` legs with roles, decided together and placed together under one
idempotency key. The trading core values it by its net exposure (what it can open at most, not the sum of
its legs) and simulates it in SHADOW; a connector that can carry it to its broker implements
`OrderRoute.place_structure`, which answers with one of the outcomes below.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from brokers.core.orders import Ambiguous, Asked, OrderRequest, OrderStatus, Refused


class StructureKind(StrEnum):
    BRACKET = "BRACKET"  # an entry, then a stop-loss and a take-profit that cancel each other
    OCO = "OCO"  # N legs working at once: any fill of one cancels the others
    OTO = "OTO"  # a trigger, then a child that works only once the trigger has filled


class LegRole(StrEnum):
    ENTRY = "ENTRY"
    STOP_LOSS = "STOP_LOSS"
    TAKE_PROFIT = "TAKE_PROFIT"
    LEG = "LEG"
    TRIGGER = "TRIGGER"
    CHILD = "CHILD"


#: the roles of each kind's legs, in the order the legs are given
ROLES: dict[StructureKind, tuple[LegRole, ...]] = {
    StructureKind.BRACKET: (LegRole.ENTRY, LegRole.STOP_LOSS, LegRole.TAKE_PROFIT),
    StructureKind.OTO: (LegRole.TRIGGER, LegRole.CHILD),
}
MAX_OCO_LEGS = 8


def roles_of(kind: StructureKind, legs: int) -> tuple[LegRole, ...]:
    """The roles of `legs` legs of `kind` (an OCO's are all LEG)."""
    return ROLES.get(kind, (LegRole.LEG,) * legs)


@dataclass(frozen=True)
class StructureRequest:
    """A structure as the trader decides it; `decision_id` names the decision, as for a single order.

    Legs: BRACKET (entry, stop-loss, take-profit), OCO (2 to 8 legs), OTO (trigger, child). Every leg names
    the same profile and its own symbol, side, quantity, type and prices.
    """

    kind: StructureKind
    legs: tuple[OrderRequest, ...]
    decision_id: str = ""

    @property
    def profile(self) -> str:
        return self.legs[0].profile if self.legs else ""

    @property
    def roles(self) -> tuple[LegRole, ...]:
        return roles_of(self.kind, len(self.legs))

    @property
    def parent_first(self) -> bool:
        """Whether the first leg is a parent the others wait for (a bracket's entry, an OTO's trigger)."""
        return self.kind is not StructureKind.OCO


@dataclass(frozen=True)
class LegsAccepted:
    """Every leg accepted: the broker's order ids and statuses, in leg order."""

    broker_order_ids: tuple[str, ...]
    statuses: tuple[OrderStatus, ...]


@dataclass(frozen=True)
class PartlyPlaced:
    """Some legs went to the broker and a later one failed; the placed ones were asked to cancel.

    `broker_order_ids` has one entry per leg ("" for a leg the broker never took); `cancel_said` is what the
    broker answered to the cancel of the placed legs, or why that cancel failed: the entry may still be live.
    """

    reason: str
    broker_order_ids: tuple[str, ...]
    cancel_said: str
    cancelled: bool  # whether the broker acknowledged the cancel of every placed leg


StructureOutcome = LegsAccepted | PartlyPlaced | Asked | Refused | Ambiguous
