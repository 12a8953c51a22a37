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
    if facts.client_refused:
        reason = (
            f"Sign-in blocked: {facts.client_refused}. The refresh token is kept: once a secret proves, the "
            "profile connects again without a new sign-in."
        )
        return Verdict(ConnectionState.FAILED, reason, NextAction.ROTATE_KEYS, client_refused_hint(profile))
    if facts.login_required:
        return Verdict(
            ConnectionState.SIGN_IN_NEEDED,
            f"Sign-in needed: {facts.login_required}",
            NextAction.RECONNECT,
            sign_in_hint(profile, NextAction.RECONNECT),
        )
    if not facts.connected:
        return Verdict(ConnectionState.NOT_CONNECTED, "Not connected yet.", NextAction.CONNECT, sign_in_hint(profile))
    reconnect = sign_in_hint(profile, NextAction.RECONNECT)
    if facts.refresh_expires_at is not None and now >= facts.refresh_expires_at:
        reason = "The refresh token's horizon has passed; the broker requires a new sign-in."
        return Verdict(ConnectionState.EXPIRED, reason, NextAction.RECONNECT, reconnect)
    access_valid = facts.expires_at is None or facts.expires_at > now
    if not access_valid and not facts.has_refresh_token:
        reason = "The access token has expired and cannot be renewed."
        return Verdict(ConnectionState.EXPIRED, reason, NextAction.RECONNECT, reconnect)
    if facts.check_refused:
        reason = f"The broker refuses this sign-in: {facts.check_error}."
        return Verdict(ConnectionState.FAILED, reason, NextAction.RECONNECT, reconnect)
    if facts.last_error:
        reason = f"Renewal failed: {facts.last_error}"
        return _retrying(profile, reason, facts.retry_at, facts.last_error_action, now)
    if facts.check_error:
        reason = f"Could not check the access token: {facts.check_error}"
        return _retrying(profile, reason, None, NextAction.RETRY, now)
    ends = _horizon_ending(facts, now)
    if ends is not None:  # before a renewal under way: the trader must act either way
        reason = f"Sign in again before {local_time(ends)}: the refresh token ends then."
        return Verdict(ConnectionState.EXPIRING, reason, NextAction.RECONNECT, reconnect)
    if not access_valid:
        if live:
            return Verdict(ConnectionState.RENEWING, "Renewing the access token.", NextAction.NONE, "")
        reason = "Signed in; the stored refresh token renews the expired access token on next use."
        return Verdict(ConnectionState.ACTIVE, reason, NextAction.NONE, "")
    proven = f" The broker accepted it {duration(now - facts.checked_at)} ago." if facts.checked_at else ""
    return Verdict(ConnectionState.ACTIVE, f"Access token valid.{proven}", NextAction.NONE, "")


def sign_in_hint(profile: Profile, action: NextAction = NextAction.CONNECT) -> str:
    """How to sign in, naming the button the connection panel shows for `action`."""
    button = "Reconnect" if action == NextAction.RECONNECT else "Connect"
    return f"Press {button}, or run `brokerdeck login {profile.name}`."


def client_refused_hint(profile: Profile) -> str:
    """What fixes a refused secret. Only a confidential client whose secret the trader holds gets here (Schwab's
    app secret, tokens.py), so the words are that secret's and the commands its kind's."""
    name = profile.name
    return (
        f"The app secret was refused: rotate it (Press Rotate keys…, or run `brokerdeck keys rotate {name} start`) "
        f"or enter the current one (`brokerdeck keys init {name} --new-keys`)."
    )


def _retrying(profile: Profile, reason: str, retry_at: float | None, action: NextAction, now: float) -> Verdict:
    when = f" Next try at {local_time(retry_at)} (in {duration(max(0.0, retry_at - now))})." if retry_at else ""
    action = action if action != NextAction.NONE else NextAction.RETRY
    if action == NextAction.RETRY:
        hint = "Press Retry now, or wait."
    elif action == NextAction.RECONNECT:
        hint = sign_in_hint(profile, action)
    else:
        hint = "Fix what the reason says; Brokerdeck tries again by itself."
    return Verdict(ConnectionState.RETRYING, reason + when, action, hint)


def horizon_warning_from(facts: SessionFacts) -> float | None:
    """From when the end of the refresh horizon is near enough to warn about; None without a horizon."""
    ends, began = facts.refresh_expires_at, facts.authorized_at
    if ends is None or began is None:
        return None
    return ends - (ends - began) * HORIZON_WARN_SHARE


def _horizon_ending(facts: SessionFacts, now: float) -> float | None:
    """When the refresh horizon ends, if that is near enough to warn about now."""
    warn = horizon_warning_from(facts)
    return facts.refresh_expires_at if warn is not None and now > warn else None


def _items(facts: SessionFacts, now: float, live: bool) -> tuple[CredentialItem, ...]:
    if not facts.connected and not facts.client_refused:  # a refused secret keeps the tokens: they are shown
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
        state = ConnectionState.ACTIVE
        if facts.client_refused:
            detail, state = f"{detail}: its secret was refused", ConnectionState.FAILED
        items.append(CredentialItem(name="client", state=state, detail=detail))
    return tuple(items)
