"""The trading mode as a filled badge: the same colours and words wherever a mode is shown.

A trader must never have to read closely to know where an order goes, so the mode is said twice: in a
word (SHADOW / LIVE) and in a colour (calm slate for SHADOW, red with white text for LIVE).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QToolButton, QWidget

from widgets.trading_views import LIVE, MODE_COLORS, SHADOW


class ModeBadge(QLabel):
    """Plain text on the mode's colour; restyled only when the mode changes."""

    def __init__(self, parent: QWidget | None = None, *, point_size: float = 0.0) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self.mode = ""
        self._point_size = point_size
        self.show_mode(SHADOW, SHADOW)

    def show_mode(self, mode: str, text: str) -> None:
        if mode != self.mode:
            self.mode = mode
            background, foreground = MODE_COLORS.get(mode, MODE_COLORS[SHADOW])
            size = f"font-size: {self._point_size}pt;" if self._point_size else ""
            border = "#ffffff" if mode == LIVE else background
            self.setStyleSheet(
                f"background: {background}; color: {foreground}; font-weight: bold; {size}"
                f" border: 2px solid {border}; border-radius: 4px; padding: 4px 8px;"
            )
        self.setText(text)
        self.setAccessibleName(text)

    def background(self) -> str:
        """The badge's colour (#rrggbb) for the mode it shows."""
        return MODE_COLORS.get(self.mode, MODE_COLORS[SHADOW])[0]


def live_title(live_profiles: tuple[str, ...]) -> str:
    """The words for the window's title and the status strip: which profiles send real orders, if any."""
    return f"LIVE: {', '.join(live_profiles)}" if live_profiles else ""


class ModeChip(QToolButton):
    """The mode in the status strip: SHADOW, or LIVE with the profiles that are armed; opens the switch."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tradingModeChip")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.mode = ""
        self.show_live_profiles(())

    def show_live_profiles(self, live_profiles: tuple[str, ...]) -> None:
        mode = LIVE if live_profiles else SHADOW
        text = f"Trading: {live_title(live_profiles)}" if live_profiles else "Trading: SHADOW"
        if mode != self.mode:
            self.mode = mode
            background, foreground = MODE_COLORS[mode]
            border = "#ffffff" if mode == LIVE else background
            self.setStyleSheet(
                f"QToolButton {{ background: {background}; color: {foreground}; font-weight: bold;"
                f" border: 1px solid {border}; border-radius: 4px; padding: 3px 10px; }}"
            )
        self.setText(text)
        self.setToolTip(
            f"Real orders are sent for {', '.join(live_profiles)}. Click for the mode switch."
            if live_profiles
            else "Every profile is in SHADOW: orders are simulated and nothing is sent. Click for the mode switch."
        )
        self.setAccessibleName(text)
