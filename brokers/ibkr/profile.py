"""The `ibkr-oauth1a` profile: an IBKR Client Portal Web API account reached with self-service OAuth 1.0a keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from brokers.core.profiles import Profile, declared, parse_identifier, parse_one_of, parse_url
from brokers.core.rotation_policy import rotate_after_days_field
from brokers.ibkr.oauth2_profile import IbkrOAuth2Profile


@dataclass(frozen=True, kw_only=True)
class IbkrProfile(Profile):
    kind: ClassVar[str] = "ibkr-oauth1a"
    base_url: str = declared(parse_url)
    consumer_key: str = declared(parse_identifier)
    realm: str = declared(parse_one_of("limited_poa", "test_realm"), default="limited_poa")
    account: str = declared(parse_identifier, default="")
    rotate_after_days: int = rotate_after_days_field()

    def setup_hint(self) -> str:
        """How the trader gets the profile's keys in place: the one wording every view uses."""
        return f"Run `brokerdeck keys init {self.name}` and register what it prints in IBKR's self-service portal."


#: an IBKR profile of either kind: they share the session, the stream and the orders
type AnyIbkrProfile = IbkrProfile | IbkrOAuth2Profile
