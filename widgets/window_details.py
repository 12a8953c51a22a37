"""What the main window opens on demand: the connections, trading and accounts details and the dialogs.

None of it is in the window's first paint (the docks start hidden, the dialogs closed), so the window
builds it after that paint, or when it is first used, and the market area shows as early as Qt can
paint it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QWidget

from widgets.accounts_dock import AccountsDock
from widgets.blotter import Blotter
from widgets.confirm_live_dialog import ConfirmLiveDialog
from widgets.connection_panel import ConnectionPanel
from widgets.error_dialog import ErrorDialog
from widgets.health_indicator import HealthIndicator
from widgets.mode_switch import ModeSwitch
from widgets.order_question_dialog import OrderQuestionDialog


class WindowDetails:
    """The hidden parts of the window, with `window` as their parent; `connections` and `trading` are the
    contents of their docks, `accounts_dock` the contents of the accounts dock."""

    def __init__(self, window: QWidget) -> None:
        self.connection_panel = ConnectionPanel(window)
        self.health_indicator = HealthIndicator(window)
        self.mode_switch = ModeSwitch(window)
        self.blotter = Blotter(window)
        self.accounts_dock = AccountsDock(window)
        self.confirm_dialog = ConfirmLiveDialog(window)
        self.question_dialog = OrderQuestionDialog(window)
        self.error_dialog = ErrorDialog(window)
        # Profiles and sign-in above, the selected profile's credential health below: the longer read.
        self.connections = _side_by_side(
            window, Qt.Orientation.Vertical, "connectionsDetail", (self.connection_panel, 2), (self.health_indicator, 3)
        )
        self.trading = _side_by_side(
            window, Qt.Orientation.Horizontal, "tradingDetail", (self.mode_switch, 1), (self.blotter, 1)
        )


def _side_by_side(parent: QWidget, orientation: Qt.Orientation, name: str, *parts: tuple[QWidget, int]) -> QSplitter:
    """A splitter of `parts`, each with its stretch factor, none collapsible."""
    splitter = QSplitter(orientation, parent)
    splitter.setObjectName(name)
    splitter.setChildrenCollapsible(False)
    for index, (widget, stretch) in enumerate(parts):
        splitter.addWidget(widget)
        splitter.setStretchFactor(index, stretch)
    return splitter
