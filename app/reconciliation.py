"""Reconciliation in the window: the desk's read-only pass on request (Reconcile) and after every reconnect.

A profile whose connector trades gets a pass each time its order route becomes available (a session that
connected, or connected again), since orders may have changed at the broker while it was away. The pass only
reads, so it runs in SHADOW and LIVE alike. Its findings go below the blotter for the selected profile and
into the health detail as one line per profile.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime

from app.operations import Operations
from brokers.core.order_route import OrderRoute
from brokers.trading.desk import TradingDesk
from brokers.trading.reconcile import ReconcileReport
from widgets.main_window import MainWindow
from widgets.trading_views import FindingView, ReconcileView

log = logging.getLogger(__name__)


def reconcile_view(report: ReconcileReport) -> ReconcileView:
    return ReconcileView(
        profile=report.profile,
        at_text=datetime.fromtimestamp(report.at).strftime("%H:%M:%S"),
        summary=report.summary(),
        findings=tuple(FindingView(f.kind.value, f.detail, f.key) for f in report.findings),
        failed=bool(report.error),
    )


class Reconciler:
    def __init__(
        self,
        desk: TradingDesk,
        window: MainWindow,
        operations: Operations,
        route_for: Callable[[str], OrderRoute | None],
        selected: Callable[[], str],
    ) -> None:
        self._desk = desk
        self._window = window
        self._operations = operations
        self._route_for = route_for
        self._selected = selected
        self._routes: dict[str, OrderRoute | None] = {}  # each trading profile's route at the last look
        self._running: set[str] = set()
        self._again: set[str] = set()  # asked for while a pass was running: one more pass once it ends

    def run(self, profile: str) -> None:
        """One pass for `profile`, shown when it ends; asked for while one runs, another follows it."""
        if not profile:
            return
        if profile in self._running:
            self._again.add(profile)
            return
        self._running.add(profile)

        def ended() -> None:
            self._running.discard(profile)
            if profile in self._again:
                self._again.discard(profile)
                self.run(profile)

        def done(report: ReconcileReport) -> None:
            log.info("Reconciled %s: %s", profile, report.summary())
            ended()
            self.show()

        def failed(error: BaseException) -> None:
            ended()
            self._operations.report(error)

        self._operations.run(self._desk.reconcile(profile), done, failed)

    def after_reconnects(self, trading_profiles: Iterable[str]) -> None:
        """A pass for each trading profile whose route has just become available."""
        for name in trading_profiles:
            route = self._route_for(name)
            before = self._routes.get(name)
            self._routes[name] = route
            if route is not None and route is not before:
                self.run(name)

    def show(self) -> None:
        views = {name: reconcile_view(report) for name, report in self._desk.last_reconcile.items()}
        self._window.blotter.show_reconciliation(views.get(self._selected()))
        self._window.health_indicator.show_reconciliation(views)
