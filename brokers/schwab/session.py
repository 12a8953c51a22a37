"""A connected Schwab profile while the window runs: the engine's live OAuth session, plus the accounts.

The engine renews the 30-minute access token ahead of expiry and proves it with `accountNumbers`; each
proof also reads the accounts again, so the snapshot is as fresh as the health it stands beside. Before it
loads the stored sign-in, a secret rotation a crash cut off after its proof is completed.
"""

from __future__ import annotations

import asyncio
import dataclasses

from brokers.core.accounts import AccountsReport
from brokers.core.connector import SessionEnv
from brokers.core.health import CredentialHealth
from brokers.oauth2.connector import OAuthLiveSession
from brokers.oauth2.health import oauth2_health
from brokers.schwab.accounts import AccountHashes, read_accounts
from brokers.schwab.engine import engine_profile
from brokers.schwab.profile import SchwabProfile
from brokers.schwab.rotation import settle_profile

ACCOUNTS_REFRESH_S = 60.0  # two calls a minute, far inside Schwab's 120 requests a minute
NOT_READ = "The accounts are read once the sign-in has been proven at Schwab."


class SchwabLiveSession(OAuthLiveSession):
    accounts_refresh_s = ACCOUNTS_REFRESH_S

    def __init__(self, profile: SchwabProfile, env: SessionEnv) -> None:
        super().__init__(engine_profile(profile), env)
        self._schwab = profile
        self._accounts: AccountsReport | None = None
        self._hashes: AccountHashes = {}  # for account paths; never shown or published

    async def run(self) -> None:
        await asyncio.to_thread(settle_profile, self._schwab, self._env.vault)
        await super().run()

    def health(self, now: float) -> CredentialHealth | None:
        return oauth2_health(self._schwab, self._session.facts, now, live=True) if self._loaded else None

    def probe(self) -> bool:
        if not super().probe():
            return False
        self._chore("accounts", self._read_accounts())
        return True

    def accounts(self) -> AccountsReport:
        return self._accounts or AccountsReport(problem=NOT_READ)

    async def _read_accounts(self) -> None:
        report, hashes = await read_accounts(self._session, self._schwab.api)
        self._accounts = dataclasses.replace(report, refresh_s=ACCOUNTS_REFRESH_S)
        if hashes:
            self._hashes = hashes
