"""The records and refusals of the authorization server, kept apart from the rules that use them.

Codes and access tokens are dictionary keys in `Authority`, never fields here; the few secret
fields (a grant's refresh and access tokens, a pending request's id and state) stay out of every
repr, so printing a record in a failing test or a log cannot leak one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from brokers.sandbox.oauth2.clients import Client


class OAuthError(Exception):
    """An error response of the token or revocation endpoint (RFC 6749 §5.2)."""

    def __init__(self, error: str, description: str, *, status: int = 400, basic_challenge: bool = False) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
        self.basic_challenge = basic_challenge


def invalid_client(description: str, *, basic: bool = False) -> OAuthError:
    return OAuthError("invalid_client", description, status=401, basic_challenge=basic)


class AuthorizePage(Exception):
    """An authorization request that must NOT redirect (unknown client, unregistered redirect URI)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AuthorizeRedirect(Exception):
    """An authorization request refused by redirecting an error back to the validated redirect URI."""

    def __init__(self, error: str, location: str) -> None:
        super().__init__(error)
        self.error = error
        self.location = location


@dataclass(frozen=True)
class TokenInfo:
    """What the resource learns about a valid access token."""

    client_id: str
    scope: tuple[str, ...]
    resource: str
    expires_at: float


@dataclass
class PendingAuthorization:
    """A validated authorization request waiting for the user's sign-in and decision."""

    request_id: str = field(repr=False)
    client: Client
    redirect_uri: str
    state: str | None = field(repr=False)
    code_challenge: str
    resource: str | None
    scope: tuple[str, ...]
    expires_at: float


@dataclass
class AuthorizationCode:
    """What a code (the key it is stored under) stands for: one-time, short-lived, bound to all of this."""

    client_id: str
    redirect_uri: str
    code_challenge: str
    resource: str | None
    scope: tuple[str, ...]
    expires_at: float
    used: bool = False
    grant_id: str | None = None


@dataclass
class Grant:
    """One user consent: its current refresh token and every access token minted under it."""

    grant_id: str
    client_id: str
    scope: tuple[str, ...]
    resource: str | None
    refresh_expires_at: float
    refresh_token: str | None = field(default=None, repr=False)
    access_tokens: set[str] = field(default_factory=set, repr=False)
    revoked: bool = False


@dataclass
class AccessToken:
    """What an access token (the key it is stored under) grants, to whom and for which resource."""

    grant_id: str
    client_id: str
    scope: tuple[str, ...]
    resource: str | None
    expires_at: float
    revoked: bool = False
