"""The main window's layout and menus, measured on the real widgets at the sizes traders use."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QWidget

from widgets.main_window import DETAIL_WIDTH, LAYOUT_VERSION, MainWindow
from widgets.market_view_models import LadderLevel, MarketView, Print
from widgets.view_models import LoginView, ProfileRow, StatusView

pytestmark = pytest.mark.usefixtures("dark_theme")  # measured as traders see it: the app's font and style


def profile(name: str, state: str, severity: str, expires: str = "") -> ProfileRow:
    return ProfileRow(
        name=name,
        label=f"{name.title()} broker",
        kind="oauth2",
        origin="from profiles.toml",
        state=state,
        severity=severity,
        reason=f"{name} reason",
        hint=f"fix {name}",
        expires=expires,
    )


VIEW = StatusView(
    profiles=(
        profile("alpha", "ACTIVE", "ok", "Fri 15:04:05 (in 23h 59m)"),
        profile("bravo", "EXPIRING", "warn", "15:04:05 (in 4m)"),
        profile("charlie", "FAILED", "error"),
    ),
    profiles_file="/home/trader/.config/brokerdeck/profiles.toml",
)

MARKET = MarketView(
    conid=265598,
    symbol="AAPL",
    version=1,
    last=190.0,
    bid=189.99,
    ask=190.01,
    bid_size=300,
    ask_size=200,
    bids=tuple(LadderLevel(round(189.99 - i * 0.01, 2), 100 + i) for i in range(10)),
    asks=tuple(LadderLevel(round(190.01 + i * 0.01, 2), 100 + i) for i in range(10)),
    prints=(Print(1_760_000_000.0, 190.0, 100),),
    history_t=np.array([1_760_000_000.0, 1_760_000_001.0]),
    history_last=np.array([190.0, 190.01]),
    history_bid=np.array([189.99, 190.0]),
    history_ask=np.array([190.01, 190.02]),
    history_volume=np.array([0.0, 100.0]),
    age="live",
)


def open_window(qtbot, width: int, height: int) -> MainWindow:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show_status(VIEW)
    window.market_viewer.show_market(MARKET)
    window.resize(width, height)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.size().width() == width and window.size().height() == height, timeout=2000)
    return window


def activate(qtbot, window: MainWindow) -> None:
    """Keyboard shortcuts go to the active window only."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)


def in_window(window: MainWindow, widget: QWidget) -> QRect:
    return QRect(widget.mapTo(window, widget.rect().topLeft()), widget.size())


def market_widgets(window: MainWindow) -> list[QWidget]:
    viewer = window.market_viewer
    return [viewer, viewer.symbol_edit, viewer.results, viewer.age_badge, viewer.ladder, viewer.chart, viewer.tape]


@pytest.mark.parametrize(("width", "height"), [(1600, 1000), (1280, 720), (1920, 1080), (2560, 1440)])
def test_the_market_holds_most_of_the_window(qtbot, width, height):
    window = open_window(qtbot, width, height)
    assert not window.docks["connections"].isVisible()  # the details open on demand
    assert not window.docks["trading"].isVisible()
    assert window.market_viewer.width() > 0.65 * width
    assert window.market_viewer.height() > 0.8 * height
    assert window.status_strip.height() < 0.08 * height


@pytest.mark.parametrize("width", [1600, 1920, 2560])
def test_with_the_detail_open_the_market_still_leads(qtbot, width):
    window = open_window(qtbot, width, round(width * 9 / 16))
    window.show_connections()
    qtbot.waitUntil(lambda: window.docks["connections"].isVisible(), timeout=2000)
    detail = window.docks["connections"].widget()
    assert window.market_area.width() > 0.6 * width  # the market with its order ticket
    assert window.market_viewer.width() > 0.5 * width
    assert detail.width() >= detail.minimumSizeHint().width()


@pytest.mark.parametrize("detail_open", [False, True])
def test_a_small_screen_takes_the_window_and_nothing_is_cut(qtbot, detail_open):
    window = open_window(qtbot, 1000, 650)
    if detail_open:
        window.show_connections()
        qtbot.waitUntil(lambda: window.docks["connections"].isVisible(), timeout=2000)
    assert window.minimumSizeHint().width() <= 1000
    assert (window.width(), window.height()) == (1000, 650)
    strip = window.status_strip
    shown = [
        *strip.chips.values(),
        window.mode_chip,
        window.connections_button,
        window.order_ticket,
        *market_widgets(window),
    ]
    if detail_open:  # too narrow for both side by side: the detail floats over the window instead
        assert window.docks["connections"].isFloating()
        for widget in (window.connection_panel, window.health_indicator):
            hint = widget.minimumSizeHint()
            assert widget.width() >= hint.width(), widget.objectName()
            assert widget.height() >= hint.height(), widget.objectName()
    for widget in shown:
        hint = widget.minimumSizeHint()
        assert widget.width() >= hint.width(), widget.objectName()
        assert widget.height() >= hint.height(), widget.objectName()
        assert window.rect().contains(in_window(window, widget)), widget.objectName()
    for chip in strip.chips.values():
        assert chip.size() == chip.sizeHint()  # a chip is never squeezed: the strip grows a row instead
        assert strip.rect().contains(QRect(chip.pos(), chip.size()))


def test_the_strip_shows_every_profile_with_its_state_and_time_left(qtbot):
    window = open_window(qtbot, 1280, 720)
    chips = window.status_strip.chips
    assert list(chips) == ["alpha", "bravo", "charlie"]
    alpha = chips["alpha"]
    assert (alpha.label.text(), alpha.state.text(), alpha.countdown.text()) == ("Alpha broker", "ACTIVE", "in 23h 59m")
    assert chips["bravo"].countdown.text() == "in 4m"
    assert chips["charlie"].countdown.isHidden()


def test_a_chip_opens_the_detail_on_its_profile(qtbot):
    window = open_window(qtbot, 1280, 720)
    qtbot.mouseClick(window.status_strip.chips["bravo"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.docks["connections"].isVisible(), timeout=2000)
    assert window.connection_panel.selected_profile() == "bravo"
    assert "Bravo broker" in window.health_indicator.title.text()
    assert window.status_strip.chips["bravo"].property("selected") is True
    assert window.connections_action.isChecked()


def test_the_connections_button_and_action_toggle_the_detail(qtbot):
    window = open_window(qtbot, 1280, 720)
    dock = window.docks["connections"]
    qtbot.mouseClick(window.connections_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dock.isVisible, timeout=2000)
    window.connections_action.trigger()
    qtbot.waitUntil(lambda: not dock.isVisible(), timeout=2000)
    assert not window.connections_button.isChecked()


def test_a_sign_in_under_way_opens_the_detail_where_its_countdown_is(qtbot):
    window = open_window(qtbot, 1280, 720)
    login = LoginView(profile="charlie", label="Charlie broker", url="", deadline=0.0, redirect_hint="")
    window.show_status(StatusView(profiles=VIEW.profiles, profiles_file=VIEW.profiles_file, login=login))
    qtbot.waitUntil(lambda: window.docks["connections"].isVisible(), timeout=2000)
    assert window.connection_panel.selected_profile() == "charlie"
    assert window.connection_panel.login_wait.isVisibleTo(window.connection_panel)


def test_problems_show_as_a_notice_that_opens_the_detail(qtbot):
    window = open_window(qtbot, 1280, 720)
    notice = window.status_strip.notice
    assert notice.isHidden()
    window.show_status(
        StatusView(profiles=VIEW.profiles, profile_errors=("line 3: bad", "line 9: bad"), vault_ok=False)
    )
    assert notice.isVisible()
    assert notice.text() == "profiles.toml: 2 problems, vault problem"
    qtbot.mouseClick(notice, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.docks["connections"].isVisible(), timeout=2000)


def test_the_menus_hold_every_command_with_its_shortcut(qtbot):
    window = open_window(qtbot, 1280, 720)
    menus = {action.text().replace("&", ""): action.menu() for action in window.menuBar().actions()}
    assert list(menus) == ["File", "Profile", "Trading", "View", "Help"]
    shortcuts = {
        action.text().replace("&", ""): action.shortcut().toString()
        for menu in menus.values()
        for action in menu.actions()
        if not action.isSeparator()
    }
    assert shortcuts == {
        "Add profile…": "",
        "Reload profiles": QKeySequence("Ctrl+R").toString(),
        "Quit": QKeySequence("Ctrl+Q").toString(),
        "Connect selected profile": QKeySequence("Ctrl+K").toString(),
        "Rotate keys…": "",
        "Order ticket": QKeySequence("Ctrl+T").toString(),
        "Everything back to SHADOW": QKeySequence("Ctrl+Shift+S").toString(),
        "Connections": QKeySequence("Ctrl+Shift+C").toString(),
        "Trading": QKeySequence("Ctrl+Shift+T").toString(),
        "Accounts": QKeySequence("Ctrl+Shift+A").toString(),
        "Check health now": "F5",
        "Reconcile orders": "",
        "Find instrument": QKeySequence("Ctrl+L").toString(),
        "Theme": "",
        "Open log folder": "",
        "About Brokerdeck": "",
    }


@pytest.mark.parametrize(
    ("action", "signal"),
    [
        ("add_profile_action", "connection_panel.addProfileRequested"),
        ("reload_action", "connection_panel.reloadRequested"),
        ("check_health_action", "health_indicator.refreshRequested"),
        ("reconcile_action", "blotter.reconcileRequested"),
        ("open_log_folder_action", "openLogFolderRequested"),
    ],
)
def test_each_command_asks_the_app_through_the_signal_it_already_listens_to(qtbot, action, signal):
    window = open_window(qtbot, 1280, 720)
    owner, _, name = signal.rpartition(".")
    emitter = getattr(window, owner) if owner else window
    with qtbot.waitSignal(getattr(emitter, name), timeout=1000):
        getattr(window, action).trigger()


def test_shortcuts_reach_their_commands_from_the_keyboard(qtbot):
    window = open_window(qtbot, 1280, 720)
    activate(qtbot, window)
    with qtbot.waitSignal(window.health_indicator.refreshRequested, timeout=1000):
        qtbot.keyClick(window, Qt.Key.Key_F5)
    qtbot.keyClick(window, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(window.docks["connections"].isVisible, timeout=2000)
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(window.market_viewer.symbol_edit.hasFocus, timeout=2000)


def test_quit_closes_the_window_the_way_the_close_button_does(qtbot):
    window = open_window(qtbot, 1280, 720)
    activate(qtbot, window)
    with qtbot.waitSignal(window.closing, timeout=1000):
        qtbot.keyClick(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert not window.isVisible()


def test_about_is_non_modal_and_names_the_version(qtbot):
    window = MainWindow(version="9.8.7")
    qtbot.addWidget(window)
    window.about_action.trigger()
    assert window.about_box is not None
    assert window.about_box.isVisible()
    assert window.about_box.windowModality() == Qt.WindowModality.NonModal
    assert "Brokerdeck 9.8.7" in window.about_box.text()
    assert "SHADOW" in window.about_box.text()


def test_a_layout_saved_by_the_previous_version_is_not_applied(qtbot):
    """Version 1 had four docks; its saved state must not be forced onto this layout."""
    first = MainWindow()
    qtbot.addWidget(first)
    first.show_connections()
    geometry, state = first.layout_state()
    second = MainWindow()
    qtbot.addWidget(second)
    assert not second.restore_layout(geometry, first.saveState(LAYOUT_VERSION - 1))
    assert second.docks["connections"].isHidden()
    assert second.restore_layout(geometry, state)
    assert not second.docks["connections"].isHidden()


def test_the_hidden_details_are_built_after_the_first_paint_or_when_a_dock_opens(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    dock = window.docks["connections"]
    assert dock.widget() is None  # not needed for the first paint
    window.connections_action.trigger()  # the View menu, before the app built them
    qtbot.waitUntil(dock.isVisible, timeout=2000)
    assert dock.widget() is not None
    assert dock.widget().isAncestorOf(window.connection_panel)
    qtbot.waitUntil(lambda: dock.width() >= DETAIL_WIDTH[0], timeout=2000)  # sized on the first opening
    with qtbot.waitSignal(window.connection_panel.addProfileRequested, timeout=1000):
        window.add_profile_action.trigger()


def test_a_restored_layout_with_a_dock_open_paints_it_with_its_contents(qtbot):
    first = MainWindow()
    qtbot.addWidget(first)
    first.show_trading()
    geometry, state = first.layout_state()
    second = MainWindow()
    qtbot.addWidget(second)
    assert second.restore_layout(geometry, state)
    assert second.docks["trading"].widget() is not None
    assert second.docks["trading"].widget().isAncestorOf(second.mode_switch)
