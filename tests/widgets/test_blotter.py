"""The blotter: rows in the order given, SHADOW and LIVE marked apart, selection and scroll kept, cancel."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from widgets.blotter import BLOTTER_COLUMNS, Blotter
from widgets.trading_views import LIVE, MODE_COLORS, SHADOW, BlotterRow, FindingView, ReconcileView

MODE = [column.key for column in BLOTTER_COLUMNS].index("mode")
STATUS = [column.key for column in BLOTTER_COLUMNS].index("status")
ORDER = [column.key for column in BLOTTER_COLUMNS].index("structure_text")
FILLED = [column.key for column in BLOTTER_COLUMNS].index("filled_text")


def row(key: str, mode: str = SHADOW, status: str = "WORKING", cancellable: bool = True) -> BlotterRow:
    return BlotterRow(
        key=key,
        mode=mode,
        time_text="10:00:00",
        symbol="AAPL",
        side="BUY",
        quantity="100",
        type_text="LMT",
        price_text="190.00",
        status=status,
        filled_text="0",
        avg_price_text="",
        message="",
        cancellable=cancellable,
    )


@pytest.fixture
def blotter(qtbot):
    widget = Blotter()
    qtbot.addWidget(widget)
    widget.resize(900, 260)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def cell(blotter: Blotter, r: int, c: int, role: Qt.ItemDataRole = Qt.ItemDataRole.DisplayRole):
    return blotter.model.data(blotter.model.index(r, c), role)


def test_each_row_is_marked_shadow_or_live_in_its_own_colours(blotter):
    blotter.show_rows((row("b", LIVE), row("a", SHADOW)))
    assert [cell(blotter, r, MODE) for r in range(2)] == ["LIVE", "SHADOW"]
    for r, mode in ((0, LIVE), (1, SHADOW)):
        background = cell(blotter, r, MODE, Qt.ItemDataRole.BackgroundRole)
        foreground = cell(blotter, r, MODE, Qt.ItemDataRole.ForegroundRole)
        assert (background, foreground) == (QColor(MODE_COLORS[mode][0]), QColor(MODE_COLORS[mode][1]))
    assert MODE_COLORS[LIVE] != MODE_COLORS[SHADOW]
    assert blotter.count_label.text() == "2 orders"


def test_rows_keep_the_order_they_come_in(blotter):
    blotter.show_rows((row("c"), row("a"), row("b")))
    assert [blotter.model.key_of(r) for r in range(3)] == ["c", "a", "b"]


def test_the_selection_survives_new_rows_changes_and_removals(qtbot, blotter):
    blotter.show_rows((row("b"), row("a")))
    blotter.select_key("a")
    blotter.show_rows((row("c"), row("b"), replace(row("a"), status="FILLED", cancellable=False)))
    assert blotter.selected_key() == "a"
    assert cell(blotter, 2, STATUS) == "FILLED"
    blotter.show_rows((row("d"), row("c"), row("a", status="FILLED", cancellable=False)))
    assert blotter.selected_key() == "a"
    blotter.show_rows((row("a", status="FILLED", cancellable=False), row("d")))  # reordered by the app
    assert blotter.selected_key() == "a"
    assert blotter.model.key_of(0) == "a"


def test_rows_scrolled_to_stay_in_view_as_new_orders_arrive(qtbot, blotter):
    rows = tuple(row(f"k{n:03}") for n in range(100, 0, -1))
    blotter.show_rows(rows)
    qtbot.waitUntil(lambda: blotter.table.verticalScrollBar().maximum() > 40, timeout=2000)
    blotter.table.scrollTo(blotter.model.index(40, 0), blotter.table.ScrollHint.PositionAtTop)
    top = blotter.model.key_of(blotter.table.rowAt(0))
    assert top == "k060"
    blotter.show_rows((row("k101"), row("k102"), *rows))
    assert blotter.model.key_of(blotter.table.rowAt(0)) == top


def test_cancel_asks_for_the_selected_order_only_when_it_can_be_cancelled(qtbot, blotter):
    blotter.show_rows((row("open"), row("done", status="FILLED", cancellable=False)))
    assert not blotter.cancel_button.isEnabled()  # nothing selected
    blotter.select_key("done")
    assert not blotter.cancel_button.isEnabled()
    blotter.select_key("open")
    assert blotter.cancel_button.isEnabled()
    with qtbot.waitSignal(blotter.cancelRequested, timeout=1000) as signal:
        qtbot.mouseClick(blotter.cancel_button, Qt.MouseButton.LeftButton)
    assert signal.args == ["open"]
    blotter.show_rows((row("open", status="CANCELLED", cancellable=False), row("done", cancellable=False)))
    assert not blotter.cancel_button.isEnabled()  # the update, not a click, disabled it


def test_a_row_clicked_in_the_table_is_the_one_cancelled(qtbot, blotter):
    blotter.show_rows((row("first"), row("second")))
    rect = blotter.table.visualRect(blotter.model.index(1, 2))
    qtbot.mouseClick(blotter.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    with qtbot.waitSignal(blotter.cancelRequested, timeout=1000) as signal:
        qtbot.mouseClick(blotter.cancel_button, Qt.MouseButton.LeftButton)
    assert signal.args == ["second"]


def structure_rows() -> tuple[BlotterRow, ...]:
    group = replace(row("S"), is_group=True, structure_text="Bracket", status="entry working", filled_text="")
    legs = tuple(
        replace(row(key, status=status), group="S", structure_text=name, filled_text=filled)
        for key, name, status, filled in (
            ("e", "entry", "PARTIALLY_FILLED", "40/100"),
            ("sl", "stop-loss", "HELD", "0/100"),
            ("tp", "take-profit", "HELD", "0/100"),
        )
    )
    return (row("new"), group, *legs, row("old"))


def test_a_structures_legs_sit_indented_under_its_group_row(blotter):
    blotter.show_rows(structure_rows())
    shown = [(blotter.model.key_of(r), cell(blotter, r, ORDER)) for r in range(blotter.model.rowCount())]
    assert shown == [
        ("new", ""),
        ("S", "▾ Bracket"),
        ("e", "    └ entry"),
        ("sl", "    └ stop-loss"),
        ("tp", "    └ take-profit"),
        ("old", ""),
    ]
    assert [cell(blotter, r, FILLED) for r in (2, 3)] == ["40/100", "0/100"]
    assert blotter.count_label.text() == "5 orders (1 structure)"


def test_the_disclosure_hides_and_shows_the_legs_and_keeps_the_selection(qtbot, blotter):
    blotter.show_rows(structure_rows())
    blotter.select_key("old")
    rect = blotter.table.visualRect(blotter.model.index(1, ORDER))
    qtbot.mouseClick(blotter.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert [blotter.model.key_of(r) for r in range(blotter.model.rowCount())] == ["new", "S", "old"]
    assert cell(blotter, 1, ORDER) == "▸ Bracket"
    blotter.show_rows(structure_rows())  # an update keeps it folded
    assert blotter.model.rowCount() == 3
    blotter.toggle_group("S")
    assert blotter.model.rowCount() == 6


def test_cancel_on_the_group_row_cancels_the_structure(qtbot, blotter):
    blotter.show_rows(structure_rows())
    blotter.select_key("S")
    assert blotter.cancel_button.text() == "Cancel structure"
    with qtbot.waitSignal(blotter.cancelStructureRequested, timeout=1000) as signal:
        qtbot.mouseClick(blotter.cancel_button, Qt.MouseButton.LeftButton)
    assert signal.args == ["S"]
    blotter.select_key("sl")
    assert blotter.cancel_button.text() == "Cancel order"


def test_reconciliation_findings_show_below_the_table(qtbot, blotter):
    assert not blotter.findings_strip.isVisible()
    with qtbot.waitSignal(blotter.reconcileRequested, timeout=1000):
        qtbot.mouseClick(blotter.reconcile_button, Qt.MouseButton.LeftButton)
    findings = (
        FindingView("partial fill", "The entry (buy 100 AAPL): 40 of 100 filled and still working.", "e"),
        FindingView("unknown order", "The broker has order 77 that Brokerdeck did not place.", ""),
    )
    blotter.show_reconciliation(
        ReconcileView("ibkr", "10:02:03", "Findings: 1 partial fill, 1 unknown order", findings)
    )
    assert blotter.findings_strip.isVisible()
    assert "Findings: 1 partial fill, 1 unknown order" in blotter.reconcile_label.text()
    shown = [(blotter.findings.row_object(r).kind, blotter.findings.row_object(r).detail) for r in range(2)]
    assert shown == [(f.kind, f.detail) for f in findings]
    blotter.show_rows(structure_rows())
    rect = blotter.findings_table.visualRect(blotter.findings.index(0, 1))
    qtbot.mouseClick(blotter.findings_table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blotter.selected_key() == "e"  # a finding about one of our orders selects it
    blotter.show_reconciliation(ReconcileView("ibkr", "10:03:00", "In agreement with the broker."))
    assert not blotter.findings_table.isVisible()
    blotter.show_reconciliation(None)
    assert not blotter.findings_strip.isVisible()
