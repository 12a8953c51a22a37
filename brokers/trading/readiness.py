"""The readiness checklist: what must be true before a profile may trade LIVE, and before each LIVE order.

The caller (window or CLI) gathers the facts from its own session and market feed into `ReadinessInputs`;
`checklist` turns them into items in a fixed order. Each failing item says what is wrong and what fixes it,
in the trader's words.

Credentials: the connector's `CredentialHealth` has no separate renewal field; a connector reports ACTIVE
(or RENEWING) with no next action while it renews the credential itself, and EXPIRING, or a next action
for the trader, when the credential ends unless the trader acts. So the item passes only for ACTIVE or
RENEWING, and fails when the credential ends within 15 minutes while the connector asks the trader to act.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from brokers.core.actions import NextAction
from brokers.core.connector import ConnectorSession
from brokers.core.health import ConnectionState, CredentialHealth
from brokers.core.market import DataAge
from brokers.core.timefmt import duration
from brokers.trading.limits import Limits

#: a credential ending this soon without a renewal in place fails the checklist
EXPIRY_MARGIN_S = 15 * 60
#: the most our clock may differ from the broker's
MAX_CLOCK_OFFSET_S = 2.0

_USABLE = (ConnectionState.ACTIVE, ConnectionState.RENEWING)


@dataclass(frozen=True)
class ReadinessInputs:
    profile: str
    can_trade: bool  # the connector offers an order route (Connector.trades)
    connected: bool
    health: CredentialHealth | None
    account: str | None
    limits: Limits | None
    market: DataAge  # for the instrument about to be traded (or the one the viewer shows)
    market_detail: str  # the instrument and feed, e.g. "AAPL via IBKR WebSocket"
    clock_offset_s: float | None  # the broker's clock minus ours; None when not known yet
    now: float


@dataclass(frozen=True)
class CheckItem:
    key: str
    title: str
    ok: bool
    detail: str  # what is true now (or what is wrong)
    fix: str = ""  # what makes it pass, when it fails


@dataclass(frozen=True)
class Checklist:
    items: tuple[CheckItem, ...]

    @property
    def passed(self) -> bool:
        return bool(self.items) and all(item.ok for item in self.items)

    @property
    def failures(self) -> tuple[CheckItem, ...]:
        return tuple(item for item in self.items if not item.ok)

    def summary(self) -> str:
        """The failing items in one line (for a refusal or the audit log); "" when it passes."""
        return "; ".join(f"{item.title}: {item.detail}" for item in self.failures)


def checklist(facts: ReadinessInputs) -> Checklist:
    return Checklist(
        (
            _can_trade(facts),
            _connected(facts),
            _credentials(facts),
            _account(facts),
            _limits(facts),
            _market(facts),
            _clock(facts),
        )
    )


def _can_trade(facts: ReadinessInputs) -> CheckItem:
    if facts.can_trade:
        return CheckItem("can_trade", "Broker can trade", True, "Orders can be sent through this connection.")
    return CheckItem(
        "can_trade",
        "Broker can trade",
        False,
        "Brokerdeck cannot send orders to this broker.",
        "Use a profile of a broker Brokerdeck trades with (Interactive Brokers); SHADOW works for every profile.",
    )


def _connected(facts: ReadinessInputs) -> CheckItem:
    if facts.connected:
        return CheckItem("connected", "Connected", True, "The brokerage session is up.")
    return CheckItem(
        "connected", "Connected", False, "Not connected to the broker.", f"Press Connect for {facts.profile}."
    )


def _credentials(facts: ReadinessInputs) -> CheckItem:
    title = "Credentials healthy"
    health = facts.health
    if health is None:
        return CheckItem(
            "credentials", title, False, "The credentials have not been checked yet.", "Wait for the connection."
        )
    fix = health.hint or "Reconnect the profile."
    if health.state not in _USABLE:
        return CheckItem("credentials", title, False, f"{health.state.label}: {health.reason}", fix)
    ends = health.expires_at.timestamp() if health.expires_at else None
    if ends is not None and ends - facts.now < EXPIRY_MARGIN_S and health.next_action is not NextAction.NONE:
        minutes = max(0, int((ends - facts.now) // 60))
        return CheckItem("credentials", title, False, f"The credentials end in {minutes} min and will not renew.", fix)
    left = f" for another {duration(ends - facts.now)}" if ends is not None else ""
    return CheckItem("credentials", title, True, f"{health.state.label}{left}.")


def _account(facts: ReadinessInputs) -> CheckItem:
    if facts.account:
        return CheckItem("account", "Account resolved", True, f"Orders go to account {facts.account}.")
    return CheckItem(
        "account",
        "Account resolved",
        False,
        "The broker has not said which account orders go to.",
        "Wait until the connection has read the accounts, or reconnect.",
    )


def _limits(facts: ReadinessInputs) -> CheckItem:
    title = "Cap and daily limit set"
    limits = facts.limits or Limits()
    missing = [
        name for name, value in (("per-order cap", limits.per_order), ("daily limit", limits.daily)) if not value
    ]
    if missing:
        return CheckItem(
            "limits",
            title,
            False,
            f"No {' and no '.join(missing)} set.",
            f"Set both in the Trading panel, or run `brokerdeck limits {facts.profile} --per-order N --daily N`.",
        )
    return CheckItem("limits", title, True, f"At most {limits.per_order:,} per order and {limits.daily:,} a day.")


_MARKET_WRONG: dict[DataAge, str] = {
    "delayed": "Market data is delayed",
    "frozen": "Market data is frozen (the last values, not live)",
    "stale": "Market data has stopped updating",
    "none": "No market data",
}


def _market(facts: ReadinessInputs) -> CheckItem:
    title = "Market data live"
    where = f" for {facts.market_detail}" if facts.market_detail else ""
    if facts.market == "live":
        return CheckItem("market", title, True, f"Live{where}.")
    return CheckItem(
        "market",
        title,
        False,
        f"{_MARKET_WRONG[facts.market]}{where}.",
        "Open the instrument in the market viewer (on the command line: --symbol) and wait for live quotes; "
        "a live market-data subscription at the broker is needed.",
    )


def _clock(facts: ReadinessInputs) -> CheckItem:
    title = "Clock in sync"
    offset = facts.clock_offset_s
    if offset is None:
        return CheckItem(
            "clock", title, False, "The broker's clock is not known yet.", "Wait for the broker's first answer."
        )
    if abs(offset) > MAX_CLOCK_OFFSET_S:
        return CheckItem(
            "clock",
            title,
            False,
            f"This computer's clock is {abs(offset):.1f} s {'behind' if offset > 0 else 'ahead of'} the broker's.",
            "Turn on automatic time (NTP) in the system settings.",
        )
    return CheckItem("clock", title, True, f"Within {abs(offset):.1f} s of the broker's ({_stamp(facts.now)}).")


def _stamp(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%H:%M:%S UTC")


def session_inputs(
    profile: str,
    can_trade: bool,
    session: ConnectorSession | None,
    limits: Limits,
    market: DataAge,
    market_detail: str,
    now: float,
) -> ReadinessInputs:
    """The facts a running session gives (window and CLI alike): connected means it can route orders now."""
    route = session.order_route() if session is not None else None
    return ReadinessInputs(
        profile=profile,
        can_trade=can_trade,
        connected=route is not None,
        health=session.health(now) if session is not None else None,
        account=route.account if route is not None else None,
        limits=limits,
        market=market,
        market_detail=market_detail,
        clock_offset_s=route.clock_offset_s() if route is not None else None,
        now=now,
    )
