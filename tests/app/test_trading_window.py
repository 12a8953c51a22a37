"""The window's trading end to end: a real sandbox, the IBKR session and its market feed, the real trading
desk, and the widgets driven as a trader drives them (typed limits, the typed phrase, the ticket, the
broker's question, Back to SHADOW)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt
from pytestqt.exceptions import TimeoutError

from app.context import AppContext
from app.market_controller import MarketController
from app.operations import Operations
from app.status_controller import StatusController
from app.trading_controller import TradingController
from brokers.core.orders import Accepted, OrderRequest, OrderType, Side
from brokers.core.paths import Paths
from brokers.ibkr.orders import IbkrOrderRoute
from tests.conftest import run_on_qt_loop
from widgets.main_window import MainWindow

pytestmark = pytest.mark.secretservice

PROFILE = "sandbox-ibkr"


@dataclass
class Desk:
    window: MainWindow
    trading: TradingController
    sandbox: Any
    errors: list[BaseException]

    def received(self) -> list[dict[str, Any]]:
        url = f"{self.sandbox.services['ibkr']}/sandbox/ibkr/orders/received"
        return [e for e in httpx.get(url, timeout=10).json()["received"] if e["kind"] != "suppress"]

    def force_questions(self, *ids: str) -> None:
        url = f"{self.sandbox.services['ibkr']}/sandbox/ibkr/orders/questions"
        httpx.post(url, json={"message_ids": list(ids)}, timeout=10).raise_for_status()

    def row(self, profile: str) -> Any:
        self.window.mode_switch.select_profile(profile)
        return self.window.mode_switch.current_view()

    def blotter(self) -> list[Any]:
        model = self.window.blotter.model
        return [model.row_object(i) for i in range(model.rowCount())]


@pytest.fixture
def desk(home: Paths, vault: Any, sandbox: Any, qloop: Any, qtbot: Any) -> Iterator[Desk]:
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
    status.start()
    market.start()
    trading.start()
    window.show_trading()
    try:
        yield Desk(window, trading, sandbox, errors)
    finally:
        trading.stop()
        run_on_qt_loop(qloop, qtbot, market.stop())
        run_on_qt_loop(qloop, qtbot, status.stop())
        window.close()
        window.deleteLater()


def ready_but_limits(desk: Desk) -> bool:
    view = desk.row(PROFILE)
    failing = {item.title for item in view.checklist if not item.ok}
    return failing == {"Cap and daily limit set"}


def type_into(qtbot: Any, field: Any, text: str) -> None:
    field.clear()
    qtbot.keyClicks(field, text)


def test_arm_trade_answer_and_fall_back(desk: Desk, qtbot: Any) -> None:
    window, switch = desk.window, desk.window.mode_switch
    audit = desk.trading.gate.audit
    assert [r.event for r in audit.records()][:1] == ["mode.reset"]  # the window starts by resetting to SHADOW

    # Connected, market live: only the limits are missing, and Arm stays disabled until they are set.
    qtbot.waitUntil(lambda: ready_but_limits(desk), timeout=45_000)
    assert desk.row(PROFILE).mode == "SHADOW"
    assert not switch.arm_button.isEnabled()
    type_into(qtbot, switch.per_order_edit, "100000")
    type_into(qtbot, switch.daily_edit, "300000")
    qtbot.mouseClick(switch.limits_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: desk.row(PROFILE).ready, timeout=5_000)
    assert any(r.event == "limits.set" for r in audit.records())

    # A SHADOW market order fills against the book and never reaches the broker.
    ticket = window.order_ticket
    type_into(qtbot, ticket.quantity, "50")
    ticket.order_type.setCurrentIndex(ticket.order_type.findData("MKT"))
    qtbot.waitUntil(ticket.place_button.isEnabled, timeout=5_000)
    qtbot.mouseClick(ticket.place_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(r.mode == "SHADOW" and r.status == "FILLED" for r in desk.blotter()), timeout=5_000)
    assert desk.received() == []

    # Arm LIVE: the dialog's OK needs the exact phrase, typed.
    qtbot.waitUntil(switch.arm_button.isEnabled, timeout=5_000)
    qtbot.mouseClick(switch.arm_button, Qt.MouseButton.LeftButton)
    dialog = window.confirm_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=3_000)
    phrase = dialog.phrase_label.text()
    assert phrase.startswith("LIVE DU1234567 ")
    qtbot.keyClicks(dialog.field, phrase.lower())
    assert not dialog.ok_button.isEnabled()
    dialog.field.reset()
    qtbot.keyClicks(dialog.field, phrase)
    assert dialog.ok_button.isEnabled()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: desk.row(PROFILE).mode == "LIVE", timeout=5_000)
    assert "LIVE: sandbox-ibkr" in window.windowTitle()
    assert not dialog.isVisible()

    # A LIVE limit order far below the market is sent once, with the desk's key.
    type_into(qtbot, ticket.quantity, "10")
    ticket.order_type.setCurrentIndex(ticket.order_type.findData("LMT"))
    type_into(qtbot, ticket.limit_price, "150")
    desk.force_questions()  # no question for this one
    qtbot.waitUntil(lambda: ticket.place_button.text() == "Send LIVE order", timeout=5_000)
    qtbot.mouseClick(ticket.place_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(r.mode == "LIVE" and r.status == "WORKING" for r in desk.blotter()), timeout=10_000)
    live = next(r for r in desk.blotter() if r.mode == "LIVE")
    places = [e for e in desk.received() if e["kind"] == "place"]
    assert len(places) == 1
    assert json.dumps(places[0]["body"]).count(live.key) == 1  # cOID is the desk's key

    # The window follows the broker's order stream while LIVE; a cancel from the blotter comes back CANCELLED.
    route = desk.trading.route_for(PROFILE)
    assert isinstance(route, IbkrOrderRoute)
    qtbot.waitUntil(lambda: route.stream_state is not None and route.stream_state.subscribed, timeout=45_000)
    window.blotter.select_key(live.key)
    qtbot.mouseClick(window.blotter.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(r.key == live.key and r.status == "CANCELLED" for r in desk.blotter()), timeout=20_000)
    assert [e["kind"] for e in desk.received()].count("cancel") == 1

    # A dangerous question stops the order; the trader's "Do not send" keeps it from the market.
    desk.force_questions("o354")
    assert ticket.place_button.isEnabled(), ticket.hint.text()
    qtbot.mouseClick(ticket.place_button, Qt.MouseButton.LeftButton)
    question = window.question_dialog
    try:
        qtbot.waitUntil(question.isVisible, timeout=10_000)
    except TimeoutError as exc:  # say what became of the order
        raise AssertionError([(r.status, r.message) for r in desk.trading.desk.records()]) from exc
    assert "o354" in question.message_ids.text()
    qtbot.mouseClick(question.decline_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: sum(r.status == "CANCELLED" for r in desk.blotter()) == 2, timeout=10_000)
    replies = [e for e in desk.received() if e["kind"] == "reply"]
    assert replies
    assert all(e["body"] == {"confirmed": False} for e in replies)

    # Clearing a limit makes the checklist fail: the supervisor drops LIVE at once, and says why.
    type_into(qtbot, switch.per_order_edit, "")
    qtbot.mouseClick(switch.limits_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: desk.row(PROFILE).mode == "SHADOW", timeout=5_000)
    assert "Back to SHADOW" in desk.row(PROFILE).note
    assert "LIVE" not in window.windowTitle()
    fallbacks = [r for r in audit.records() if r.event == "mode.fallback"]
    assert fallbacks
    assert fallbacks[-1].profile == PROFILE
    assert audit.verify().ok
    assert desk.errors == []


def arm_live(desk: Desk, qtbot: Any) -> None:
    """Set the limits, arm LIVE and type the phrase, as a trader does, until the profile is LIVE."""
    switch = desk.window.mode_switch
    qtbot.waitUntil(lambda: ready_but_limits(desk), timeout=45_000)
    type_into(qtbot, switch.per_order_edit, "100000")
    type_into(qtbot, switch.daily_edit, "300000")
    qtbot.mouseClick(switch.limits_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(switch.arm_button.isEnabled, timeout=5_000)
    qtbot.mouseClick(switch.arm_button, Qt.MouseButton.LeftButton)
    dialog = desk.window.confirm_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=3_000)
    qtbot.keyClicks(dialog.field, dialog.phrase_label.text())
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: desk.row(PROFILE).mode == "LIVE", timeout=5_000)


def test_back_to_shadow_is_one_click(desk: Desk, qtbot: Any) -> None:
    switch = desk.window.mode_switch
    arm_live(desk, qtbot)

    qtbot.mouseClick(switch.shadow_button, Qt.MouseButton.LeftButton)
    assert desk.row(PROFILE).mode == "SHADOW"  # at once: no dialog, no wait
    assert not desk.window.confirm_dialog.isVisible()
    assert desk.trading.gate.audit.records()[-1].event == "mode.shadow"
    assert desk.errors == []


def choose(combo: Any, code: str) -> None:
    combo.setCurrentIndex(combo.findData(code))


def test_a_shadow_bracket_from_the_ticket_is_one_group_in_the_blotter(desk: Desk, qtbot: Any) -> None:
    window, switch, ticket, blotter = (
        desk.window,
        desk.window.mode_switch,
        desk.window.order_ticket,
        desk.window.blotter,
    )
    qtbot.waitUntil(lambda: ready_but_limits(desk), timeout=45_000)
    type_into(qtbot, switch.per_order_edit, "20000")
    type_into(qtbot, switch.daily_edit, "300000")
    qtbot.mouseClick(switch.limits_button, Qt.MouseButton.LeftButton)

    # A bracket entered with its exits in ticks: the ticket shows its net exposure against the cap.
    choose(ticket.structure, "BRACKET")
    choose(ticket.order_type, "LMT")
    type_into(qtbot, ticket.quantity, "200")
    type_into(qtbot, ticket.limit_price, "150")  # far below the market: the entry rests
    type_into(qtbot, ticket.exits.stop_loss, "20")
    type_into(qtbot, ticket.exits.take_profit, "40")
    qtbot.waitUntil(
        lambda: ticket.exposure.text().startswith("Net exposure 30,000 (cap 20,000 per order)"), timeout=5_000
    )
    assert ticket.exits_text.text() == "Exits: Sell 200, stop 149.80, target 150.40"
    assert ticket.exposure.property("role") == "error"

    # Over the cap: the desk refuses it in its own words, and what was typed stays.
    qtbot.waitUntil(ticket.place_button.isEnabled, timeout=5_000)
    qtbot.mouseClick(ticket.place_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "over the per-order cap" in ticket.result.text(), timeout=5_000)
    assert (
        ticket.result.text() == "Not placed: The bracket exposes 30,000.00 at most, over the per-order cap of 20,000."
    )
    assert (ticket.quantity.text(), ticket.exits.stop_loss.text()) == ("200", "20")
    assert desk.trading.desk.records() == ()

    # Within the cap: one group row, the entry working and both exits held until it fills.
    type_into(qtbot, ticket.quantity, "100")
    qtbot.waitUntil(
        lambda: ticket.exposure.text().startswith("Net exposure 15,000 (cap 20,000 per order)"), timeout=5_000
    )
    qtbot.mouseClick(ticket.place_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(desk.blotter()) == 4, timeout=5_000)
    group, *legs = desk.blotter()
    assert (group.is_group, group.structure_text, group.status, group.mode) == (
        True,
        "▾ Bracket",
        "entry working",
        "SHADOW",
    )
    assert [(leg.structure_text.strip(" └"), leg.status, leg.filled_text, leg.group) for leg in legs] == [
        ("entry", "WORKING", "0/100", group.key),
        ("stop-loss", "HELD", "0/100", group.key),
        ("take-profit", "HELD", "0/100", group.key),
    ]
    assert ticket.result.text().startswith("SHADOW: Bracket BUY 100 AAPL: entry working")
    assert desk.received() == []

    # Cancel on the group row cancels the whole structure.
    window.show_trading()
    blotter.select_key(group.key)
    assert blotter.cancel_button.text() == "Cancel structure"
    qtbot.mouseClick(blotter.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: desk.blotter()[0].status == "cancelled", timeout=5_000)
    assert [row.status for row in desk.blotter()[1:]] == ["CANCELLED"] * 3
    assert not blotter.cancel_button.isEnabled()
    assert desk.errors == []


def test_reconcile_shows_what_the_broker_holds_that_brokerdeck_did_not_place(
    desk: Desk, qtbot: Any, qloop: Any
) -> None:
    window, blotter = desk.window, desk.window.blotter
    qtbot.waitUntil(lambda: ready_but_limits(desk), timeout=45_000)
    # The session's first connection ran a pass already: it is read-only, so it runs in SHADOW too.
    qtbot.waitUntil(lambda: PROFILE in desk.trading.desk.last_reconcile, timeout=10_000)
    assert desk.trading.desk.last_reconcile[PROFILE].clean, desk.trading.desk.last_reconcile[PROFILE].error
    assert "In agreement with the broker" in blotter.reconcile_label.text()

    route = desk.trading.route_for(PROFILE)
    assert route is not None
    desk.force_questions()
    outsider = OrderRequest(PROFILE, "AAPL", 265598, Side.BUY, Decimal(3), OrderType.LIMIT, Decimal(100))
    placed = run_on_qt_loop(qloop, qtbot, route.place(outsider, "placed-elsewhere-1"))
    assert isinstance(placed, Accepted)
    # The route reads the broker's orders at most once per pacing interval; this fresh read (it waits out the
    # interval) is what the next pass reads, so the pass cannot come too early to see the order.
    assert run_on_qt_loop(qloop, qtbot, route.find("placed-elsewhere-1"), timeout=20_000) is not None
    before = desk.received()

    window.show_trading()
    qtbot.mouseClick(blotter.reconcile_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: blotter.findings.rowCount() == 1, timeout=15_000)
    finding = blotter.findings.row_object(0)
    assert finding.kind == "unknown order"
    assert placed.broker_order_id in finding.detail
    assert blotter.findings_table.isVisible()
    assert "Findings: 1 unknown order" in blotter.reconcile_label.text()
    health = window.health_indicator
    health.select_profile(PROFILE)
    assert health.reconcile_note.text().startswith("1 reconciliation finding at ")
    assert desk.received() == before  # the pass sent nothing

    assert desk.errors == []


def test_a_profile_whose_broker_cannot_trade_says_so_on_the_ticket(desk: Desk, qtbot: Any) -> None:
    ticket = desk.window.order_ticket
    qtbot.waitUntil(lambda: desk.row("sandbox-schwab").profile == "sandbox-schwab", timeout=45_000)
    qtbot.waitUntil(ticket.read_only.isVisible, timeout=5_000)
    assert ticket.read_only.text() == (
        "Charles Schwab (sandbox) is read-only in this version: orders are not sent. SHADOW still simulates them."
    )
    assert ticket.badge.text() == "SHADOW — simulated, nothing is sent"
    desk.window.mode_switch.select_profile(PROFILE)
    qtbot.waitUntil(lambda: not ticket.read_only.isVisible(), timeout=5_000)


def test_a_live_brackets_question_is_asked_once_on_its_entry(desk: Desk, qtbot: Any) -> None:
    window, switch, ticket = desk.window, desk.window.mode_switch, desk.window.order_ticket
    qtbot.waitUntil(lambda: ready_but_limits(desk), timeout=45_000)
    type_into(qtbot, switch.per_order_edit, "100000")
    type_into(qtbot, switch.daily_edit, "300000")
    qtbot.mouseClick(switch.limits_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(switch.arm_button.isEnabled, timeout=5_000)
    qtbot.mouseClick(switch.arm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(window.confirm_dialog.isVisible, timeout=3_000)
    qtbot.keyClicks(window.confirm_dialog.field, window.confirm_dialog.phrase_label.text())
    qtbot.mouseClick(window.confirm_dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: desk.row(PROFILE).mode == "LIVE", timeout=5_000)

    choose(ticket.structure, "BRACKET")
    choose(ticket.order_type, "LMT")
    type_into(qtbot, ticket.quantity, "10")
    type_into(qtbot, ticket.limit_price, "150")
    qtbot.mouseClick(ticket.exits.prices_button, Qt.MouseButton.LeftButton)
    type_into(qtbot, ticket.exits.stop_loss, "140")
    type_into(qtbot, ticket.exits.take_profit, "160")
    qtbot.waitUntil(lambda: ticket.place_button.text() == "Send LIVE bracket", timeout=5_000)
    desk.force_questions("o354")
    qtbot.waitUntil(ticket.place_button.isEnabled, timeout=5_000)
    qtbot.mouseClick(ticket.place_button, Qt.MouseButton.LeftButton)
    question = window.question_dialog
    qtbot.waitUntil(question.isVisible, timeout=10_000)
    assert question.order_label.text() == "Bracket entry: BUY 10 AAPL LMT 150 (LIVE, ••••4567)"
    group, *legs = desk.blotter()
    assert (group.status, [leg.status for leg in legs]) == ("question waiting", ["QUESTION", "PENDING", "PENDING"])
    assert legs[1].message == legs[2].message == "waits for the answer to the question on the first leg"
    qtbot.mouseClick(question.decline_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: desk.blotter()[0].status == "cancelled", timeout=10_000)
    assert [e["kind"] for e in desk.received()].count("reply") == 1
    assert desk.errors == []


def test_the_trays_everything_back_to_shadow_drops_every_live_profile(desk: Desk, qtbot: Any) -> None:
    arm_live(desk, qtbot)
    tray = desk.window.tray
    assert tray is not None
    assert (PROFILE, "LIVE") in tray.state.modes
    assert f"{PROFILE}: LIVE" in tray.state.tooltip

    tray.shadow_action.trigger()
    assert desk.row(PROFILE).mode == "SHADOW"  # at once, through the same gate as the switch's button
    assert (PROFILE, "SHADOW") in tray.state.modes
    assert not tray.state.any_live
    shadowed = [r for r in desk.trading.gate.audit.records() if r.event == "mode.shadow"]
    assert PROFILE in {r.profile for r in shadowed}
    assert desk.errors == []
