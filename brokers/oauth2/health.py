"""Turn an OAuth profile's session facts into the credential-health model every view renders.

The access token's expiry is the headline; the refresh token's age and horizon say how long the
trader can go without opening a browser again, and a warning comes before that horizon is reached.
"""

from __future__ import annotations

from brokers.core.actions import NextAction
from brokers.core.health import ConnectionState, CredentialHealth, CredentialItem, Verdict, utc
from brokers.core.profiles import Profile
from brokers.core.timefmt import duration, local_time
from brokers.oauth2.session import SessionFacts

#: warn when less than this share of the refresh horizon is left (half a day of a 7-day horizon)
HORIZON_WARN_SHARE = 1 / 14


def oauth2_health(profile: Profile, facts: SessionFacts, now: float, *, live: bool) -> CredentialHealth:
    """State, reason and the one action that fixes it, at `now`; `live` when a keep-alive is running."""
    return CredentialHealth.of(profile, _verdict(profile, facts, now, live), facts.expires_at, _items(facts, now, live))


def _verdict(profile: Profile, facts: SessionFacts, now: float, live: bool) -> Verdict:
    sign_in = f"Press Connect, or run `brokerdeck login {profile.name}`."
    if facts.login_required:
        return Verdict(
            ConnectionState.REVOKED, f"Sign-in needed: {facts.login_required}", NextAction.RECONNECT, sign_in
        )
    if not facts.connected:
        return Verdict(ConnectionState.PENDING, "Not connected yet.", NextAction.CONNECT, sign_in)
    if facts.refresh_expires_at is not None and now >= facts.refresh_expires_at:
        reason = "The refresh token's horizon has passed; the broker requires a new sign-in."
        return Verdict(ConnectionState.EXPIRED, reason, NextAction.RECONNECT, sign_in)
    access_valid = facts.expires_at is None or facts.expires_at > now
    if not access_valid and not facts.has_refresh_token:
        reason = "The access token has expired and cannot be renewed."
        return Verdict(ConnectionState.EXPIRED, reason, NextAction.RECONNECT, sign_in)
    if facts.last_error:
        action = facts.last_error_action if facts.last_error_action != NextAction.NONE else NextAction.RETRY
        hint = "Retry now, or wait." if action == NextAction.RETRY else "Do what the reason says, then retry."
        return Verdict(ConnectionState.EXPIRING, f"Renewal failed: {facts.last_error}", action, hint)
    if not access_valid:
        reason = (
            "Renewing the access token."
            if live
            else "The access token has expired; the stored refresh token renews it silently on next use."
        )
        return Verdict(ConnectionState.EXPIRING, reason, NextAction.NONE, "")
    ends = _horizon_ending(facts, now)
    if ends is not None:
        reason = f"Sign in again before {local_time(ends)}: the refresh token ends then."
        return Verdict(ConnectionState.EXPIRING, reason, NextAction.RECONNECT, sign_in)
    return Verdict(ConnectionState.ACTIVE, "Access token valid.", NextAction.NONE, "")


def _horizon_ending(facts: SessionFacts, now: float) -> float | None:
    """When the refresh horizon ends, if that is near enough to warn about now."""
    ends, began = facts.refresh_expires_at, facts.authorized_at
    if ends is None or began is None:
        return None
    return ends if ends - now < (ends - began) * HORIZON_WARN_SHARE else None


def _items(facts: SessionFacts, now: float, live: bool) -> tuple[CredentialItem, ...]:
    if not facts.connected:
        return ()
    access_valid = facts.expires_at is None or facts.expires_at > now
    renewal = ""
    if live and facts.next_refresh_at is not None:
        renewal = f"; renewal at {local_time(facts.next_refresh_at)}"
    access = CredentialItem(
        name="access token",
        state=ConnectionState.ACTIVE if access_valid else ConnectionState.EXPIRED,
        detail=("no lifetime announced" if facts.expires_at is None else "bearer token") + renewal,
        expires_at=utc(facts.expires_at),
    )
    items = [access]
    if facts.has_refresh_token:
        age = f"age {duration(now - facts.authorized_at)}" if facts.authorized_at else "age unknown"
        horizon = (
            f"; sign-in needed by {local_time(facts.refresh_expires_at)}"
            if facts.refresh_expires_at is not None
            else "; the server announced no end"
        )
        near = _horizon_ending(facts, now) is not None
        items.append(
            CredentialItem(
                name="refresh token",
                state=ConnectionState.EXPIRING if near else ConnectionState.ACTIVE,
                detail=age + horizon,
                expires_at=utc(facts.refresh_expires_at),
            )
        )
    if facts.client_id:
        how = "registered by Brokerdeck" if facts.dynamic_client else "from the profile"
        detail = f"{facts.client_id} ({how}) at {facts.issuer}"
        items.append(CredentialItem(name="client", state=ConnectionState.ACTIVE, detail=detail))
    return tuple(items)
