"""The main window's docks: the connections, trading and accounts details, hidden until the trader opens them.

A dock gets its contents from the window when it first shows (the window builds them right after its first
paint, or then). The first time a dock opens docked it gets room to be read without crowding the market:
the connections detail a share of the window's width, the trading detail and the accounts some height for a
few rows. A layout the trader saved keeps the trader's own sizes.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow

DETAIL_SHARE = 0.36  # of the window's width, for the connections detail when it first opens beside the market
DETAIL_WIDTH = (400, 580)  # the least and the most of that width, in pixels
TRADING_HEIGHT = 360  # of the trading detail when it first opens below the market (at most 40% of the window)
_FEATURES = (
    QDockWidget.DockWidgetFeature.DockWidgetClosable
    | QDockWidget.DockWidgetFeature.DockWidgetMovable
    | QDockWidget.DockWidgetFeature.DockWidgetFloatable
)


class WindowDocks:
    """The docks of `window` by name ("connections", "trading", "accounts"), each with its View menu toggle.

    `build_contents` gives the docks their contents; a dock calls it whenever it shows (it builds once).
    """

    def __init__(self, window: QMainWindow, build_contents: Callable[[], object]) -> None:
        self.window = window
        self.build_contents = build_contents
        self.docks: dict[str, QDockWidget] = {}
        self.unsized: set[str] = set()  # the docks not yet given their first-open size
        self._add(
            "connections",
            "Connections",
            Qt.DockWidgetArea.RightDockWidgetArea,
            "Ctrl+Shift+C",
            "Show or hide the connections detail (Ctrl+Shift+C)",
        )
        self._add(
            "trading",
            "Trading",
            Qt.DockWidgetArea.BottomDockWidgetArea,
            "Ctrl+Shift+T",
            "Show or hide the mode switch and the blotter (Ctrl+Shift+T)",
        )
        self._add(
            "accounts",
            "Accounts",
            Qt.DockWidgetArea.BottomDockWidgetArea,
            "Ctrl+Shift+A",
            "Show or hide balances, positions and P&L (Ctrl+Shift+A)",
            beside="trading",
        )

    def _add(self, name: str, title: str, area: Qt.DockWidgetArea, shortcut: str, tip: str, beside: str = "") -> None:
        """A hidden dock in `area` (to the right of dock `beside` when given), its toggle titled as the dock."""
        dock = QDockWidget(title, self.window)
        dock.setObjectName(f"dock-{name}")
        dock.setFeatures(_FEATURES)
        self.window.addDockWidget(area, dock)
        if beside:
            self.window.splitDockWidget(self.docks[beside], dock, Qt.Orientation.Horizontal)
        dock.hide()
        dock.visibilityChanged.connect(self._build_when_shown)  # first: the sizing below reads the contents
        dock.visibilityChanged.connect(lambda visible: self._size_on_first_open(name, visible))
        self.docks[name] = dock
        self.unsized.add(name)
        toggle = dock.toggleViewAction()
        toggle.setText(title)
        toggle.setShortcut(QKeySequence(shortcut))
        toggle.setToolTip(tip)

    def toggle(self, name: str) -> QAction:
        """The action that shows or hides dock `name` (the View menu's, with its shortcut)."""
        return self.docks[name].toggleViewAction()

    def show(self, name: str) -> None:
        dock = self.docks[name]
        dock.show()
        dock.raise_()

    def any_open(self) -> bool:
        return any(not dock.isHidden() for dock in self.docks.values())

    def keep_saved_sizes(self) -> None:
        """A restored layout holds the trader's own sizes: no dock is sized on its first opening."""
        self.unsized.clear()

    def _build_when_shown(self, visible: bool) -> None:
        """A dock opened before the app built the details (View menu, strip button) gets its contents."""
        if visible:
            self.build_contents()

    def _size_on_first_open(self, name: str, visible: bool) -> None:
        dock = self.docks[name]
        if not visible or name not in self.unsized or dock.isFloating():
            return
        self.unsized.discard(name)
        window = self.window
        if name == "connections":
            least, most = DETAIL_WIDTH
            width = max(least, min(most, round(window.width() * DETAIL_SHARE)), dock.minimumSizeHint().width())
            window.resizeDocks([dock], [width], Qt.Orientation.Horizontal)
        else:
            height = max(dock.minimumSizeHint().height(), min(TRADING_HEIGHT, window.height() * 2 // 5))
            window.resizeDocks([dock], [height], Qt.Orientation.Vertical)
