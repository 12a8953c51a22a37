"""Turn an IBKR session snapshot into the credential-health model every view renders."""

from __future__ import annotations

from brokers.core.actions import NextAction
from brokers.core.health import ConnectionState, CredentialHealth, CredentialItem, Verdict, identity, utc
from brokers.core.timefmt import duration, local_time
from brokers.ibkr.profile import IbkrProfile, setup_hint
from brokers.ibkr.session import SessionPhase, SessionSnapshot


def ibkr_health(profile: IbkrProfile, snap: SessionSnapshot, now: float) -> CredentialHealth:
    """State, reason and the one action that fixes it, for one IBKR profile at time `now`."""
    return CredentialHealth.of(profile, _verdict(profile, snap, now), snap.lst_expires_at, _items(snap, now))


def _verdict(profile: IbkrProfile, snap: SessionSnapshot, now: float) -> Verdict:
    if snap.phase == SessionPhase.FAILED:
        action = snap.error_action if snap.error_action != NextAction.NONE else NextAction.RECONNECT
        hint = setup_hint(profile) if action == NextAction.SETUP_KEYS else "Fix what the reason says, then reconnect."
        return Verdict(ConnectionState.FAILED, snap.error, action, hint)
    if snap.lst_expires_at is not None and now >= snap.lst_expires_at:
        return Verdict(
            ConnectionState.EXPIRED, "The live session token has expired.", NextAction.RECONNECT, "Reconnect."
        )
    if snap.phase == SessionPhase.RETRYING:
        wait = f" Next try in {max(0, round((snap.retry_at or now) - now))} s." if snap.retry_at else ""
        return Verdict(ConnectionState.EXPIRING, f"{snap.error}{wait}", NextAction.RETRY, "Retry now, or wait.")
    if snap.phase in (SessionPhase.IDLE, SessionPhase.CONNECTING) or snap.lst_expires_at is None:
        return Verdict(ConnectionState.PENDING, "Connecting to IBKR…", NextAction.NONE, "")
    if snap.competing:
        return Verdict(
            ConnectionState.EXPIRING,
            "Another session for this IBKR user (TWS, Client Portal or mobile) competes with this one.",
            NextAction.TAKE_OVER,
            "Take over the brokerage session here (this logs the other session out).",
        )
    if snap.authenticated is False:
        detail = f" ({snap.status_message})" if snap.status_message else ""
        return Verdict(
            ConnectionState.FAILED,
            f"The brokerage session is not authenticated{detail}.",
            NextAction.RECONNECT,
            "Reconnect to open a new brokerage session.",
        )
    if snap.renew_at is not None and now >= snap.renew_at:
        return Verdict(ConnectionState.EXPIRING, "Renewing the live session token.", NextAction.NONE, "")
    return Verdict(
        ConnectionState.ACTIVE, "Live session token valid; brokerage session authenticated.", NextAction.NONE, ""
    )


def _items(snap: SessionSnapshot, now: float) -> tuple[CredentialItem, ...]:
    items = []
    if snap.lst_minted_at is not None and snap.lst_expires_at is not None:
        lst_state = ConnectionState.ACTIVE if now < snap.lst_expires_at else ConnectionState.EXPIRED
        items.append(
            CredentialItem(
                "live session token",
                lst_state,
                f"age {duration(now - snap.lst_minted_at)}, renewal at {local_time(snap.renew_at)}",
                utc(snap.lst_expires_at),
            )
        )
    if snap.authenticated is not None:
        if snap.competing:
            session_state, detail = ConnectionState.EXPIRING, "authenticated, but competing"
        elif snap.authenticated:
            session_state, detail = ConnectionState.ACTIVE, "authenticated"
        else:
            session_state, detail = ConnectionState.FAILED, "not authenticated"
        items.append(CredentialItem("brokerage session", session_state, detail))
    if snap.last_tickle_at is not None:
        items.append(
            CredentialItem(
                "keep-alive tickle",
                ConnectionState.ACTIVE,
                f"last {duration(now - snap.last_tickle_at)} ago, next at {local_time(snap.next_tickle_at)}",
            )
        )
    return tuple(items)


def setup_failure_health(profile: IbkrProfile, message: str) -> CredentialHealth:
    """The stored credentials could not be loaded or set up: only the trader can fix that."""
    return CredentialHealth(
        **identity(profile),
        state=ConnectionState.FAILED,
        reason=message,
        next_action=NextAction.SETUP_KEYS,
        hint=setup_hint(profile),
    )
