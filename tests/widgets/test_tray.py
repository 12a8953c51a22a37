"""The tray: its colour is the worst credential state, its tooltip every profile's mode, its menu acts."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QColor

from widgets.main_window import MainWindow
from widgets.severity import SEVERITY_COLORS
from widgets.trading_views import MODE_COLORS, ProfileModeView
from widgets.tray import ICON_SIZE, TrayState, state_icon, tray_state
from widgets.view_models import ProfileRow, StatusView


def row(name: str, severity: str) -> ProfileRow:
    return ProfileRow(name, name, "oauth2", "profiles.toml", severity, severity, "", "")


def centre_and_rim(state: TrayState) -> tuple[QColor, QColor]:
    image = state_icon(state).pixmap(ICON_SIZE, ICON_SIZE).toImage()
    return image.pixelColor(ICON_SIZE // 2, ICON_SIZE // 2), image.pixelColor(ICON_SIZE // 2, 5)


def test_the_colour_is_the_worst_state_across_profiles(qapp: Any) -> None:
    assert tray_state([row("a", "ok"), row("b", "warn"), row("c", "idle")], ()).severity == "warn"
    assert tray_state([row("a", "ok"), row("b", "error"), row("c", "warn")], ()).severity == "error"
    assert tray_state([row("a", "ok"), row("b", "idle")], ()).severity == "idle"
    assert tray_state([row("a", "ok")], ()).severity == "ok"
    assert tray_state([], ()).severity == "idle"
    for severity, color in SEVERITY_COLORS.items():
        centre, _ = centre_and_rim(TrayState(severity))
        assert centre.name() == color.name(), severity


def test_a_live_profile_rings_the_icon_in_lives_red(qapp: Any) -> None:
    _, calm = centre_and_rim(TrayState("ok", (("a", "SHADOW"),)))
    _, live = centre_and_rim(TrayState("ok", (("a", "LIVE"),)))
    assert live.name() == MODE_COLORS["LIVE"][0]
    assert calm.name() != live.name()


def test_the_tooltip_lists_each_profiles_mode() -> None:
    state = tray_state(
        [row("ibkr", "ok"), row("schwab", "error")],
        (ProfileModeView("ibkr", "LIVE"), ProfileModeView("schwab", "SHADOW")),
    )
    assert state.tooltip.splitlines() == [
        "Brokerdeck: credentials needs action",
        "ibkr: LIVE",
        "schwab: SHADOW",
    ]
    assert state.any_live
    unchecked = tray_state([row("robinhood", "ok")], ())
    assert unchecked.tooltip.splitlines()[1:] == ["robinhood: SHADOW"]  # nothing armed yet: SHADOW


def test_the_window_feeds_the_tray_and_its_menu_opens_the_window_and_asks_for_shadow(qtbot: Any) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.build_details()
    tray = window.tray
    assert tray is not None
    assert tray.icon is None  # offscreen has no system tray: the menu and state work all the same
    assert [a.text() for a in tray.menu.actions() if a.text()] == [
        "Open Brokerdeck",
        "Everything back to SHADOW",
        "Quit",
    ]

    window.show_status(StatusView(profiles=(row("ibkr", "ok"), row("schwab", "warn"))))
    window.show_trading_modes((ProfileModeView("ibkr", "LIVE"), ProfileModeView("schwab", "SHADOW")))
    assert tray.state == TrayState("warn", (("ibkr", "LIVE"), ("schwab", "SHADOW")))

    with qtbot.waitSignal(window.everything_shadow_action.triggered):
        tray.shadow_action.trigger()
    assert not window.isVisible()
    tray.open_action.trigger()
    assert window.isVisible()
