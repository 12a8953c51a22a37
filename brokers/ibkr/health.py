"""Turn an IBKR session snapshot into the credential-health model every view renders.

Both IBKR kinds share it: the tokens differ (a live session token, or an access token and an SSO token)
and each has its own row with its age, its renewal and its expiry.
"""

from __future__ import annotations

from brokers.core.actions import NextAction
from brokers.core.health import ConnectionState, CredentialHealth, CredentialItem, Verdict, identity, utc
from brokers.core.timefmt import duration, local_time
from brokers.ibkr.profile import AnyIbkrProfile
from brokers.ibkr.session import SessionPhase, SessionSnapshot, TokenLifetime

TICKLE_GRACE_S = 15.0  # a tickle in flight is not overdue yet


def ibkr_health(profile: AnyIbkrProfile, snap: SessionSnapshot, now: float) -> CredentialHealth:
    """State, reason and the one action that fixes it, for one IBKR profile at time `now`."""
    token = snap.request_token
    expires_at = token.expires_at if token is not None else None
    return CredentialHealth.of(profile, _verdict(profile, snap, now), expires_at, _items(snap, now))


def _verdict(profile: AnyIbkrProfile, snap: SessionSnapshot, now: float) -> Verdict:
    token = snap.request_token
    if snap.phase == SessionPhase.FAILED:
        action = snap.error_action if snap.error_action != NextAction.NONE else NextAction.RECONNECT
        hint = profile.setup_hint() if action == NextAction.SETUP_KEYS else "Fix what the reason says, then Reconnect."
        return Verdict(ConnectionState.FAILED, snap.error, action, hint)
    if snap.phase == SessionPhase.RETRYING:
        return _retrying(snap, now)
    if token is not None and now >= token.expires_at and not snap.renewing:
        return Verdict(
            ConnectionState.EXPIRED, f"The {token.name} has expired.", NextAction.RECONNECT, "Press Reconnect."
        )
    if snap.phase == SessionPhase.IDLE and token is None:
        return Verdict(ConnectionState.NOT_CONNECTED, "Not connected yet.", NextAction.NONE, "")
    if snap.phase in (SessionPhase.IDLE, SessionPhase.CONNECTING) or token is None:
        return Verdict(ConnectionState.CONNECTING, "Connecting to IBKR…", NextAction.NONE, "")
    if snap.competing:
        return Verdict(
            ConnectionState.COMPETING,
            "Another session for this IBKR user (TWS, Client Portal or mobile) competes with this one.",
            NextAction.TAKE_OVER,
            "Press Take over session to move the brokerage session here (this logs the other one out).",
        )
    if snap.authenticated is False:
        detail = f" ({snap.status_message})" if snap.status_message else ""
        return Verdict(
            ConnectionState.FAILED,
            f"The brokerage session is not authenticated{detail}.",
            NextAction.RECONNECT,
            "Press Reconnect to open a new brokerage session.",
        )
    if snap.renewing or (snap.renew_at is not None and now >= snap.renew_at):
        due = [t.name for t in snap.tokens() if now >= t.renew_at] or [t.name for t in snap.tokens()]
        return Verdict(ConnectionState.RENEWING, f"Renewing the {' and the '.join(due)}.", NextAction.NONE, "")
    valid = " and ".join(t.name for t in snap.tokens())
    return Verdict(
        ConnectionState.ACTIVE,
        f"{valid[:1].upper()}{valid[1:]} valid; brokerage session authenticated.",
        NextAction.NONE,
        "",
    )


def _retrying(snap: SessionSnapshot, now: float) -> Verdict:
    """A request failed and the keep-alive will try again: when, and whether trying sooner is wise."""
    retry_at = snap.retry_at if snap.retry_at is not None else now
    if snap.rate_limited:
        reason = f"{snap.error} Next request at {local_time(retry_at)} (in {duration(max(0.0, retry_at - now))})."
        return Verdict(ConnectionState.RETRYING, reason, NextAction.NONE, "Wait: IBKR's penalty ends by itself.")
    if retry_at <= now:
        reason = f"{snap.error} Trying again now."
    else:
        reason = f"{snap.error} Next try at {local_time(retry_at)} (in {duration(retry_at - now)})."
    reason += _expiring(snap, now)
    action = snap.error_action if snap.error_action != NextAction.NONE else NextAction.RETRY
    hint = "Press Retry now, or wait." if action == NextAction.RETRY else "Press Reconnect, or wait for the next try."
    return Verdict(ConnectionState.RETRYING, reason, action, hint)


def _expiring(snap: SessionSnapshot, now: float) -> str:
    """While retrying: the tokens past their renewal time, and when they lapse (nothing when none is)."""
    due = [t for t in snap.tokens() if now >= t.renew_at]
    said = [
        f"The {t.name} expired at {local_time(t.expires_at)}."
        if now >= t.expires_at
        else f"The {t.name} expires at {local_time(t.expires_at)} (in {duration(t.expires_at - now)})."
        for t in due
    ]
    return "".join(f" {sentence}" for sentence in said)


def _items(snap: SessionSnapshot, now: float) -> tuple[CredentialItem, ...]:
    items = [_token_item(token, snap.renewing, now) for token in snap.tokens()]
    if snap.authenticated is not None:
        if snap.competing:
            session_state, detail = ConnectionState.COMPETING, "authenticated, but another session competes"
        elif snap.authenticated:
            session_state, detail = ConnectionState.ACTIVE, "authenticated"
        else:
            session_state, detail = ConnectionState.FAILED, "not authenticated"
        if snap.checked_at is not None:
            detail += f"; IBKR last accepted a request {duration(now - snap.checked_at)} ago"
        items.append(CredentialItem("brokerage session", session_state, detail))
    if snap.last_tickle_at is not None:
        items.append(_keep_alive(snap, snap.last_tickle_at, now))
    return tuple(items)


def _token_item(token: TokenLifetime, renewing: bool, now: float) -> CredentialItem:
    """One token's row: its age and when it is renewed, or that it is being renewed or has lapsed."""
    if renewing:
        state = ConnectionState.RENEWING
    else:
        state = ConnectionState.ACTIVE if now < token.expires_at else ConnectionState.EXPIRED
    detail = f"age {duration(now - token.minted_at)}, renewal at {local_time(token.renew_at)}"
    return CredentialItem(token.name, state, detail, utc(token.expires_at))


def _keep_alive(snap: SessionSnapshot, last: float, now: float) -> CredentialItem:
    """The tickle row: green only while the next tickle is still ahead (a grace for the request itself)."""
    due = snap.next_tickle_at
    if due is not None and now > due + TICKLE_GRACE_S:
        retry = f"; next try at {local_time(snap.retry_at)}" if snap.retry_at else ""
        return CredentialItem(
            "keep-alive tickle",
            ConnectionState.RETRYING,
            f"overdue since {local_time(due)} (last {duration(now - last)} ago){retry}",
        )
    return CredentialItem(
        "keep-alive tickle", ConnectionState.ACTIVE, f"last {duration(now - last)} ago, next at {local_time(due)}"
    )


def setup_failure_health(profile: AnyIbkrProfile, message: str) -> CredentialHealth:
    """The stored credentials could not be loaded or set up: only the trader can fix that."""
    return CredentialHealth(
        **identity(profile),
        state=ConnectionState.FAILED,
        reason=message,
        next_action=NextAction.SETUP_KEYS,
        hint=profile.setup_hint(),
    )
