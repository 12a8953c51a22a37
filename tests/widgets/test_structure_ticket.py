"""The ticket's structures: a bracket's exits in ticks or prices, OCO legs added and removed, OTO's two legs, the
preview the app answers with, and the profiles and routes that cannot take what is on the ticket."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import Qt

from widgets.order_ticket import OrderTicket
from widgets.structure_fields import MAX_TICKET_LEGS
from widgets.trading_views import LIVE, PRICES, SHADOW, TICKS, LegValues, StructurePreview, TicketContext

pytestmark = pytest.mark.usefixtures("dark_theme")

CONTEXT = TicketContext(
    profile="ibkr-paper",
    symbol="ES",
    conid=495512557,
    mode=SHADOW,
    account_masked="••••1234",
    per_order_left_text="25,000 per order",
    daily_left_text="180,000 of buys today",
    can_place=True,
    tick_size="0.25",
)


@pytest.fixture
def ticket(qtbot):
    widget = OrderTicket()
    qtbot.addWidget(widget)
    widget.show_context(CONTEXT)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def choose(combo, code: str) -> None:
    combo.setCurrentIndex(combo.findData(code))


def test_a_bracket_takes_its_exits_in_ticks_with_the_instruments_tick(qtbot, ticket):
    choose(ticket.structure, "BRACKET")
    assert [ticket.order_type.itemData(i) for i in range(ticket.order_type.count())] == ["MKT", "LMT"]
    assert ticket.exits.isVisible()
    assert not ticket.stop_price.isVisible()
    assert not ticket.legs.isVisible()
    assert ticket.exits.tick_label.text() == "1 tick = 0.25"
    qtbot.mouseClick(ticket.sell_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(ticket.quantity, "2")
    choose(ticket.order_type, "LMT")
    assert ticket.hint.text() == "Enter a limit price."
    qtbot.keyClicks(ticket.limit_price, "5200")
    assert ticket.hint.text() == "Enter the stop-loss as a distance in ticks."
    qtbot.keyClicks(ticket.exits.stop_loss, "8")
    qtbot.keyClicks(ticket.exits.take_profit, "16")
    assert ticket.place_button.text() == "Place SHADOW bracket"
    with qtbot.waitSignal(ticket.placeRequested, timeout=1000) as signal:
        qtbot.mouseClick(ticket.place_button, Qt.MouseButton.LeftButton)
    values = signal.args[0]
    assert (values.structure, values.side, values.quantity, values.order_type, values.limit_price) == (
        "BRACKET",
        "SELL",
        "2",
        "LMT",
        "5200",
    )
    assert (values.exits_in, values.stop_loss, values.take_profit, values.tick_size) == (TICKS, "8", "16", "0.25")
    assert values.legs == ()


def test_a_bracket_takes_its_exits_as_prices_at_the_flip_of_a_toggle(qtbot, ticket):
    choose(ticket.structure, "BRACKET")
    qtbot.keyClicks(ticket.quantity, "1")
    choose(ticket.order_type, "MKT")
    qtbot.mouseClick(ticket.exits.prices_button, Qt.MouseButton.LeftButton)
    assert ticket.exits.stop_loss.placeholderText() == "stop price"
    assert ticket.exits.tick_label.text() == ""
    qtbot.keyClicks(ticket.exits.stop_loss, "5190")
    qtbot.keyClicks(ticket.exits.take_profit, "5215.25")
    values = ticket.values()
    assert (values.order_type, values.limit_price) == ("MKT", "")
    assert (values.exits_in, values.stop_loss, values.take_profit) == (PRICES, "5190", "5215.25")
    assert ticket.place_button.isEnabled()


def test_oco_legs_are_added_up_to_four_and_removed_down_to_two(qtbot, ticket):
    choose(ticket.structure, "OCO")
    legs = ticket.legs
    assert legs.isVisible()
    assert not ticket.quantity.isVisible()
    assert not ticket.buy_button.isVisible()
    assert [editor.title.text() for editor in legs.editors] == ["Leg 1", "Leg 2"]
    assert not legs.remove_button.isEnabled()
    for _ in range(MAX_TICKET_LEGS):
        qtbot.mouseClick(legs.add_button, Qt.MouseButton.LeftButton)
    assert len(legs.editors) == MAX_TICKET_LEGS
    assert not legs.add_button.isEnabled()
    qtbot.mouseClick(legs.remove_button, Qt.MouseButton.LeftButton)
    assert [editor.title.text() for editor in legs.editors] == ["Leg 1", "Leg 2", "Leg 3"]
    for editor, (side, qty, kind, price) in zip(
        legs.editors,
        (("SELL", "10", "LMT", "5220"), ("SELL", "10", "STP", "5180"), ("BUY", "3", "MKT", "")),
        strict=True,
    ):
        choose(editor.side, side)
        qtbot.keyClicks(editor.quantity, qty)
        choose(editor.order_type, kind)
        qtbot.keyClicks(editor.price, price)
    assert not legs.editors[2].price.isEnabled()
    assert ticket.place_button.text() == "Place SHADOW OCO"
    with qtbot.waitSignal(ticket.placeRequested, timeout=1000) as signal:
        qtbot.mouseClick(ticket.place_button, Qt.MouseButton.LeftButton)
    assert signal.args[0].legs == (
        LegValues("SELL", "10", "LMT", "5220"),
        LegValues("SELL", "10", "STP", "5180"),
        LegValues("BUY", "3", "MKT", ""),
    )


def test_an_oto_is_a_trigger_and_a_child_and_says_what_is_missing(qtbot, ticket):
    choose(ticket.structure, "OCO")
    qtbot.mouseClick(ticket.legs.add_button, Qt.MouseButton.LeftButton)
    choose(ticket.structure, "OTO")
    assert [editor.title.text() for editor in ticket.legs.editors] == ["Trigger", "Child"]
    assert not ticket.legs.add_button.isVisible()
    trigger, child = ticket.legs.editors
    qtbot.keyClicks(trigger.quantity, "1")
    qtbot.keyClicks(trigger.price, "5200")
    assert ticket.hint.text() == "Enter the quantity of child."
    qtbot.keyClicks(child.quantity, "1")
    assert ticket.hint.text() == "Enter the limit price of child."
    assert not ticket.place_button.isEnabled()


def test_every_complete_change_asks_the_app_for_a_preview_and_shows_it(qtbot, ticket):
    choose(ticket.structure, "BRACKET")
    choose(ticket.order_type, "LMT")
    qtbot.keyClicks(ticket.quantity, "2")
    qtbot.keyClicks(ticket.limit_price, "5200")
    qtbot.keyClicks(ticket.exits.stop_loss, "8")
    with qtbot.waitSignal(ticket.valuesChanged, timeout=1000) as signal:
        qtbot.keyClicks(ticket.exits.take_profit, "1")
    assert signal.args[0].take_profit == "1"
    ticket.show_preview(StructurePreview("Net exposure 10,400 (cap 25,000 per order).", False, "Exits: Buy 2"))
    assert ticket.exposure.text() == "Net exposure 10,400 (cap 25,000 per order)."
    assert ticket.exposure.isVisible()
    assert ticket.exits_text.text() == "Exits: Buy 2"
    assert ticket.place_button.isEnabled()
    ticket.show_preview(StructurePreview("Net exposure 52,000 (cap 25,000 per order).", True))
    assert ticket.exposure.property("role") == "error"
    assert ticket.place_button.isEnabled()  # the desk refuses it, in its own words
    ticket.show_preview(StructurePreview(problem="The entry's price lies between the stop-loss and the take-profit."))
    assert ticket.problem.isVisible()
    assert not ticket.place_button.isEnabled()
    assert (ticket.quantity.text(), ticket.exits.stop_loss.text()) == ("2", "8")  # nothing typed is lost
    choose(ticket.structure, "")
    assert not ticket.exposure.isVisible()


def test_a_profile_whose_broker_cannot_trade_says_so_and_never_sends_live(ticket):
    words = "Charles Schwab is read-only in this version: orders are not sent. SHADOW still simulates them."
    ticket.show_context(replace(CONTEXT, read_only=words))
    assert ticket.read_only.isVisible()
    assert ticket.read_only.text() == words
    ticket.quantity.setText("1")
    choose(ticket.order_type, "MKT")
    assert ticket.place_button.isEnabled()  # SHADOW simulates it
    ticket.show_context(replace(CONTEXT, read_only=words, mode=LIVE))
    assert not ticket.place_button.isEnabled()
    assert ticket.hint.text() == words


def test_a_structure_the_live_route_does_not_take_is_refused_before_sending(ticket):
    ticket.show_context(replace(CONTEXT, mode=LIVE, live_structures=frozenset({"BRACKET"})))
    choose(ticket.structure, "OTO")
    assert not ticket.place_button.isEnabled()
    assert ticket.hint.text().startswith("This broker does not take OTO orders through Brokerdeck")
    assert ticket.place_button.text() == "Send LIVE OTO"
    choose(ticket.structure, "BRACKET")
    assert ticket.hint.text() == "Enter a quantity."
