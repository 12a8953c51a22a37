"""The mode switch and the window's mode: SHADOW / LIVE in colour and words, arming only when ready,
back to SHADOW in one click, the limits editor, and the window title."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QDialog

from widgets.main_window import MainWindow
from widgets.mode_switch import ModeSwitch
from widgets.trading_views import LIVE, MODE_COLORS, NOT_CHECKED, SHADOW, CheckItemView, ProfileModeView
from widgets.view_models import ProfileRow, StatusView

pytestmark = pytest.mark.usefixtures("dark_theme")

PASSING = (CheckItemView("Connected", ok=True), CheckItemView("Per-order cap and daily limit set", ok=True))
FAILING = (
    CheckItemView("Connected", ok=True),
    CheckItemView("Market data live", ok=False, detail="AAPL is delayed", fix="Subscribe to real-time data"),
)


def view(profile: str = "ibkr-paper", mode: str = SHADOW, checklist=PASSING, can_trade: bool = True, **more):
    return ProfileModeView(
        profile=profile, mode=mode, account_masked="••••4567", can_trade=can_trade, checklist=checklist, **more
    )


@pytest.fixture
def switch(qtbot):
    widget = ModeSwitch()
    qtbot.addWidget(widget)
    widget.resize(560, 420)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def badge_colours(widget) -> set[str]:
    image = widget.grab().toImage()
    return {QColor(image.pixel(x, y)).name() for x in range(0, image.width(), 3) for y in range(image.height())}


def test_shadow_and_live_differ_in_words_and_colour(qtbot, switch):
    switch.show_modes((view(),))
    assert switch.badge.text() == "SHADOW — orders are simulated; nothing is sent"
    assert MODE_COLORS[SHADOW][0] in badge_colours(switch.badge)
    switch.show_modes((view(mode=LIVE, until_text="until 16:00 New York"),))
    assert switch.badge.text() == "LIVE — real orders to ••••4567, until 16:00 New York"
    colours = badge_colours(switch.badge)
    assert MODE_COLORS[LIVE][0] in colours
    assert MODE_COLORS[SHADOW][0] not in colours


def test_arm_is_offered_only_when_the_checklist_passes_and_the_profile_can_trade(qtbot, switch):
    switch.show_modes((view(checklist=FAILING),))
    assert not switch.arm_button.isEnabled()
    assert switch.arm_reason.text() == "Every checklist item must pass before LIVE can be armed."
    switch.show_modes((view(can_trade=False),))
    assert not switch.arm_button.isEnabled()
    assert "cannot place orders" in switch.arm_reason.text()
    switch.show_modes((view(checklist=()),))  # never checked is not ready
    assert not switch.arm_button.isEnabled()
    switch.show_modes((view(),))
    assert switch.arm_button.isEnabled()
    with qtbot.waitSignal(switch.armRequested, timeout=1000) as signal:
        qtbot.mouseClick(switch.arm_button, Qt.MouseButton.LeftButton)
    assert signal.args == ["ibkr-paper"]


def test_the_checklist_says_what_is_wrong_and_what_fixes_it(switch):
    switch.show_modes((view(checklist=FAILING),))
    model = switch.checklist
    shown = [[model.data(model.index(r, c)) for c in range(4)] for r in range(model.rowCount())]
    assert shown == [
        ["✓", "Connected", "", ""],
        ["✗", "Market data live", "AAPL is delayed", "Subscribe to real-time data"],
    ]
    assert model.data(model.index(1, 0), Qt.ItemDataRole.ForegroundRole) != model.data(
        model.index(0, 0), Qt.ItemDataRole.ForegroundRole
    )


def test_back_to_shadow_is_one_click_with_no_question(qtbot, switch):
    switch.show_modes((view(mode=LIVE),))
    assert switch.shadow_button.isEnabled()
    assert switch.arm_button.isHidden()
    with qtbot.waitSignal(switch.shadowRequested, timeout=1000) as signal:
        qtbot.mouseClick(switch.shadow_button, Qt.MouseButton.LeftButton)
    assert signal.args == ["ibkr-paper"]
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]


def test_limits_are_asked_for_as_typed_and_the_cores_error_is_shown(qtbot, switch):
    switch.show_modes((view(per_order_cap_text="25000", daily_limit_text="200000"),))
    assert (switch.per_order_edit.text(), switch.daily_edit.text()) == ("25000", "200000")
    switch.per_order_edit.clear()
    qtbot.keyClicks(switch.per_order_edit, "900000")
    switch.show_modes((view(per_order_cap_text="25000", daily_limit_text="200000"),))  # a re-render
    assert switch.per_order_edit.text() == "900000"  # what the trader is typing is kept
    with qtbot.waitSignal(switch.limitsRequested, timeout=1000) as signal:
        qtbot.mouseClick(switch.limits_button, Qt.MouseButton.LeftButton)
    assert signal.args == ["ibkr-paper", "900000", "200000"]
    switch.show_limits_error("The per-order cap may not exceed the hard maximum of 100000.")
    assert switch.limits_error.isVisible()
    assert switch.limits_error.text() == "The per-order cap may not exceed the hard maximum of 100000."


def test_several_profiles_get_a_selector_that_keeps_its_choice(qtbot, switch):
    switch.show_modes((view(),))
    assert switch.profile_combo.isHidden()
    switch.show_modes((view(), view("ibkr-live", mode=LIVE)))
    assert switch.profile_combo.isVisible()
    with qtbot.waitSignal(switch.profileSelected, timeout=1000) as signal:
        switch.select_profile("ibkr-live")
    assert signal.args == ["ibkr-live"]
    assert switch.badge.text().startswith("LIVE")
    switch.show_modes((view(), view("ibkr-live", mode=SHADOW)))
    assert switch.selected_profile() == "ibkr-live"
    assert switch.badge.text().startswith("SHADOW")


def status(*names: str) -> StatusView:
    rows = tuple(
        ProfileRow(name=n, label=n, kind="k", origin="", state="ACTIVE", severity="ok", reason="", hint="")
        for n in names
    )
    return StatusView(profiles=rows)


def test_until_the_core_is_wired_every_profile_is_shadow_and_unchecked(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    window.show_status(status("ibkr-paper", "schwab"))
    switch = window.mode_switch
    assert [switch.profile_combo.itemData(i) for i in range(switch.profile_combo.count())] == ["ibkr-paper", "schwab"]
    for name in ("ibkr-paper", "schwab"):
        switch.select_profile(name)
        assert switch.current_view().mode == SHADOW
        assert switch.checklist.data(switch.checklist.index(0, 1)) == NOT_CHECKED
        assert not switch.arm_button.isEnabled()
    assert window.windowTitle() == "Brokerdeck"
    assert window.mode_chip.text() == "Trading: SHADOW"
    assert not window.order_ticket.place_button.isEnabled()


def test_the_title_and_the_chip_say_live_loudly(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    window.show_status(status("ibkr-paper", "schwab"))
    window.show_trading_modes((view(mode=LIVE), view("schwab")))
    assert window.windowTitle() == "Brokerdeck — LIVE: ibkr-paper"
    assert window.mode_chip.text() == "Trading: LIVE: ibkr-paper"
    assert window.mode_chip.mode == LIVE
    window.show_status(status("ibkr-paper", "schwab"))  # a status update does not reset the core's modes
    assert window.mode_switch.current_view().mode == LIVE
    window.show_trading_modes((view(), view("schwab")))
    assert window.windowTitle() == "Brokerdeck"
    assert window.mode_chip.text() == "Trading: SHADOW"


def test_the_mode_chip_opens_the_trading_dock(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert not window.docks["trading"].isVisible()
    qtbot.mouseClick(window.mode_chip, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(window.docks["trading"].isVisible, timeout=2000)
    assert window.trading_action.isChecked()
