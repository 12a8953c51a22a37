"""Plain data the trading widgets render, and the words and colours they share.

The app maps the trading core's models onto these, so the widgets never import the core. The codes
(sides, order types, time in force, modes) are the core's own spellings, so the mapping is one to one.
"""

from __future__ import annotations

from dataclasses import dataclass

SHADOW = "SHADOW"
LIVE = "LIVE"

# (background, text) of each mode wherever it is shown: SHADOW calm, LIVE loud. Both read at >= 4.5:1.
MODE_COLORS: dict[str, tuple[str, str]] = {
    SHADOW: ("#24384b", "#d5e6f5"),
    LIVE: ("#c0241c", "#ffffff"),
}

SIDES: dict[str, str] = {"BUY": "Buy", "SELL": "Sell"}
ORDER_TYPES: dict[str, str] = {"MKT": "Market", "LMT": "Limit", "STP": "Stop", "STOP_LIMIT": "Stop limit"}
NEEDS_LIMIT = frozenset({"LMT", "STOP_LIMIT"})
NEEDS_STOP = frozenset({"STP", "STOP_LIMIT"})
TIME_IN_FORCE: dict[str, str] = {
    "DAY": "DAY: until the close",
    "GTC": "GTC: until cancelled",
    "IOC": "IOC: fill now or cancel",
    "OPG": "OPG: at the opening",
}

SINGLE = ""  # the structure code of a single order
STRUCTURES: dict[str, str] = {SINGLE: "Single order", "BRACKET": "Bracket", "OCO": "OCO", "OTO": "OTO"}
STRUCTURE_TIPS: dict[str, str] = {
    SINGLE: "One order",
    "BRACKET": "An entry, then a stop-loss and a take-profit that cancel each other once the entry fills",
    "OCO": "Two to four orders working at once: any fill of one cancels the others",
    "OTO": "A trigger order, then a child order that works only once the trigger has filled",
}
ENTRY_TYPES = frozenset({"MKT", "LMT"})  # what a bracket's entry may be
LEG_TYPES: dict[str, str] = {"MKT": "Market", "LMT": "Limit", "STP": "Stop"}  # an OCO's or OTO's legs
TICKS = "ticks"
PRICES = "prices"
DEFAULT_TICK = "0.01"

NOT_CHECKED = "Readiness not checked"


@dataclass(frozen=True)
class CheckItemView:
    """One item of a profile's readiness checklist: what it checks, and when it fails, why and the fix."""

    title: str
    ok: bool
    detail: str = ""  # what is wrong (empty when ok)
    fix: str = ""  # what fixes it (empty when ok)

    @property
    def mark(self) -> str:
        return "✓" if self.ok else "✗"

    @property
    def severity(self) -> str:
        return "ok" if self.ok else "error"


@dataclass(frozen=True)
class ProfileModeView:
    """Where a profile's orders go now, whether it may be armed, and why not."""

    profile: str
    mode: str = SHADOW  # SHADOW | LIVE
    account_masked: str = ""  # e.g. "••••1234"
    until_text: str = ""  # when a LIVE arming ends, e.g. "until 16:00 New York"
    can_trade: bool = False  # the profile's connector can place orders at all
    checklist: tuple[CheckItemView, ...] = ()
    note: str = ""  # one line from the core, e.g. why the profile just fell back to SHADOW
    per_order_cap_text: str = ""
    daily_limit_text: str = ""

    @property
    def live(self) -> bool:
        return self.mode == LIVE

    @property
    def ready(self) -> bool:
        """Every checklist item passes (an empty checklist has not been checked, so it is not ready)."""
        return bool(self.checklist) and all(item.ok for item in self.checklist)


def unchecked_mode_view(profile: str) -> ProfileModeView:
    """A profile nothing has checked yet: SHADOW, and a checklist that says so."""
    return ProfileModeView(
        profile=profile,
        checklist=(
            CheckItemView(
                NOT_CHECKED,
                ok=False,
                detail="Nothing has checked whether this profile can trade.",
                fix="Connect the profile; the checklist is run when the trading core is available.",
            ),
        ),
        note="Orders are simulated (SHADOW) until LIVE is armed.",
    )


@dataclass(frozen=True)
class TicketContext:
    """What the order ticket places into: the instrument, the mode it goes to and what the limits leave."""

    profile: str
    symbol: str
    conid: int | None
    mode: str = SHADOW
    account_masked: str = ""
    per_order_left_text: str = ""  # e.g. "$25,000.00 per order"
    daily_left_text: str = ""  # e.g. "$180,000.00 of $200,000.00 left today"
    can_place: bool = False
    why_not: str = ""  # why Place is disabled, in the core's words
    read_only: str = ""  # why this profile's broker never receives orders (SHADOW still simulates them)
    live_structures: frozenset[str] = frozenset()  # the structures the LIVE route takes as such
    tick_size: str = DEFAULT_TICK  # the instrument's price step, for exits entered in ticks


@dataclass(frozen=True)
class LegValues:
    """One leg of an OCO group or an OTO pair, as typed; `price` is a limit or a stop price by its type."""

    side: str  # a key of SIDES
    quantity: str
    order_type: str  # a key of LEG_TYPES
    price: str  # "" for a market leg


@dataclass(frozen=True)
class TicketValues:
    """What the trader entered, as typed: the core validates it and answers with its own words."""

    profile: str
    symbol: str
    conid: int | None
    side: str  # a key of SIDES
    quantity: str
    order_type: str  # a key of ORDER_TYPES
    limit_price: str  # "" unless the type needs one
    stop_price: str  # "" unless the type needs one
    tif: str  # a key of TIME_IN_FORCE
    outside_rth: bool
    structure: str = SINGLE  # a key of STRUCTURES; a bracket's entry is the fields above
    exits_in: str = TICKS  # a bracket's exits: TICKS (distances from the entry) or PRICES
    stop_loss: str = ""  # a bracket's stop-loss, in ticks below (a short: above) the entry or as a price
    take_profit: str = ""
    tick_size: str = DEFAULT_TICK
    legs: tuple[LegValues, ...] = ()  # an OCO's legs; an OTO's trigger and child


@dataclass(frozen=True)
class StructurePreview:
    """What the structure on the ticket would expose and where its exits land, in the core's figures."""

    exposure_text: str = ""  # e.g. "Net exposure 19,000.00 of the 25,000 per-order cap"
    over_limit: bool = False  # over the cap or today's buy headroom: the desk will refuse it
    exits_text: str = ""  # a bracket's exits as prices, e.g. "Sell 100: stop 189.80, target 190.40"
    problem: str = ""  # what the core says is wrong with it ("" when nothing)


@dataclass(frozen=True)
class QuestionView:
    """The broker's question about an order, which only the trader may answer (never auto-confirmed)."""

    key: str  # the order's idempotency key: `answered` names it
    order_label: str  # e.g. "BUY 100 AAPL LMT 190.00 (LIVE, ••••1234)"
    messages: tuple[str, ...]
    message_ids: tuple[str, ...]


@dataclass(frozen=True)
class BlotterRow:
    """One order in the blotter, with its fills so far; `key` stays the same for the order's life."""

    key: str
    mode: str  # SHADOW | LIVE
    time_text: str
    symbol: str
    side: str
    quantity: str
    type_text: str
    price_text: str
    status: str
    filled_text: str
    avg_price_text: str
    message: str = ""
    cancellable: bool = False
    structure_text: str = ""  # a group row: the kind ("Bracket"); a leg: its name ("stop-loss"); else ""
    group: str = ""  # a leg: its structure's key (the group row's key)
    is_group: bool = False  # the row of a whole structure: Cancel cancels every open leg

    @property
    def mode_colors(self) -> tuple[str, str]:
        return MODE_COLORS.get(self.mode, MODE_COLORS[SHADOW])

    @property
    def structure_tip(self) -> str:
        return "Click to hide or show the structure's legs" if self.is_group else ""


@dataclass(frozen=True)
class FindingView:
    """One thing reconciliation found, with what to do about it."""

    kind: str  # e.g. "partial fill", "unknown order"
    detail: str
    key: str = ""  # our order's (or structure's) key, "" for an order Brokerdeck does not know


@dataclass(frozen=True)
class ReconcileView:
    """A profile's latest reconciliation pass against its broker."""

    profile: str
    at_text: str  # e.g. "10:02:03"
    summary: str  # the core's one line
    findings: tuple[FindingView, ...] = ()
    failed: bool = False  # the broker could not be read

    @property
    def severity(self) -> str:
        return "error" if self.failed else ("warn" if self.findings else "ok")

    @property
    def headline(self) -> str:
        """One line for the health detail: "2 reconciliation findings", "Orders agree with the broker"."""
        if self.failed:
            return f"Reconciliation failed at {self.at_text}: {self.summary}"
        count = len(self.findings)
        if count:
            kinds = self.summary.removeprefix("Findings: ")
            return f"{count} reconciliation finding{'s' if count != 1 else ''} at {self.at_text} ({kinds})"
        return f"Orders agree with the broker (reconciled at {self.at_text})"
