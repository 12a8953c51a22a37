"""The Accounts dock bound to the running sessions, the SHADOW position book and the market viewer.

Sessions read their accounts on their own schedule; the dock pulls the latest reports at display rate
(twice a second, and only while it is visible), so a burst of updates costs one render. The SHADOW book
is priced with the viewer's latest quote of the instrument it streams, else with the broker's own price
of an instrument the real account holds. Refresh asks the profile's session to read again now; picking a
position opens its instrument in the market viewer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import QObject, QTimer

from app.account_cli import broker_mark
from app.account_rows import dock_view
from app.market_controller import MarketController
from app.session_bridge import SessionBridge
from brokers.core.accounts import AccountsReport, Position
from brokers.core.profiles import Profile
from brokers.trading.shadow_positions import ShadowPositions
from widgets.account_view_models import AccountsDockView
from widgets.accounts_dock import AccountsDock

RENDER_INTERVAL_MS = 500


class AccountsController(QObject):
    """Renders the selected profile's accounts and SHADOW book into the dock; routes its Refresh and picks."""

    def __init__(
        self,
        dock: AccountsDock,
        sessions: SessionBridge,
        market: MarketController,
        data_dir: Path,
        profiles: Callable[[], Sequence[Profile]],
        say: Callable[[str], None],
        parent: QObject | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(parent)
        self._dock = dock
        self._sessions = sessions
        self._market = market
        self._data_dir = data_dir
        self._profiles = profiles
        self._say = say
        self._clock = clock
        self.profile = ""  # the profile the dock shows
        self._shown: AccountsDockView | None = None
        self._book = ShadowPositions(data_dir)  # one book: it parses its file again only when the file changed
        self._timer = QTimer(self)
        self._timer.setInterval(RENDER_INTERVAL_MS)
        self._timer.timeout.connect(self.render)
        dock.profileChosen.connect(self.choose_profile)
        dock.refreshRequested.connect(self.refresh_now)
        dock.positionChosen.connect(self.open_position)

    def start(self) -> None:
        self._timer.start()
        self.render()

    def stop(self) -> None:
        self._timer.stop()

    def choose_profile(self, name: str) -> None:
        self.profile = name
        self.render()

    def render(self) -> None:
        """Pull the newest reports and show them, when the dock is open and anything it shows changed."""
        if not self._dock.isVisible():
            return
        now = self._clock()
        reports = self._sessions.accounts()
        holders = self._book.holders(tuple(profile.name for profile in self._profiles()))
        listed = [p for p in self._profiles() if p.name in reports or p.name in holders]
        names = [p.name for p in listed]
        if self.profile not in names:
            self.profile = names[0] if names else ""
        report = reports.get(self.profile)
        shadow = self._shadow(self.profile, report, now) if self.profile else None
        view = dock_view([(p.name, p.display_name) for p in listed], self.profile, report, shadow, now)
        if view != self._shown:
            self._shown = view
            self._dock.show_accounts(view)

    def refresh_now(self, name: str) -> None:
        """Ask `name`'s session to read its accounts again now; the dock shows the result when it arrives."""
        session = self._sessions.session(name)
        if session is not None and session.refresh_accounts():
            self._say(f"Reading the accounts of {name} again…")
        else:
            self._say(f"{name} cannot read its accounts again now; the figures shown are its last read.")
        self.render()

    def open_position(self, instrument_id: str, symbol: str) -> None:
        """Show the position's instrument in the market viewer: by the contract id the broker named, else by
        looking its symbol up at the market data source (a Robinhood or Schwab holding)."""
        if instrument_id.isdigit():
            self._market.choose(int(instrument_id))
            self._say(f"{symbol} in the market viewer.")
        else:
            self._market.choose_symbol(symbol)
            self._say(f"Looking {symbol} up for the market viewer…")

    # -- internals -----------------------------------------------------------------------------

    def _shadow(self, name: str, report: AccountsReport | None, now: float) -> AccountsReport:
        return self._book.report(name, self._mark(report), now)

    def _mark(self, report: AccountsReport | None) -> Callable[[Position], Decimal | None]:
        """The viewer's last (else mid) price of the instrument it streams, else the broker's own price."""
        broker = broker_mark(report) if report is not None else None

        def mark(position: Position) -> Decimal | None:
            feed, conid = self._market.feed, self._market.conid
            quotes = feed.quotes(conid) if feed is not None and conid is not None else None
            if quotes is not None and position.instrument_id == str(conid):
                mid = (quotes.bid + quotes.ask) / 2 if quotes.bid is not None and quotes.ask is not None else None
                price = quotes.last if quotes.last is not None else mid
                if price is not None:
                    return Decimal(str(price))
            return broker(position) if broker is not None else None

        return mark
