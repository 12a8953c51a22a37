"""OAuth failures as types, each a complete sentence for the trader plus the one action that fixes it.

The action is a `brokers.core.health.NextAction` value, so the window and the CLI can offer the right
button or command without parsing messages.
"""

from __future__ import annotations


class OAuthError(Exception):
    """Base class; `str(error)` says what happened and what to do."""

    action: str = "retry"


class ServerUnreachable(OAuthError):
    """The server did not answer (network, DNS, refused connection, timeout)."""

    action = "retry"


class DiscoveryError(OAuthError):
    """No usable metadata: the profile points at something that is not this kind of server."""

    action = "fix_profile"


class InsecureEndpoint(DiscoveryError):
    """An endpoint is plain http on a non-loopback host."""


class IssuerMismatch(DiscoveryError):
    """The metadata, the resource or a response names another authorization server."""


class ResourceMismatch(DiscoveryError):
    """The protected-resource metadata describes another resource than the one asked for."""


class PkceUnsupported(DiscoveryError):
    """The server does not list S256 PKCE; logging in without it would be unsafe."""


class RegistrationError(OAuthError):
    """Dynamic client registration was refused or returned something unusable."""

    action = "fix_profile"


class LoginFailed(OAuthError):
    """The browser login did not produce tokens; connecting again may work."""

    action = "connect"


class AuthorizationDenied(LoginFailed):
    """The trader (or the broker) declined the request on the consent page."""


class StateMismatch(LoginFailed):
    """A callback that does not belong to the login under way (forged, stale or replayed)."""


class LoginTimeout(LoginFailed):
    """Nobody approved the request in time."""


class LoginCancelled(LoginFailed):
    """The trader cancelled the login."""


class TokenRequestFailed(OAuthError):
    """The token endpoint refused a request for a reason other than a dead grant."""

    action = "retry"


class LoginRequired(OAuthError):
    """The stored grant is dead (invalid_grant, invalid_client, expired, revoked): sign in again."""

    action = "reconnect"


class CallbackRejected(OAuthError):
    """A pasted or received redirect URL that cannot be used (wrong address, malformed)."""

    action = "connect"
