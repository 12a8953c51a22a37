"""The `ibkr-oauth2` profile: an IBKR Client Portal Web API session a firm opens with OAuth 2.0.

IBKR admits only organizations, advisors and introducing brokers to OAuth 2.0; it issues them a client
id and a key id for the public key they send. The profile names those, the IBKR username each session
is for and the public address IBKR sees; the private key lives in the vault.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, ClassVar

from brokers.core.profiles import FieldValueError, Profile, declared, parse_identifier, parse_text, parse_url
from brokers.core.rotation_policy import rotate_after_days_field


def parse_ip_address(value: Any) -> str:
    text = parse_text(value)
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise FieldValueError("must be an IP address such as 203.0.113.7 (the address IBKR sees you from)") from None


@dataclass(frozen=True, kw_only=True)
class IbkrOAuth2Profile(Profile):
    kind: ClassVar[str] = "ibkr-oauth2"
    base_url: str = declared(parse_url, title="Base URL", example="https://api.ibkr.com/v1/api")
    client_id: str = declared(parse_identifier, title="Client id", help_text="the client id IBKR issued")
    key_id: str = declared(parse_identifier, title="Key id", help_text="the key id IBKR issued for the public key")
    credential: str = declared(parse_identifier, title="IBKR username", help_text="whose brokerage session")
    public_ip: str = declared(parse_ip_address, title="Public IP", help_text="the address IBKR sees requests from")
    account: str = declared(parse_identifier, default="")
    rotate_after_days: int = rotate_after_days_field()

    def setup_hint(self) -> str:
        return (
            f"Run `brokerdeck keys init {self.name}`, send the public key it prints to IBKR, and set the client "
            "id and key id IBKR returns in profiles.toml."
        )
