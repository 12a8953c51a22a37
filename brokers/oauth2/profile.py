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
    issuer: str = declared(parse_exact_url)
    resource: str = declared(parse_exact_url, default="")
    scopes: tuple[str, ...] = declared(parse_scopes, default=())
    client_id: str = declared(parse_identifier, default="")
    redirect_port: int = declared(parse_port, default=0)
    loopback_tls: bool = declared(parse_flag, default=False)  # serve the browser's return over https (self-signed)
