"""A Robinhood profile's health: the OAuth sign-in's, then what the MCP server said about it.

The sign-in can be perfectly valid and still be of no use: Robinhood may have revoked the agent (a 401 even
after a renewal: sign in again), kept the trader on the waitlist (403: nothing to press, Robinhood opens
access), or list no or several agentic accounts (fix it in Robinhood, then retry). Each is its own reason.
"""

from __future__ import annotations

import dataclasses

from brokers.core.actions import NextAction
from brokers.core.health import ConnectionState, CredentialHealth, CredentialItem
from brokers.core.timefmt import local_time
from brokers.oauth2.health import oauth2_health, sign_in_hint
from brokers.oauth2.session import SessionFacts
from brokers.robinhood.access import AccessFacts
from brokers.robinhood.profile import RobinhoodProfile

_USABLE = (ConnectionState.ACTIVE, ConnectionState.RENEWING, ConnectionState.EXPIRING)
WAITLIST_HINT = (
    "Nothing to do in Brokerdeck: Robinhood opens agentic trading by waitlist and tells you when it does; "
    "Brokerdeck checks again each time it connects."
)


def robinhood_health(
    profile: RobinhoodProfile, facts: SessionFacts, access: AccessFacts, now: float, *, live: bool
) -> CredentialHealth:
    health = oauth2_health(profile, facts, now, live=live)
    if health.state not in _USABLE:
        return health
    if access.refused:
        return _verdict(
            health,
            ConnectionState.SIGN_IN_NEEDED,
            f"Sign-in needed: {access.refused}.",
            NextAction.RECONNECT,
            sign_in_hint(profile, NextAction.RECONNECT),
        )
    if access.waitlisted:
        return _verdict(health, ConnectionState.FAILED, f"{access.waitlisted}.", NextAction.NONE, WAITLIST_HINT)
    if access.agentic_problem:
        reason = f"Signed in, but {access.agentic_problem}."
        return _verdict(
            health, ConnectionState.FAILED, reason, NextAction.RETRY, "Press Retry now, once it is fixed in Robinhood."
        )
    if access.error:
        reason = f"Could not check access at Robinhood: {access.error}"
        return _verdict(health, ConnectionState.RETRYING, reason, NextAction.RETRY, "Press Retry now, or wait.")
    if access.granted_at is None or health.state != ConnectionState.ACTIVE:
        return _with_account(health, access)
    reason = f"Granted: Robinhood accepted the sign-in at {local_time(access.granted_at)}."
    if access.agentic_account:
        reason += f" Agentic account {access.agentic_account}."
    return _with_account(dataclasses.replace(health, reason=reason), access)


def _verdict(
    health: CredentialHealth, state: ConnectionState, reason: str, action: NextAction, hint: str
) -> CredentialHealth:
    return dataclasses.replace(health, state=state, reason=reason, next_action=action, hint=hint)


def _with_account(health: CredentialHealth, access: AccessFacts) -> CredentialHealth:
    if not access.agentic_account:
        return health
    item = CredentialItem(name="agentic account", state=ConnectionState.ACTIVE, detail=access.agentic_account)
    return dataclasses.replace(health, items=(*health.items, item))
