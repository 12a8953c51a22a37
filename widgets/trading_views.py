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

    @property
    def mode_colors(self) -> tuple[str, str]:
        return MODE_COLORS.get(self.mode, MODE_COLORS[SHADOW])
