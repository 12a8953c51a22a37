"""Turn an IBKR session snapshot into the credential-health model every view renders."""

from __future__ import annotations

from brokers.core.actions import NextAction
from brokers.core.health import ConnectionState, CredentialHealth, CredentialItem, Verdict, identity, utc
from brokers.core.timefmt import duration, local_time
from brokers.ibkr.profile import IbkrProfile, setup_hint
from brokers.ibkr.session import SessionPhase, SessionSnapshot

TICKLE_GRACE_S = 15.0  # a tickle in flight is not overdue yet


def ibkr_health(profile: IbkrProfile, snap: SessionSnapshot, now: float) -> CredentialHealth:
    """State, reason and the one action that fixes it, for one IBKR profile at time `now`."""
    return CredentialHealth.of(profile, _verdict(profile, snap, now), snap.lst_expires_at, _items(snap, now))


def _verdict(profile: IbkrProfile, snap: SessionSnapshot, now: float) -> Verdict:
    if snap.phase == SessionPhase.FAILED:
        action = snap.error_action if snap.error_action != NextAction.NONE else NextAction.RECONNECT
        hint = setup_hint(profile) if action == NextAction.SETUP_KEYS else "Fix what the reason says, then Reconnect."
        return Verdict(ConnectionState.FAILED, snap.error, action, hint)
    if snap.phase == SessionPhase.RETRYING:
        return _retrying(snap, now)
    if snap.lst_expires_at is not None and now >= snap.lst_expires_at and not snap.renewing:
        return Verdict(
            ConnectionState.EXPIRED, "The live session token has expired.", NextAction.RECONNECT, "Press Reconnect."
        )
    if snap.phase == SessionPhase.IDLE and snap.lst_expires_at is None:
        return Verdict(ConnectionState.NOT_CONNECTED, "Not connected yet.", NextAction.NONE, "")
    if snap.phase in (SessionPhase.IDLE, SessionPhase.CONNECTING) or snap.lst_expires_at is None:
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
        return Verdict(ConnectionState.RENEWING, "Minting a new live session token.", NextAction.NONE, "")
    return Verdict(
        ConnectionState.ACTIVE, "Live session token valid; brokerage session authenticated.", NextAction.NONE, ""
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
    action = snap.error_action if snap.error_action != NextAction.NONE else NextAction.RETRY
    hint = "Press Retry now, or wait." if action == NextAction.RETRY else "Press Reconnect, or wait for the next try."
    return Verdict(ConnectionState.RETRYING, reason, action, hint)


def _items(snap: SessionSnapshot, now: float) -> tuple[CredentialItem, ...]:
    items = []
    if snap.lst_minted_at is not None and snap.lst_expires_at is not None:
        lst_state = ConnectionState.ACTIVE if now < snap.lst_expires_at else ConnectionState.EXPIRED
        items.append(
            CredentialItem(
                "live session token",
                ConnectionState.RENEWING if snap.renewing else lst_state,
                f"age {duration(now - snap.lst_minted_at)}, renewal at {local_time(snap.renew_at)}",
                utc(snap.lst_expires_at),
            )
        )
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


def setup_failure_health(profile: IbkrProfile, message: str) -> CredentialHealth:
    """The stored credentials could not be loaded or set up: only the trader can fix that."""
    return CredentialHealth(
        **identity(profile),
        state=ConnectionState.FAILED,
        reason=message,
        next_action=NextAction.SETUP_KEYS,
        hint=setup_hint(profile),
    )
