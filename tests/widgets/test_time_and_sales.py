"""The tape shares spare width evenly: a wide tape has even gaps, not one wide Size column."""

from __future__ import annotations

from widgets.market_view_models import Print
from widgets.time_and_sales import TimeAndSales

PRINTS = tuple(Print(1_760_000_000.0 + i, 189.4 + i / 100, 100 + i) for i in range(10))


def test_a_wider_tape_widens_every_column_by_the_same_share(qtbot):
    tape = TimeAndSales()
    qtbot.addWidget(tape)
    tape.show()
    qtbot.waitExposed(tape)
    tape.set_prints(PRINTS, 0.01)
    table = tape.table
    columns = range(table.model().columnCount())

    def widths() -> list[int]:
        return [table.columnWidth(c) for c in columns]

    tape.resize(tape.minimumSizeHint().width(), 400)
    qtbot.waitUntil(lambda: tape.width() == tape.minimumSizeHint().width())
    narrow = widths()
    tape.resize(tape.width() + 300, 400)
    qtbot.waitUntil(lambda: sum(widths()) == table.viewport().width())
    grown = [wide - before for wide, before in zip(widths(), narrow, strict=True)]
    assert min(grown) >= 90  # every column got about a third of the 300 px, not only the last
    assert max(grown) - min(grown) <= len(grown)
