"""Registered clients: RFC 7591 metadata checks and redirect URI matching, with no HTTP.

Redirect URIs are where authorization codes go, so they are checked as strictly as a careful
server does: absolute, no fragment, https except for a literal loopback IP, never "localhost", and
matched byte for byte at the authorization endpoint (only a loopback port may differ).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

SCOPES: tuple[str, ...] = ("read", "trade", "offline_access")
AUTH_METHODS: tuple[str, ...] = ("none", "client_secret_basic", "client_secret_post")
GRANT_TYPES: tuple[str, ...] = ("authorization_code", "refresh_token")
RESPONSE_TYPES: tuple[str, ...] = ("code",)
APPLICATION_TYPES: tuple[str, ...] = ("web", "native")
LOOPBACK_HOSTS: tuple[str, ...] = ("127.0.0.1", "[::1]")
DEFAULT_AUTH_METHOD = "client_secret_basic"  # RFC 7591 §2: the default when the client names none


class RegistrationError(ValueError):
    """A registration request the server refuses; `error` is the RFC 7591 error code."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


@dataclass(frozen=True)
class Client:
    """One registered client. The secret is None for public clients and never shown in a repr."""

    client_id: str
    auth_method: str
    redirect_uris: tuple[str, ...]
    grant_types: tuple[str, ...]
    response_types: tuple[str, ...]
    application_type: str
    issued_at: int
    client_name: str | None = None
    scope: tuple[str, ...] | None = None
    secret: str | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        return self.client_name or self.client_id

    def registration_response(self) -> dict[str, Any]:
        """The RFC 7591 §3.2.1 body: the metadata as registered, plus the credentials issued."""
        body: dict[str, Any] = {
            "client_id": self.client_id,
            "client_id_issued_at": self.issued_at,
            "redirect_uris": list(self.redirect_uris),
            "token_endpoint_auth_method": self.auth_method,
            "grant_types": list(self.grant_types),
            "response_types": list(self.response_types),
            "application_type": self.application_type,
        }
        if self.client_name is not None:
            body["client_name"] = self.client_name
        if self.scope is not None:
            body["scope"] = " ".join(self.scope)
        if self.secret is not None:
            body |= {"client_secret": self.secret, "client_secret_expires_at": 0}
        return body


def register_client(body: Any, now: float, scopes: tuple[str, ...] = SCOPES) -> Client:
    """A new client from a registration request body; RegistrationError says what is wrong."""
    if not isinstance(body, dict):
        raise RegistrationError("invalid_client_metadata", "the body must be a JSON object")
    redirect_uris = _redirect_uris(body.get("redirect_uris"))
    auth_method = body.get("token_endpoint_auth_method", DEFAULT_AUTH_METHOD)
    if auth_method not in AUTH_METHODS:
        raise _bad_metadata(f"token_endpoint_auth_method must be one of {', '.join(AUTH_METHODS)}")
    # RFC 7591 §2: a client that names no grant types will use only the authorization code grant.
    grant_types = _names(body, "grant_types", GRANT_TYPES, default=("authorization_code",))
    response_types = _names(body, "response_types", RESPONSE_TYPES, default=("code",))
    if "authorization_code" in grant_types and "code" not in response_types:
        raise _bad_metadata("the authorization_code grant type needs the 'code' response type")
    client_name = body.get("client_name")
    if client_name is not None and (not isinstance(client_name, str) or not client_name.strip()):
        raise _bad_metadata("client_name must be a non-empty string")
    application_type = body.get("application_type", "web")
    if application_type not in APPLICATION_TYPES:
        raise _bad_metadata(f"application_type must be one of {', '.join(APPLICATION_TYPES)}")
    scope = body.get("scope")
    if scope is not None:
        if not isinstance(scope, str):
            raise _bad_metadata("scope must be a string of space-separated scope names")
        try:
            scope = parse_scope(scope, scopes)
        except ValueError as exc:
            raise _bad_metadata(str(exc)) from None
    return Client(
        client_id=secrets.token_urlsafe(16),
        auth_method=auth_method,
        redirect_uris=redirect_uris,
        grant_types=grant_types,
        response_types=response_types,
        application_type=application_type,
        issued_at=int(now),
        client_name=client_name,
        scope=scope,
        secret=None if auth_method == "none" else secrets.token_urlsafe(32),
    )


def parse_scope(text: str, offered: tuple[str, ...] = SCOPES) -> tuple[str, ...]:
    """Scope names from a space-separated scope string (RFC 6749 §3.3); ValueError when malformed."""
    names = text.split(" ")
    if not text or "" in names:
        raise ValueError("scope must be scope names separated by single spaces")
    unknown = [n for n in names if n not in offered]
    if unknown:
        raise ValueError(f"unknown scope {unknown[0]!r}: this server offers {', '.join(offered)}")
    return tuple(dict.fromkeys(names))


def redirect_matches(registered: str, candidate: str, *, any_port_loopback: bool) -> bool:
    """Whether `candidate` may receive codes for the registered redirect URI.

    Exact string comparison, except that for an http redirect on a loopback IP the port is ignored
    on both sides (RFC 8252 §7.3: a native app listens on whatever port the OS gives it).
    """
    if registered == candidate:
        return True
    if not any_port_loopback or not registered.startswith("http://") or not candidate.startswith("http://"):
        return False
    ours, theirs = _loopback_parts(registered), _loopback_parts(candidate)
    return ours is not None and ours == theirs


def _loopback_parts(uri: str) -> tuple[str, str, str] | None:
    """(host, path, query) of an http loopback URI with a valid or no port; None for anything else."""
    if "#" in uri:
        return None
    parts = urlsplit(uri)
    split = split_netloc(parts.netloc)
    if split is None or split[0] not in LOOPBACK_HOSTS:
        return None
    return split[0], parts.path, parts.query


def split_netloc(netloc: str) -> tuple[str, str | None] | None:
    """(host as written, port text or None), or None when there is userinfo or a bad port."""
    if "@" in netloc:
        return None
    if netloc.startswith("["):
        end = netloc.find("]")
        if end < 0:
            return None
        host, rest = netloc[: end + 1], netloc[end + 1 :]
    else:
        host, sep, port = netloc.partition(":")
        rest = sep + port
    if not rest:
        return host, None
    port_text = rest[1:]
    if not rest.startswith(":") or not port_text.isascii() or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        return None
    return host, port_text


def _redirect_uris(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(u, str) for u in value):
        raise RegistrationError("invalid_redirect_uri", "redirect_uris must be a non-empty list of URIs")
    for uri in value:
        _check_redirect_uri(uri)
    return tuple(dict.fromkeys(value))


def _check_redirect_uri(uri: str) -> None:
    def bad(why: str) -> RegistrationError:
        return RegistrationError("invalid_redirect_uri", f"redirect URI {uri!r} {why}")

    if "#" in uri:
        raise bad("must not have a fragment")
    if any(c.isspace() for c in uri):
        raise bad("must not contain whitespace")
    parts = urlsplit(uri)
    split = split_netloc(parts.netloc)
    if not parts.scheme or not parts.netloc or split is None or not split[0]:
        raise bad("must be an absolute URI with a host, a valid port if any, and no user info")
    host = split[0]
    if uri.startswith("https://"):
        return
    if not uri.startswith("http://"):
        raise bad("must use https (or http on the loopback IPs 127.0.0.1 and [::1])")
    if host.lower() == "localhost":
        raise bad("uses 'localhost': use the loopback IP 127.0.0.1 or [::1] instead (RFC 8252 §8.3)")
    if host not in LOOPBACK_HOSTS:
        raise bad("must use https: plain http is accepted only on the loopback IPs 127.0.0.1 and [::1]")


def _names(body: dict[str, Any], key: str, allowed: tuple[str, ...], default: tuple[str, ...]) -> tuple[str, ...]:
    value = body.get(key)
    if value is None:
        return default
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v in allowed for v in value):
        raise _bad_metadata(f"{key} must be a non-empty list drawn from {', '.join(allowed)}")
    return tuple(dict.fromkeys(value))


def _bad_metadata(description: str) -> RegistrationError:
    return RegistrationError("invalid_client_metadata", description)
