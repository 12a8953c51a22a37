"""The `schwab` connector: profiles load and show plainly that connecting is not available yet."""

from __future__ import annotations

from brokers.core.connector import UnavailableConnector
from brokers.schwab.profile import SchwabProfile


class SchwabConnector(UnavailableConnector):
    profile_class = SchwabProfile
    title = "Charles Schwab Trader API (OAuth 2.0)"
