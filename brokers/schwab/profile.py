"""The `schwab` profile: a Charles Schwab Trader API app, whose secret is kept in the vault."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from brokers.core.profiles import Profile, declared, parse_identifier, parse_loopback_https_callback


@dataclass(frozen=True, kw_only=True)
class SchwabProfile(Profile):
    kind: ClassVar[str] = "schwab"
    app_key: str = declared(parse_identifier)
    callback: str = declared(parse_loopback_https_callback)
