"""One dark look: no panel keeps Qt's light default, and the severity colours read on the dark surfaces."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QWidget

from resources import resource_path
from widgets.add_profile_dialog import AddProfileDialog, FormField
from widgets.main_window import MainWindow
from widgets.market_view_models import COLORS
from widgets.mode_badge import ModeBadge
from widgets.severity import LIGHT_SEVERITY_COLORS, SEVERITY_COLORS, severity_color
from widgets.theme import LIGHT, THEME, THEMES, apply_theme, dark_palette, theme_palette, themed_style_sheet
from widgets.trading_views import MODE_COLORS
from widgets.view_models import CredentialRow, ProfileRow, StatusView

DARK = 80  # HSL lightness out of 255: the theme's surfaces are below 45, Qt's light default above 230

VIEW = StatusView(
    profiles=(
        ProfileRow(
            name="alpha",
            label="Alpha",
            kind="oauth2",
            origin="from profiles.toml",
            state="ACTIVE",
            severity="ok",
            reason="signed in",
            hint="",
            credentials=(CredentialRow("vault: token-set", "ACTIVE", "ok", "stored, intact"),),
        ),
    ),
    profiles_file="/home/trader/.config/brokerdeck/profiles.toml",
    vault_text="Vault: OS keyring: OK",
    checked_at="12:00:00",
)


def mean_lightness(widget: QWidget) -> float:
    """The average lightness of what the widget paints, sampled every 4 pixels."""
    image = widget.grab().toImage()
    samples = [
        image.pixelColor(x, y).lightness() for x in range(0, image.width(), 4) for y in range(0, image.height(), 4)
    ]
    return sum(samples) / len(samples)


def contrast(a: QColor, b: QColor) -> float:
    """The WCAG contrast ratio of two colours."""

    def luminance(color: QColor) -> float:
        def channel(c: float) -> float:
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

        return 0.2126 * channel(color.redF()) + 0.7152 * channel(color.greenF()) + 0.0722 * channel(color.blueF())

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def panels(window: MainWindow) -> dict[str, QWidget]:
    return {
        "menu bar": window.menuBar(),
        "status strip": window.status_strip,
        "market": window.market_viewer,
        "connections dock": window.docks["connections"],
        "connections detail": window.docks["connections"].widget(),
        "connection panel": window.connection_panel,
        "profile table": window.connection_panel.table.viewport(),
        "health indicator": window.health_indicator,
        "credential table": window.health_indicator.credential_table.viewport(),
        "status bar": window.statusBar(),
    }


def test_every_panel_of_the_window_is_dark(qtbot, dark_theme):
    window = MainWindow()
    qtbot.addWidget(window)
    window.show_status(VIEW)
    window.resize(1280, 720)
    window.show()
    window.show_connections()
    qtbot.waitUntil(window.docks["connections"].isVisible, timeout=2000)
    for name, panel in panels(window).items():
        palette = panel.palette()
        assert palette.color(QPalette.ColorRole.Window).lightness() < DARK, name
        assert palette.color(QPalette.ColorRole.Base).lightness() < DARK, name
        text, background = palette.color(QPalette.ColorRole.WindowText), palette.color(QPalette.ColorRole.Window)
        assert contrast(text, background) >= 4.5, name
        assert mean_lightness(panel) < DARK, name


def test_dialogs_are_dark_too(qtbot, dark_theme):
    dialog = AddProfileDialog(lambda _table: [], (FormField("loopback_tls", "Loopback TLS", "a flag", "flag"),))
    qtbot.addWidget(dialog)
    dialog.open_new()
    qtbot.waitExposed(dialog)
    window = MainWindow()
    qtbot.addWidget(window)
    window.error_dialog.add_error("Unexpected KeyError", "Traceback ...", "/tmp/brokerdeck.log")
    for panel in (dialog, window.error_dialog):
        assert mean_lightness(panel) < DARK, panel.objectName()


def test_without_the_theme_the_check_sees_the_light_default(qtbot):
    """The measure above can fail: plain Qt paints these panels light."""
    window = MainWindow()
    qtbot.addWidget(window)
    window.show_status(VIEW)
    window.show()
    window.show_connections()
    qtbot.waitUntil(window.docks["connections"].isVisible, timeout=2000)
    assert mean_lightness(window.connection_panel) > DARK


def test_the_palette_continues_the_market_colours():
    palette = dark_palette()
    assert palette.color(QPalette.ColorRole.Base).name() == COLORS["background"]
    assert palette.color(QPalette.ColorRole.AlternateBase).name() == COLORS["row_alt"]
    assert palette.color(QPalette.ColorRole.Text).name() == COLORS["text"]
    assert palette.color(QPalette.ColorRole.Highlight).name() == COLORS["bid_bar"]
    disabled = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText)
    assert disabled != palette.color(QPalette.ColorRole.ButtonText)


@pytest.mark.parametrize("severity", list(SEVERITY_COLORS))
@pytest.mark.parametrize("surface", ["base", "window", "raised"])
def test_severity_colours_read_on_every_dark_surface(severity, surface):
    assert contrast(SEVERITY_COLORS[severity], QColor(THEME[surface])) >= 4.5


def test_the_style_sheet_names_only_known_colours():
    sheet = themed_style_sheet(resource_path("style.qss").read_text("utf-8"), "/opt/brokerdeck/icons")
    assert "@" not in sheet
    assert THEME["accent"] in sheet
    assert "url(/opt/brokerdeck/icons/check.svg)" in sheet
    with pytest.raises(KeyError, match="@bogus"):
        themed_style_sheet("QLabel { color: @bogus; }", "")


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_live_is_unmistakable_in_every_theme(theme, qtbot):
    colors = THEMES[theme]
    shadow, live = ModeBadge(), ModeBadge()
    qtbot.addWidget(shadow)
    qtbot.addWidget(live)
    live.show_mode("LIVE", "LIVE")
    assert live.background() != shadow.background()
    live_fill, live_text = QColor(MODE_COLORS["LIVE"][0]), QColor(MODE_COLORS["LIVE"][1])
    assert contrast(live_text, live_fill) >= 4.5  # the word reads on the badge
    border = QColor("#ffffff")  # LIVE's outline (mode_badge): it carries the badge on the dark panels
    assert f"border: 2px solid {border.name()}" in live.styleSheet()
    for surface in ("window", "base", "raised"):
        panel = QColor(colors[surface])
        edge = max(contrast(live_fill, panel), contrast(border, panel))
        assert edge >= 3.0, surface  # the badge stands out of the panel, by its fill or its outline
    assert contrast(live_fill, QColor(MODE_COLORS["SHADOW"][0])) >= 1.5  # and from SHADOW's slate


@pytest.mark.parametrize("surface", ["base", "window", "raised"])
def test_the_light_themes_text_reads_on_its_surfaces(surface):
    for text in ("text", "muted", "error", "gain", "loss", "stale", "accent"):
        assert contrast(QColor(LIGHT[text]), QColor(LIGHT[surface])) >= 4.5, text


def test_the_light_style_sheet_fills_every_name():
    sheet = themed_style_sheet(resource_path("style.qss").read_text("utf-8"), "/icons", LIGHT)
    assert "@" not in sheet
    assert LIGHT["window"] in sheet
    palette = theme_palette(LIGHT)
    assert palette.color(QPalette.ColorRole.Window).lightness() > 200


@pytest.mark.parametrize("severity", list(LIGHT_SEVERITY_COLORS))
@pytest.mark.parametrize("surface", ["base", "window", "raised"])
def test_the_light_themes_severity_colours_read_on_its_surfaces(severity, surface):
    assert contrast(LIGHT_SEVERITY_COLORS[severity], QColor(LIGHT[surface])) >= 4.5


def test_the_theme_in_use_picks_the_severity_colours(qapp):
    template, icons = resource_path("style.qss").read_text("utf-8"), str(resource_path("icons"))
    style, palette, font, sheet = qapp.style().name(), QPalette(qapp.palette()), QFont(qapp.font()), qapp.styleSheet()
    try:
        apply_theme(qapp, "light", template, icons)
        assert severity_color("ok") == LIGHT_SEVERITY_COLORS["ok"]
        apply_theme(qapp, "dark", template, icons)
        assert severity_color("ok") == SEVERITY_COLORS["ok"]
    finally:
        qapp.setStyleSheet(sheet)
        qapp.setPalette(palette)
        qapp.setFont(font)
        qapp.setStyle(style)
