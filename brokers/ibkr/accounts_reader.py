"""An IBKR profile's accounts read on a schedule within IBKR's pacing, and soon after its own fills.

Nothing is read until someone asks for the accounts (`want`): a terminal command that only places an order
must not spend the login's 1-per-5-s listing that a window or `brokerdeck account` may need next. From then
on the reader waits for the brokerage session to be ready, then reads every `refresh_s` (15 s: well within
the 1 per 5 s of `/portfolio/accounts` and `pnl/partitioned`, and the global 10 per second), at once when
the trader asks, and `after_fill_s` after the profile's orders fill (the paged positions invalidated first).
A failed read keeps the last good report, which ages into stale by its `refresh_s`, and says why.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace

from brokers.core.accounts import AccountsReport
from brokers.core.retry import Wakeable
from brokers.ibkr.errors import IbkrError
from brokers.ibkr.portfolio import IbkrPortfolio
from brokers.ibkr.session import SessionPhase

log = logging.getLogger(__name__)

REFRESH_S = 15.0
AFTER_FILL_S = 1.0  # long enough for IBKR to book the fill, short enough to feel immediate
NOT_READ = "The accounts are read once the IBKR brokerage session is ready."


class IbkrAccountsReader:
    """Runs beside the session's keep-alive; `report` is the latest, `on_report` is told of each new one."""

    def __init__(
        self,
        portfolio: IbkrPortfolio,
        on_report: Callable[[], None],
        *,
        refresh_s: float = REFRESH_S,
        after_fill_s: float = AFTER_FILL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.portfolio, self._on_report = portfolio, on_report
        self.refresh_s, self._after_fill_s, self._clock = refresh_s, after_fill_s, clock
        self.report = AccountsReport(problem=NOT_READ, refresh_s=refresh_s)
        self._wake = Wakeable()
        self._due_at = 0.0
        self.reads = 0  # completed reads, good or failed
        self._wanted = False

    def want(self) -> None:
        """Someone shows the accounts: start reading them (once started, the schedule keeps them fresh)."""
        if not self._wanted:
            self._wanted = True
            self._wake.wake()

    def refresh(self) -> bool:
        """Read now rather than at the next scheduled read; False while the session is not ready."""
        self._wanted = True
        self._due_at = self._clock()
        self._wake.wake()
        return self._ready()

    def orders_filled(self) -> None:
        """The profile's orders filled (or may have): read positions again shortly, invalidated."""
        self.portfolio.positions_changed()
        self._due_at = min(self._due_at, self._clock() + self._after_fill_s)
        self._wake.wake()

    def session_changed(self) -> None:
        """The session's state changed: a reader waiting for it to be ready looks again."""
        self._wake.wake()

    def _ready(self) -> bool:
        snapshot = self.portfolio.session.snapshot
        return snapshot.phase == SessionPhase.READY and snapshot.authenticated is True

    async def run(self) -> None:
        """Read on schedule until cancelled."""
        while True:
            if not self._wanted or not self._ready():
                await self._wake.sleep(None)
                continue
            if (wait := self._due_at - self._clock()) > 0:
                await self._wake.sleep(wait)
                continue
            self._due_at = self._clock() + self.refresh_s
            try:
                report = await self.portfolio.read()
            except IbkrError as error:
                log.warning("Reading the IBKR accounts failed: %s", error)
                report = self._failed(str(error))
            except Exception as error:  # an unreadable answer: the keep-alive beside this reader must go on
                log.exception("Reading the IBKR accounts failed")
                report = self._failed(f"IBKR's answer could not be read ({type(error).__name__})")
            self.report = replace(report, refresh_s=self.refresh_s)
            self.reads += 1
            self._on_report()

    def _failed(self, reason: str) -> AccountsReport:
        last = self.report
        if last.taken_at is None or last.problem:
            return AccountsReport(taken_at=time.time(), problem=f"The accounts could not be read: {reason}")
        return replace(last, details={**last.details, "last read failed": reason})
