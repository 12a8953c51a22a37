"""OAuth failures as types, each a complete sentence for the trader plus the one action that fixes it."""

from __future__ import annotations

from brokers.core.actions import NextAction
from brokers.core.errors import BrokerError


class OAuthError(BrokerError):
    """Base class; `str(error)` says what happened and what to do.

    Given apart, `what` (what happened) can be shown where the remedy is said another way: the browser's
    page after a refused redirect says what to do in the app itself; `reply` is the server's error, for a
    caller that words the situation itself (a rotation proving a new secret).
    """

    action = NextAction.RETRY

    def __init__(self, what: str, todo: str = "", *, reply: str = "") -> None:
        super().__init__(f"{what}; {todo}" if todo else what)
        self.what = what
        self.reply = reply  # the server's own error ("invalid_client: Unauthorized"), when it sent one


class ServerUnreachable(OAuthError):
    """The server did not answer (network, DNS, refused connection, timeout)."""

    action = NextAction.RETRY


class DiscoveryError(OAuthError):
    """No usable metadata: the profile points at something that is not this kind of server."""

    action = NextAction.FIX_PROFILE


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

    action = NextAction.FIX_PROFILE


class LoginFailed(OAuthError):
    """The browser login did not produce tokens; connecting again may work."""

    action = NextAction.CONNECT


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

    action = NextAction.RETRY


class LoginRequired(OAuthError):
    """The stored grant is dead (invalid_grant, invalid_client, a refresh's unsupported_token_type, expired,
    revoked): sign in again. A token endpoint answering with a page instead of JSON is never this."""

    action = NextAction.RECONNECT


class ClientRefused(LoginRequired):
    """A refresh was refused because of the client's own secret (invalid_client, unauthorized_client), not the
    grant: the refresh token may well live, so it is kept, unused, until a secret proves by renewing it.

    A LoginRequired, so whatever stops on a dead grant (the keep-alive, the checks) stops here too; only the
    session's bookkeeping tells them apart (it keeps the tokens)."""

    action = NextAction.ROTATE_KEYS


class CallbackRejected(OAuthError):
    """A pasted or received redirect URL that cannot be used (wrong address, malformed)."""

    action = NextAction.CONNECT
