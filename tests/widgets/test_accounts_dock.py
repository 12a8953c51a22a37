"""The Accounts dock as a trader uses it: reports mapped as the app maps them, clicks on the real widgets."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt

from app.account_rows import dock_view
from brokers.core.accounts import SHADOW_ACCOUNT, AccountSnapshot, AccountsReport, Position
from widgets.account_view_models import AccountsDockView
from widgets.accounts_dock import POSITION_COLUMNS, AccountsDock
from widgets.theme import THEME
from widgets.trading_views import MODE_COLORS, SHADOW

NOW = 1_750_000_000.0
PROFILES = (("paper", "Paper"), ("other", "Other"))
VALUE_COLUMN = next(i for i, c in enumerate(POSITION_COLUMNS) if c.key == "market_value")
UNREALIZED_COLUMN = next(i for i, c in enumerate(POSITION_COLUMNS) if c.key == "unrealized_pnl")


def position(symbol: str, conid: str, value: str, unrealized: str, quantity: str = "10") -> Position:
    return Position(
        symbol=symbol,
        quantity=Decimal(quantity),
        average_price=Decimal("100"),
        market_price=Decimal(value) / Decimal(quantity),
        market_value=Decimal(value),
        unrealized_pnl=Decimal(unrealized),
        realized_pnl=Decimal("0"),
        instrument_id=conid,
    )


def broker_report(*positions: Position, taken_at: float = NOW, problem: str = "") -> AccountsReport:
    account = AccountSnapshot(
        account="••••4567",
        kind="MARGIN",
        net_liquidation=Decimal("125000.50"),
        cash=Decimal("20000"),
        buying_power=Decimal("80000"),
        equity=Decimal("125000.50"),
        day_pnl=Decimal("-312.25"),
        unrealized_pnl=Decimal("1500"),
        realized_pnl=Decimal("0"),
        positions=positions,
    )
    return AccountsReport(accounts=(account,), taken_at=taken_at, refresh_s=5.0, problem=problem)


def shadow_report(*positions: Position) -> AccountsReport:
    book = AccountSnapshot(
        account=SHADOW_ACCOUNT,
        kind="simulated",
        positions=positions,
        unrealized_pnl=sum((p.unrealized_pnl or Decimal(0) for p in positions), Decimal(0)),
        realized_pnl=Decimal(0),
        simulated=True,
        positions_at=NOW - 60,
    )
    return AccountsReport(accounts=(book,), taken_at=NOW)


def view(report: AccountsReport | None, shadow: AccountsReport | None = None, now: float = NOW) -> AccountsDockView:
    return dock_view(PROFILES, "paper", report, shadow or shadow_report(), now)


@pytest.fixture
def dock(qtbot: Any) -> AccountsDock:
    widget = AccountsDock()
    qtbot.addWidget(widget)
    widget.resize(1000, 400)
    widget.show()
    return widget


def symbols(dock: AccountsDock) -> list[str]:
    return [row.symbol for row in dock.rows()]


def cell(dock: AccountsDock, row: int, column: int, role: Qt.ItemDataRole = Qt.ItemDataRole.DisplayRole) -> Any:
    return dock.model.data(dock.model.index(row, column), role)


def click_header(qtbot: Any, dock: AccountsDock, column: int) -> None:
    header = dock.table.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))


def test_the_table_fills_with_the_positions_and_a_totals_row(dock: AccountsDock) -> None:
    dock.show_accounts(
        view(broker_report(position("AAPL", "265598", "1900", "900"), position("MSFT", "272093", "4000", "-50")))
    )
    assert symbols(dock) == ["AAPL", "MSFT", "Total"]
    aapl, _, total = dock.rows()
    assert (aapl.quantity, aapl.average_price, aapl.market_price, aapl.market_value) == (
        "10",
        "100.00",
        "190.00",
        "1,900.00",
    )
    assert (total.market_value, total.unrealized_pnl, total.realized_pnl) == ("5,900.00 USD", "850.00", "0.00")
    assert cell(dock, 2, 1, Qt.ItemDataRole.FontRole).bold()
    assert cell(dock, 0, 1, Qt.ItemDataRole.FontRole) is None
    assert dock.balance_labels["net_liquidation"].text() == "125,000.50"
    assert dock.balance_labels["buying_power"].text() == "80,000.00"
    assert dock.balance_labels["currency"].text() == "USD"
    assert dock.age_label.text() == "read 0 s ago"
    assert not dock.problem_label.isVisible()


def test_a_header_click_sorts_once_and_updates_keep_the_order(dock: AccountsDock, qtbot: Any) -> None:
    first = broker_report(
        position("AAPL", "1", "1900", "900"), position("MSFT", "2", "4000", "-50"), position("IBM", "3", "500", "5")
    )
    dock.show_accounts(view(first))
    click_header(qtbot, dock, VALUE_COLUMN)
    assert symbols(dock) == ["IBM", "AAPL", "MSFT", "Total"]
    dock.table.selectRow(1)

    # MSFT falls below IBM and a new holding arrives: the rows stay where the trader sorted them, cells change.
    moved = broker_report(
        position("AAPL", "1", "1950", "950"),
        position("MSFT", "2", "300", "-3750"),
        position("IBM", "3", "510", "15"),
        position("TSLA", "4", "2500", "100"),
    )
    dock.show_accounts(view(moved, now=NOW + 1))
    assert symbols(dock) == ["IBM", "AAPL", "MSFT", "TSLA", "Total"]
    assert cell(dock, 2, VALUE_COLUMN) == "300.00"
    assert dock.table.selectionModel().selectedRows()[0].row() == 1  # the selection stayed on AAPL

    click_header(qtbot, dock, VALUE_COLUMN)  # the same header again: the other way
    assert symbols(dock) == ["TSLA", "AAPL", "IBM", "MSFT", "Total"]
    click_header(qtbot, dock, 1)
    assert symbols(dock) == ["AAPL", "IBM", "MSFT", "TSLA", "Total"]


def test_profit_and_loss_are_coloured_as_the_theme_says(dock: AccountsDock) -> None:
    dock.show_accounts(view(broker_report(position("AAPL", "1", "1900", "900"), position("MSFT", "2", "4000", "-50"))))
    gain = cell(dock, 0, UNREALIZED_COLUMN, Qt.ItemDataRole.ForegroundRole)
    loss = cell(dock, 1, UNREALIZED_COLUMN, Qt.ItemDataRole.ForegroundRole)
    assert (gain.name(), loss.name()) == (THEME["gain"], THEME["loss"])
    assert cell(dock, 0, VALUE_COLUMN, Qt.ItemDataRole.ForegroundRole) is None  # only P&L is toned
    assert THEME["loss"] in dock.balance_labels["day_pnl"].styleSheet()
    assert THEME["gain"] in dock.balance_labels["unrealized_pnl"].styleSheet()
    assert THEME["gain"] not in dock.balance_labels["cash"].styleSheet()


def test_old_figures_are_marked_stale_with_the_brokers_words(dock: AccountsDock) -> None:
    dock.show_accounts(view(broker_report(position("AAPL", "1", "1900", "900")), now=NOW + 10))
    assert dock.age_label.text() == "read 10 s ago"
    assert THEME["stale"] not in dock.age_label.styleSheet()

    refused = broker_report(position("AAPL", "1", "1900", "900"), problem="IBKR refused the read: too many requests")
    dock.show_accounts(view(refused, now=NOW + 40))  # three periods of 5 s went by
    assert dock.age_label.text() == "read 40 s ago"
    assert THEME["stale"] in dock.age_label.styleSheet()
    assert dock.problem_label.isVisible()
    assert dock.problem_label.text() == "IBKR refused the read: too many requests"

    dock.show_accounts(view(AccountsReport(problem="Sign in to read the accounts.")))
    assert dock.age_label.text() == "not read yet"
    assert dock.problem_label.text() == "Sign in to read the accounts."
    assert symbols(dock) == []


def test_the_shadow_book_is_its_own_entry_badged_and_never_added_to_the_real_account(dock: AccountsDock) -> None:
    real = broker_report(position("AAPL", "1", "1900", "900"))
    shadow = shadow_report(position("AAPL", "1", "950", "-50", quantity="5"))
    dock.show_accounts(view(real, shadow))
    picker = dock.account_picker
    assert [picker.itemText(i) for i in range(picker.count())] == ["••••4567 MARGIN", "SHADOW (simulated)"]
    assert picker.isVisible()
    assert not dock.shadow_badge.isVisible()
    assert [row.book for row in dock.rows()] == ["••••4567", ""]
    assert dock.rows()[-1].market_value == "1,900.00 USD"  # the real total holds the real position only

    dock.select_book(SHADOW)
    assert dock.shadow_badge.isVisible()
    assert dock.shadow_badge.text() == "SHADOW"
    assert [(row.book, row.quantity) for row in dock.rows()] == [("SHADOW", "5"), ("SHADOW", "")]
    assert dock.rows()[-1].market_value == "950.00 USD"
    background = cell(dock, 0, 0, Qt.ItemDataRole.BackgroundRole)
    assert background.name() == MODE_COLORS[SHADOW][0]
    assert "simulated" in dock.age_label.text()
    assert list(dock.balance_labels) == ["unrealized_pnl", "realized_pnl"]  # a simulated book has no cash
    assert dock.balance_labels["unrealized_pnl"].text() == "-50.00"

    dock.show_accounts(view(real, shadow, now=NOW + 1))  # an update keeps the trader's pick
    assert dock.account_picker.currentText() == "SHADOW (simulated)"
    assert dock.shadow_badge.isVisible()


def test_picking_a_position_names_its_instrument(dock: AccountsDock, qtbot: Any) -> None:
    dock.show_accounts(
        view(broker_report(position("AAPL", "265598", "1900", "900"), position("MSFT", "272093", "4000", "-50")))
    )
    rect = dock.table.visualRect(dock.model.index(1, 1))
    with qtbot.waitSignal(dock.positionChosen) as chosen:
        qtbot.mouseClick(dock.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert chosen.args == ["272093", "MSFT"]

    total = dock.table.visualRect(dock.model.index(2, 1))
    with qtbot.assertNotEmitted(dock.positionChosen):
        qtbot.mouseClick(dock.table.viewport(), Qt.MouseButton.LeftButton, pos=total.center())


def test_refresh_and_the_profile_picker_ask_the_app(dock: AccountsDock, qtbot: Any) -> None:
    dock.show_accounts(view(broker_report()))
    with qtbot.waitSignal(dock.refreshRequested) as refresh:
        qtbot.mouseClick(dock.refresh_button, Qt.MouseButton.LeftButton)
    assert refresh.args == ["paper"]
    with qtbot.waitSignal(dock.profileChosen) as chosen:
        dock.profile_picker.activated.emit(1)
    assert chosen.args == ["other"]


def test_without_a_profile_the_dock_says_so(dock: AccountsDock) -> None:
    dock.show_accounts(AccountsDockView())
    assert dock.age_label.text() == "No connected profile shows accounts yet."
    assert not dock.refresh_button.isEnabled()
    assert symbols(dock) == []


def test_the_balances_wrap_in_a_narrow_dock_instead_of_widening_the_window(dock: AccountsDock, qtbot: Any) -> None:
    dock.show_accounts(view(broker_report(position("AAPL", "265598", "1900", "900"))))
    figures = [dock.balance_labels[key] for key in ("net_liquidation", "cash", "buying_power", "day_pnl")]
    strip = sum(label.parentWidget().sizeHint().width() for label in dock.balance_labels.values())  # on one line
    assert dock.minimumSizeHint().width() < strip
    dock.resize(strip // 2, 400)
    qtbot.waitUntil(lambda: figures[-1].mapTo(dock, QPoint(0, 0)).y() > figures[0].mapTo(dock, QPoint(0, 0)).y())
    assert all(label.isVisible() for label in dock.balance_labels.values())
