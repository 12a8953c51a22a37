"""The main window: four docks the trader can arrange; the layout is saved by the app."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QWidget

from widgets.connection_panel import ConnectionPanel
from widgets.error_dialog import ErrorDialog
from widgets.health_indicator import HealthIndicator
from widgets.market_viewer import MarketViewer
from widgets.pending_feature import trading_mode_pending
from widgets.view_models import StatusView

LAYOUT_VERSION = 1  # bump only when dock names change; restoring an old layout is then skipped


class MainWindow(QMainWindow):
    """Holds the docks; `closing` lets the app save the layout and shut down cleanly."""

    closing = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle("Brokerdeck")
        self.setDockNestingEnabled(True)
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks
            | QMainWindow.DockOption.AllowNestedDocks
            | QMainWindow.DockOption.AllowTabbedDocks
        )
        self.connection_panel = ConnectionPanel(self)
        self.health_indicator = HealthIndicator(self)
        self.market_viewer = MarketViewer(parent=self)
        self.mode_toggle = trading_mode_pending(self)
        self.error_dialog = ErrorDialog(self)

        self.docks: dict[str, QDockWidget] = {}
        self._add_dock("connections", "Connections", self.connection_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self._add_dock("health", "Credential health", self.health_indicator, Qt.DockWidgetArea.LeftDockWidgetArea)
        self._add_dock("market", "Market data", self.market_viewer, Qt.DockWidgetArea.RightDockWidgetArea)
        self._add_dock("mode", "Trading mode", self.mode_toggle, Qt.DockWidgetArea.RightDockWidgetArea)
        self.resizeDocks([self.docks["connections"], self.docks["market"]], [540, 900], Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["market"], self.docks["mode"]], [640, 120], Qt.Orientation.Vertical)

        self.connection_panel.profileSelected.connect(self.health_indicator.select_profile)
        self.health_indicator.profileSelected.connect(self.connection_panel.select_profile)
        self.status_label = QLabel(self)
        self.statusBar().addPermanentWidget(self.status_label, 1)
        self.resize(1440, 860)

    def _add_dock(self, name: str, title: str, body: QWidget, area: Qt.DockWidgetArea) -> None:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{name}")
        dock.setWidget(body)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.addDockWidget(area, dock)
        self.docks[name] = dock

    def show_status(self, view: StatusView) -> None:
        self.connection_panel.show_status(view)
        self.health_indicator.show_status(view)

    def show_message(self, text: str) -> None:
        self.status_label.setText(text)

    def restore_layout(self, geometry: QByteArray | None, state: QByteArray | None) -> bool:
        """Apply a saved layout; False (and the default layout kept) when it does not fit."""
        restored = geometry is not None and bool(geometry) and self.restoreGeometry(geometry)
        return state is not None and bool(state) and self.restoreState(state, LAYOUT_VERSION) and restored

    def layout_state(self) -> tuple[QByteArray, QByteArray]:
        return self.saveGeometry(), self.saveState(LAYOUT_VERSION)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.closing.emit()
        super().closeEvent(event)
