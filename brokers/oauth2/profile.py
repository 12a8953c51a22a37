"""The `oauth2` profile: any OAuth 2.1 authorization server, signed in through the system browser."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from brokers.core.profiles import (
    Profile,
    declared,
    parse_exact_url,
    parse_flag,
    parse_identifier,
    parse_port,
    parse_scopes,
)


@dataclass(frozen=True, kw_only=True)
class OAuth2Profile(Profile):
    kind: ClassVar[str] = "oauth2"
    issuer: str = declared(
        parse_exact_url,
        help_text="The broker's sign-in server. It must use https (plain http only for 127.0.0.1 / localhost).",
        example="https://auth.example.com",
    )
    resource: str = declared(
        parse_exact_url,
        default="",
        help_text="The API address the tokens are for, when the broker asks for one (RFC 8707).",
        example="https://api.example.com",
    )
    scopes: tuple[str, ...] = declared(
        parse_scopes,
        default=(),
        help_text="The permissions to ask for, separated by spaces.",
        example="offline_access trade",
    )
    client_id: str = declared(
        parse_identifier,
        default="",
        title="Client id",
        help_text="The id the broker gave you. Leave it empty and Brokerdeck registers itself with the broker.",
    )
    redirect_port: int = declared(
        parse_port,
        default=0,
        help_text="The local port your browser returns to after you sign in. Keep “any free port” unless the "
        "broker only accepts a fixed one.",
    )
    loopback_tls: bool = declared(
        parse_flag,
        default=False,
        title="Loopback TLS",
        help_text="Serve the browser's return over https with a self-signed certificate, for a broker that only "
        "redirects to https. The browser warns about the certificate once.",
    )
