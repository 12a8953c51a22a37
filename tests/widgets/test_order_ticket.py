"""The order ticket: price fields per order type, the values it sends, and the mode it says it goes to."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from widgets.order_ticket import NO_INSTRUMENT, NOT_READY, OrderTicket
from widgets.trading_views import LIVE, MODE_COLORS, ORDER_TYPES, SHADOW, TicketContext, TicketValues

pytestmark = pytest.mark.usefixtures("dark_theme")

CONTEXT = TicketContext(
    profile="ibkr-paper",
    symbol="AAPL",
    conid=265598,
    mode=SHADOW,
    account_masked="••••1234",
    per_order_left_text="$25,000.00 per order",
    daily_left_text="$180,000.00 of $200,000.00 today",
    can_place=True,
)


@pytest.fixture
def ticket(qtbot):
    widget = OrderTicket()
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def choose_type(ticket: OrderTicket, code: str) -> None:
    ticket.order_type.setCurrentIndex(ticket.order_type.findData(code))


@pytest.mark.parametrize(
    ("code", "limit", "stop"),
    [("MKT", False, False), ("LMT", True, False), ("STP", False, True), ("STOP_LIMIT", True, True)],
)
def test_price_fields_are_enabled_only_for_the_types_that_need_them(ticket, code, limit, stop):
    choose_type(ticket, code)
    assert ticket.order_type.currentText() == ORDER_TYPES[code]
    assert (ticket.limit_price.isEnabled(), ticket.stop_price.isEnabled()) == (limit, stop)


def test_place_sends_what_was_entered(qtbot, ticket):
    ticket.show_context(CONTEXT)
    qtbot.mouseClick(ticket.sell_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(ticket.quantity, "100")
    choose_type(ticket, "STOP_LIMIT")
    qtbot.keyClicks(ticket.limit_price, "189.50")
    qtbot.keyClicks(ticket.stop_price, "189.75")
    ticket.tif.setCurrentIndex(ticket.tif.findData("GTC"))
    ticket.outside_rth.setChecked(True)
    with qtbot.waitSignal(ticket.placeRequested, timeout=1000) as signal:
        qtbot.mouseClick(ticket.place_button, Qt.MouseButton.LeftButton)
    assert signal.args == [
        TicketValues(
            profile="ibkr-paper",
            symbol="AAPL",
            conid=265598,
            side="SELL",
            quantity="100",
            order_type="STOP_LIMIT",
            limit_price="189.50",
            stop_price="189.75",
            tif="GTC",
            outside_rth=True,
        )
    ]


def test_a_price_the_type_does_not_use_is_not_sent(qtbot, ticket):
    ticket.show_context(CONTEXT)
    qtbot.keyClicks(ticket.quantity, "5")
    choose_type(ticket, "LMT")
    qtbot.keyClicks(ticket.limit_price, "190")
    choose_type(ticket, "MKT")
    assert ticket.values().limit_price == ""
    assert ticket.values().side == "BUY"


def test_obviously_missing_input_is_a_hint_not_an_order(qtbot, ticket):
    ticket.show_context(CONTEXT)
    assert not ticket.place_button.isEnabled()
    assert ticket.hint.text() == "Enter a quantity."
    qtbot.keyClicks(ticket.quantity, "10")
    choose_type(ticket, "LMT")
    assert ticket.hint.text() == "Enter a limit price."
    assert not ticket.place_button.isEnabled()
    qtbot.keyClicks(ticket.limit_price, "190")
    assert ticket.place_button.isEnabled()
    assert ticket.hint.isHidden()


def test_the_mode_is_said_in_words_colour_and_on_the_button(ticket):
    ticket.show_context(CONTEXT)
    assert ticket.badge.text() == "SHADOW — simulated, nothing is sent"
    assert ticket.badge.background() == MODE_COLORS[SHADOW][0]
    assert ticket.place_button.text() == "Place SHADOW order"
    ticket.show_context(TicketContext(**{**CONTEXT.__dict__, "mode": LIVE}))
    assert ticket.badge.text() == "LIVE — sends a real order to ••••1234"
    assert ticket.badge.background() == MODE_COLORS[LIVE][0]
    assert ticket.place_button.text() == "Send LIVE order"
    assert ticket.limits.text() == "Left: $25,000.00 per order\nLeft: $180,000.00 of $200,000.00 today"
    assert ticket.instrument.text() == "AAPL"


def test_nothing_pretends_to_work_before_the_app_says_so(qtbot, ticket):
    assert ticket.hint.text() == NOT_READY
    qtbot.keyClicks(ticket.quantity, "10")
    assert not ticket.place_button.isEnabled()
    ticket.show_context(None)
    assert ticket.hint.text() == NO_INSTRUMENT
    ticket.show_context(TicketContext(**{**CONTEXT.__dict__, "can_place": False, "why_not": "Market data is stale"}))
    assert not ticket.place_button.isEnabled()
    assert ticket.hint.text() == "Market data is stale"


def test_the_result_is_shown_in_the_cores_words(ticket):
    ticket.show_result("Refused: 1,000 × 190.00 is over the per-order cap of 25,000.00", ok=False)
    assert ticket.result.text() == "Refused: 1,000 × 190.00 is over the per-order cap of 25,000.00"
    assert ticket.result.property("role") == "error"
    ticket.show_result("SHADOW fill: 100 at 190.01", ok=True)
    assert ticket.result.property("role") == ""
