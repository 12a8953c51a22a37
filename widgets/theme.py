"""The window's looks: a dark palette that continues the market area's colours into every panel, and a light one.

The colours are named once here, the dark ones starting from the market area's (`COLORS`), so the panels,
menus and dialogs read as one instrument with the ladder and the chart. The style sheet
(resources/style.qss) names them as `@name`; `apply_theme` fills them in from the chosen palette, so no
colour is written twice. `@icons` is the folder of the bundled icons, which the app passes in (widgets
never look for files). Widgets that colour a text themselves read `tokens()`, the palette in use.
The market area (ladder, chart, tape) keeps its dark colours in both: it is the instrument.
"""

from __future__ import annotations

import re

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

from widgets.market_view_models import COLORS
from widgets.severity import LIGHT_SEVERITY_COLORS, SEVERITY_COLORS, use_severity_colors

THEME: dict[str, str] = {
    "base": COLORS["background"],  # tables, lists, text fields: the market area's own background
    "alternate": COLORS["row_alt"],
    "window": "#161c23",  # panels, the menu bar and the status strip: a step above the market area
    "raised": "#1d252e",  # buttons, chips, dock titles
    "raised_hover": "#26303b",
    "border": COLORS["grid"],
    "text": COLORS["text"],
    "muted": COLORS["muted"],
    "disabled": "#56606b",
    "highlight": COLORS["bid_bar"],
    "highlight_text": "#ffffff",
    "accent": COLORS["bid"],
    "error": SEVERITY_COLORS["error"].name(),
    "gain": COLORS["up"],  # P&L above zero, as the market's up ticks
    "loss": COLORS["down"],
    "stale": SEVERITY_COLORS["warn"].name(),  # figures older than their reader promised
}

LIGHT: dict[str, str] = {
    "base": "#ffffff",
    "alternate": "#f2f4f7",
    "window": "#e9edf1",
    "raised": "#f7f9fb",
    "raised_hover": "#dde3e9",
    "border": "#b9c2cc",
    "text": "#1a222b",
    "muted": "#55616d",
    "disabled": "#98a2ad",
    "highlight": "#2563b0",
    "highlight_text": "#ffffff",
    "accent": "#1f5fb4",
    "error": LIGHT_SEVERITY_COLORS["error"].name(),
    "gain": LIGHT_SEVERITY_COLORS["ok"].name(),
    "loss": "#b42318",
    "stale": LIGHT_SEVERITY_COLORS["warn"].name(),
}

DARK = "dark"
LIGHT_THEME = "light"
SYSTEM = "system"  # follow the operating system's light or dark setting
THEMES: dict[str, dict[str, str]] = {DARK: THEME, LIGHT_THEME: LIGHT}
THEME_CHOICES: dict[str, str] = {SYSTEM: "&System", LIGHT_THEME: "&Light", DARK: "&Dark"}  # choice: menu text

FONT_POINT_SIZE = 10.0
_TOKEN = re.compile(r"@([a-z_]+)")
_in_use: dict[str, str] = THEME


def tokens() -> dict[str, str]:
    """The colours of the theme in use (the dark one until the app applies another)."""
    return _in_use


def dark_palette() -> QPalette:
    return theme_palette(THEME)


def theme_palette(colors: dict[str, str]) -> QPalette:
    """Every colour role Qt's Fusion style paints with, in both the active and the disabled state."""
    palette = QPalette()
    color = {name: QColor(value) for name, value in colors.items()}
    roles = {
        QPalette.ColorRole.Window: color["window"],
        QPalette.ColorRole.WindowText: color["text"],
        QPalette.ColorRole.Base: color["base"],
        QPalette.ColorRole.AlternateBase: color["alternate"],
        QPalette.ColorRole.ToolTipBase: color["raised"],
        QPalette.ColorRole.ToolTipText: color["text"],
        QPalette.ColorRole.PlaceholderText: color["muted"],
        QPalette.ColorRole.Text: color["text"],
        QPalette.ColorRole.Button: color["raised"],
        QPalette.ColorRole.ButtonText: color["text"],
        QPalette.ColorRole.BrightText: color["highlight_text"],
        QPalette.ColorRole.Highlight: color["highlight"],
        QPalette.ColorRole.HighlightedText: color["highlight_text"],
        QPalette.ColorRole.Link: color["accent"],
        QPalette.ColorRole.LinkVisited: color["accent"],
        QPalette.ColorRole.Light: color["raised_hover"],
        QPalette.ColorRole.Midlight: color["raised"],
        QPalette.ColorRole.Mid: color["border"],
        QPalette.ColorRole.Dark: color["base"],
        QPalette.ColorRole.Shadow: QColor("#000000"),
    }
    for role, value in roles.items():
        palette.setColor(role, value)
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.HighlightedText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, color["disabled"])
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Button, color["window"])
    return palette


def themed_style_sheet(template: str, icons: str, colors: dict[str, str] = THEME) -> str:
    """`template` with every `@name` replaced by its colour and `@icons` by the icons' folder (in /-form).

    An unknown name is an error, not a blank.
    """
    values = {**colors, "icons": icons.replace("\\", "/")}

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"the style sheet names an unknown colour @{name}")
        return values[name]

    return _TOKEN.sub(value, template)


def apply_dark_theme(app: QApplication, style_sheet_template: str, icons: str) -> None:
    apply_theme(app, DARK, style_sheet_template, icons)


def apply_theme(app: QApplication, theme: str, style_sheet_template: str, icons: str) -> None:
    """Fusion (the one style that honours a palette everywhere), the theme's palette, one font size, the sheet."""
    global _in_use
    _in_use = THEMES[theme]
    use_severity_colors(LIGHT_SEVERITY_COLORS if theme == LIGHT_THEME else SEVERITY_COLORS)
    if app.style().name().lower() != "fusion":
        app.setStyle("Fusion")
    app.setPalette(theme_palette(_in_use))
    font = QFont(app.font())
    font.setPointSizeF(FONT_POINT_SIZE)
    app.setFont(font)
    app.setStyleSheet(themed_style_sheet(style_sheet_template, icons, _in_use))


def theme_for(choice: str, dark_system: bool) -> str:
    """The palette a choice means: `system` follows the OS (dark when it says nothing, as before)."""
    if choice in THEMES:
        return choice
    return DARK if dark_system else LIGHT_THEME
