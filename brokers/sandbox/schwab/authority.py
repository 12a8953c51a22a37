"""Schwab's authorization rules, in memory: one registered app, 30 s codes, 30 min access, 7 days of refresh.

What sets Schwab apart from the generic OAuth sandbox is kept here: the app is confidential (key and
secret over HTTP Basic), the callback must match the registered one byte for byte (a trailing "/" is
refused, as Schwab refuses it), PKCE is not asked for, and the refresh token dies 7 days after the
code grant however often it is used. The clock can be moved forward so tests need not wait for days.

The app's secret can be replaced, as the developer portal does: the new secret works at once, and the ones
it replaced keep working beside it until their grace period ends (`secret_grace_s`, or ended at once).
"""

from __future__ import annotations

import dataclasses
import json
import secrets
import time
from dataclasses import dataclass, field

CODE_LIFETIME_S = 30.0
ACCESS_LIFETIME_S = 1800.0
REFRESH_LIFETIME_S = 7 * 86400.0
SECRET_GRACE_S = 86400.0  # how long a replaced app secret keeps working beside the new one


class SchwabOAuthError(Exception):
    """A token-endpoint refusal with Schwab's body."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def dead_refresh_token() -> SchwabOAuthError:
    """What Schwab answers for an expired, revoked or superseded refresh token: a JSON error nested in a string."""
    digest = secrets.token_urlsafe(12)
    inner = {
        "error_description": f"Exception while authenticating refresh token [tokenDigest={digest}], "
        f"Exception=Failed refresh token authentication [tokenDigest={digest}]]",
        "error": "refresh_token_authentication_error",
    }
    return SchwabOAuthError("unsupported_token_type", f"400 Bad Request: {json.dumps(json.dumps(inner))}")


@dataclass(frozen=True)
class SchwabApp:
    key: str
    secret: str = field(repr=False)
    callback: str


@dataclass
class Pending:
    request_id: str
    redirect_uri: str
    state: str
    expires_at: float


@dataclass
class Code:
    redirect_uri: str
    expires_at: float
    used: bool = False


@dataclass
class Grant:
    """One code grant's chain: the refresh horizon is fixed at the grant; access tokens come and go."""

    refresh_token: str
    refresh_expires_at: float
    access_tokens: dict[str, float] = field(default_factory=dict)  # token -> expiry
    revoked: bool = False


@dataclass
class Lifetimes:
    code_s: float = CODE_LIFETIME_S
    access_s: float = ACCESS_LIFETIME_S
    refresh_s: float = REFRESH_LIFETIME_S
    secret_grace_s: float = SECRET_GRACE_S


class SchwabAuthority:
    """Issues and checks Schwab tokens for one app; `now()` is the sandbox's own (movable) clock."""

    def __init__(self, app: SchwabApp) -> None:
        self.app = app
        self.lifetimes = Lifetimes()
        self.offset_s = 0.0
        self.token_requests: list[dict[str, str]] = []
        self._pending: dict[str, Pending] = {}
        self._codes: dict[str, Code] = {}
        self._grants: list[Grant] = []
        self._retired: dict[str, float] = {}  # replaced secret -> end of its grace period

    def now(self) -> float:
        return time.time() + self.offset_s

    def start(self, client_id: str, redirect_uri: str, state: str) -> Pending:
        """A consent page to show; ValueError (the page's text) when the request cannot go back to the app."""
        if client_id != self.app.key:
            raise ValueError("We are unable to complete your request. The app key is not registered.")
        if redirect_uri != self.app.callback:
            raise ValueError("Access Denied: the callback URL does not match the one registered for this app.")
        pending = Pending(secrets.token_urlsafe(16), redirect_uri, state, self.now() + 600)
        self._pending[pending.request_id] = pending
        return pending

    def pending(self, request_id: str) -> Pending | None:
        pending = self._pending.get(request_id)
        return pending if pending is not None and pending.expires_at > self.now() else None

    def decide(self, request_id: str, allow: bool) -> dict[str, str]:
        """The callback's query parameters after the trader's decision (the request is spent)."""
        pending = self._pending.pop(request_id)
        extra = {"state": pending.state} if pending.state else {}
        if not allow:
            return {"error": "access_denied", **extra}
        # Schwab's codes end in "@", which travels percent-encoded: the client must decode it before the POST.
        code = f"C0.{secrets.token_urlsafe(24)}@"
        self._codes[code] = Code(pending.redirect_uri, self.now() + self.lifetimes.code_s)
        return {"code": code, "session": secrets.token_hex(16), **extra}

    def authenticate(self, basic: tuple[str, str] | None) -> str:
        """Which of the app's secrets authenticated ("current", or "replaced" while one is in its grace period)."""
        if basic is None:
            raise SchwabOAuthError("invalid_client", "Client authentication failed: send the app key and secret", 401)
        key, secret = basic
        if secrets.compare_digest(key.encode(), self.app.key.encode()):
            for number, known in enumerate(self.accepted_secrets()):
                if secrets.compare_digest(secret.encode(), known.encode()):
                    return "replaced" if number else "current"
        raise SchwabOAuthError("invalid_client", "Unauthorized", 401)

    def accepted_secrets(self) -> list[str]:
        """The app's secret, newest first, then those it replaced whose grace period still runs."""
        now = self.now()
        return [self.app.secret, *(s for s, until in self._retired.items() if until > now)]

    def issue_secret(self, grace_s: float | None = None) -> tuple[str, float]:
        """A new app secret, as the developer portal issues one; the old one works until the grace ends then."""
        until = self.now() + (self.lifetimes.secret_grace_s if grace_s is None else max(0.0, grace_s))
        self._retired[self.app.secret] = until
        self.app = dataclasses.replace(self.app, secret=secrets.token_urlsafe(24))
        return self.app.secret, until

    def end_grace(self) -> int:
        """Replaced secrets stop working now; how many still worked."""
        ended = len(self.accepted_secrets()) - 1
        self._retired.clear()
        return ended

    def token(self, form: dict[str, str]) -> dict[str, object]:
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self._exchange(form)
        if grant_type == "refresh_token":
            return self._refresh(form.get("refresh_token", ""))
        raise SchwabOAuthError("unsupported_grant_type", f"grant_type {grant_type!r} is not supported")

    def access_valid(self, token: str) -> bool:
        now = self.now()
        return any(not g.revoked and g.access_tokens.get(token, 0.0) > now for g in self._grants)

    def expire_access(self) -> None:
        for grant in self._grants:
            grant.access_tokens.clear()

    def revoke_all(self) -> None:
        """What a sign-in elsewhere or a revoked app does: every token stops working."""
        for grant in self._grants:
            grant.revoked = True

    def _exchange(self, form: dict[str, str]) -> dict[str, object]:
        code = self._codes.get(form.get("code", ""))
        if code is None or code.used or code.expires_at <= self.now():
            raise SchwabOAuthError("invalid_grant", "The authorization code is invalid or has expired")
        code.used = True
        if form.get("redirect_uri") != code.redirect_uri:
            raise SchwabOAuthError("invalid_grant", "redirect_uri does not match the authorization request")
        grant = Grant(secrets.token_urlsafe(32), self.now() + self.lifetimes.refresh_s)
        self._grants.append(grant)
        return self._issue(grant)

    def _refresh(self, refresh_token: str) -> dict[str, object]:
        now = self.now()
        for grant in self._grants:
            if secrets.compare_digest(grant.refresh_token.encode(), refresh_token.encode()):
                if grant.revoked or grant.refresh_expires_at <= now:
                    break
                return self._issue(grant)
        raise dead_refresh_token()

    def _issue(self, grant: Grant) -> dict[str, object]:
        access = f"I0.{secrets.token_urlsafe(32)}@"
        grant.access_tokens[access] = self.now() + self.lifetimes.access_s
        return {
            "expires_in": int(self.lifetimes.access_s),
            "token_type": "Bearer",
            "scope": "api",
            "refresh_token": grant.refresh_token,  # Schwab returns the same refresh token; its horizon stays
            "access_token": access,
            "id_token": secrets.token_urlsafe(48),
        }
