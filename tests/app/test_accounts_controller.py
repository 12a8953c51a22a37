"""The Accounts dock bound to the real app: a real sandbox, the IBKR session and its market feed, the trading
desk's SHADOW fills, the SHADOW position book on disk, and the dock's widgets clicked as a trader clicks them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.accounts_controller import AccountsController
from app.context import AppContext
from app.market_controller import MarketController
from app.operations import Operations
from app.status_controller import StatusController
from app.trading_controller import TradingController
from brokers.core.orders import OrderRequest, OrderType, Side
from brokers.core.paths import Paths
from tests.conftest import run_on_qt_loop
from widgets.account_view_models import PositionLine
from widgets.main_window import MainWindow
from widgets.trading_views import SHADOW

pytestmark = pytest.mark.secretservice

PROFILE = "sandbox-ibkr"
ACCOUNT = "DU1234567"  # the sandbox IBKR profile's account
AAPL, MSFT = 265598, 272093  # the sandbox market's instruments


@dataclass
class Window:
    window: MainWindow
    market: MarketController
    trading: TradingController
    accounts: AccountsController
    errors: list[BaseException]

    def shadow_rows(self) -> list[PositionLine]:
        dock = self.window.accounts_dock
        book = dock.book()
        if dock.profile_picker.currentData() != PROFILE or book is None or not book.simulated:
            return []
        return [row for row in dock.rows() if not row.is_total]

    def pick_profile(self, qtbot: Any) -> None:
        """Pick PROFILE in the dock's profile picker, as soon as the dock lists it."""
        picker = self.window.accounts_dock.profile_picker
        qtbot.waitUntil(lambda: picker.findData(PROFILE) >= 0, timeout=5_000)
        picker.setCurrentIndex(picker.findData(PROFILE))
        picker.activated.emit(picker.currentIndex())
        dock = self.window.accounts_dock
        dock.select_book(SHADOW)

    def quoted(self, conid: int) -> bool:
        feed = self.market.feed
        quotes = feed.quotes(conid) if feed is not None and self.market.conid == conid else None
        return quotes is not None and quotes.bid is not None and quotes.ask is not None


@pytest.fixture
def app(home: Paths, vault: Any, sandbox: Any, qloop: Any, qtbot: Any) -> Iterator[Window]:
    window = MainWindow()
    window.resize(1400, 900)
    window.show()
    errors: list[BaseException] = []
    operations = Operations(errors.append)
    context = AppContext(home)
    status = StatusController(context, vault, window, operations)
    market = MarketController(
        window.market_viewer, status.sessions.market_sources, status.sessions.changed, operations, parent=window
    )
    trading = TradingController(
        home.data_dir, window, context.registry, status.sessions, market, operations, status.profiles
    )
    accounts = AccountsController(
        window.accounts_dock, status.sessions, market, home.data_dir, status.profiles, window.show_message
    )
    status.start()
    market.start()
    trading.start()
    accounts.start()
    window.show_accounts()
    try:
        yield Window(window, market, trading, accounts, errors)
    finally:
        accounts.stop()
        trading.stop()
        run_on_qt_loop(qloop, qtbot, market.stop())
        run_on_qt_loop(qloop, qtbot, status.stop())
        window.close()
        window.deleteLater()


def test_a_shadow_fill_shows_in_the_shadow_book_priced_at_the_viewers_market(
    app: Window, qloop: Any, qtbot: Any
) -> None:
    dock = app.window.accounts_dock
    qtbot.waitUntil(lambda: app.quoted(AAPL), timeout=45_000)
    assert app.shadow_rows() == []

    app.trading.set_limits(PROFILE, "100000", "300000")
    request = OrderRequest(PROFILE, "AAPL", AAPL, Side.BUY, Decimal(10), OrderType.MARKET)
    result = run_on_qt_loop(qloop, qtbot, app.trading.desk.place(request))
    assert result.ok, result.refused

    # The dock lists the profile for its SHADOW book and prices the holding at the streamed quote.
    app.pick_profile(qtbot)
    qtbot.waitUntil(lambda: len(app.shadow_rows()) == 1 and app.shadow_rows()[0].market_price != "-", timeout=5_000)
    (row,) = app.shadow_rows()
    assert (row.book, row.symbol, row.quantity, row.instrument_id) == (SHADOW, "AAPL", "10", str(AAPL))
    assert row.simulated
    assert dock.shadow_badge.isVisible()
    assert dock.rows()[-1].is_total
    picker = dock.account_picker
    assert [picker.itemData(i) for i in range(picker.count())][-1:] == [SHADOW]  # its own entry, after any real one

    # Picking the position while the viewer shows another instrument brings the holding's instrument back.
    app.market.choose(MSFT)
    qtbot.waitUntil(lambda: app.shadow_rows() != [] and app.shadow_rows()[0].market_price == "-", timeout=5_000)
    rect = dock.table.visualRect(dock.model.index(0, 1))
    qtbot.mouseClick(dock.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert app.market.conid == AAPL
    assert app.window.status_label.text() == "AAPL in the market viewer."
    qtbot.waitUntil(lambda: app.shadow_rows()[0].market_price != "-", timeout=10_000)
    assert app.errors == []


def test_the_broker_account_shows_beside_the_shadow_book_and_refresh_reads_it_again(
    app: Window, qloop: Any, qtbot: Any
) -> None:
    dock = app.window.accounts_dock
    qtbot.waitUntil(lambda: app.quoted(AAPL), timeout=45_000)
    app.trading.set_limits(PROFILE, "100000", "300000")
    request = OrderRequest(PROFILE, "AAPL", AAPL, Side.BUY, Decimal(5), OrderType.MARKET)
    assert run_on_qt_loop(qloop, qtbot, app.trading.desk.place(request)).ok
    app.pick_profile(qtbot)
    assert app.accounts.profile == PROFILE

    # The sandbox IBKR account, read over HTTP by the session: masked, with its balances, and no position
    # from the SHADOW fill (the simulated book is its own entry).
    picker = dock.account_picker
    real = f"••••{ACCOUNT[-4:]}"
    qtbot.waitUntil(lambda: picker.findData(real) >= 0, timeout=30_000)
    dock.select_book(real)
    book = dock.book()
    assert book is not None
    assert not book.simulated
    assert {figure.key for figure in book.balances} >= {"net_liquidation", "cash", "buying_power"}
    assert not any(row.symbol == "AAPL" for row in dock.rows() if not row.is_total)
    assert not dock.shadow_badge.isVisible()

    qtbot.mouseClick(dock.refresh_button, Qt.MouseButton.LeftButton)
    assert app.window.status_label.text() == f"Reading the accounts of {PROFILE} again…"
    assert app.errors == []


def test_a_holding_without_a_contract_id_is_looked_up_by_symbol(app: Window, qtbot: Any) -> None:
    qtbot.waitUntil(lambda: app.quoted(AAPL), timeout=45_000)
    app.accounts.open_position("", "MSFT")  # a Robinhood or Schwab holding names no IBKR contract
    qtbot.waitUntil(lambda: app.market.conid == MSFT, timeout=10_000)
    assert app.errors == []
