"""The `schwab` profile: a Charles Schwab Trader API app, whose secret is kept in the vault."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from brokers.core.profiles import Profile, declared, parse_identifier, parse_loopback_https_callback, parse_url

SCHWAB_API = "https://api.schwabapi.com"


@dataclass(frozen=True, kw_only=True)
class SchwabProfile(Profile):
    kind: ClassVar[str] = "schwab"
    app_key: str = declared(
        parse_identifier,
        title="App key",
        help_text="The App Key of your app at developer.schwab.com (its secret goes into the vault, not here).",
    )
    callback: str = declared(
        parse_loopback_https_callback,
        help_text="The app's Callback URL exactly as registered with Schwab, e.g. https://127.0.0.1:8182/callback "
        "(no trailing /).",
        example="https://127.0.0.1:8182/callback",
    )
    api: str = declared(
        parse_url,
        default=SCHWAB_API,
        title="API address",
        help_text="Where Schwab's OAuth and Trader API are served; keep the default.",
    )
