"""The main window: the market is the workspace; connections are a strip of chips and a detail on demand.

A trader watches the market and glances at the connections, so the market area takes the window and
each profile is one chip in the status strip above it. The order ticket sits beside the market. The full
connections detail (profiles, sign-in, credential health), the trading detail (the mode switch and the
blotter) and the accounts (balances, positions, P&L) are docks, hidden until the strip or the View menu
opens them; their layout is saved by the app. Their contents are built after the first paint, or when
first used (see WindowDetails), so the window shows the market as early as Qt can paint it. The docks
themselves are in window_docks, the menu bar in window_menus.
The trading mode is never hidden: the strip's mode chip and the window title say LIVE loudly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QLabel,
    QMainWindow,
    QScrollArea,
    QSplitter,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from widgets.market_viewer import MarketViewer
from widgets.mode_badge import ModeChip, live_title
from widgets.order_ticket import TICKET_WIDTH, OrderTicket
from widgets.status_strip import StatusStrip
from widgets.trading_views import unchecked_mode_view
from widgets.window_docks import DETAIL_WIDTH, WindowDocks
from widgets.window_menus import WindowMenus, about_box, show_about_text

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox

    from widgets.accounts_dock import AccountsDock
    from widgets.blotter import Blotter
    from widgets.confirm_live_dialog import ConfirmLiveDialog
    from widgets.connection_panel import ConnectionPanel
    from widgets.error_dialog import ErrorDialog
    from widgets.health_indicator import HealthIndicator
    from widgets.mode_switch import ModeSwitch
    from widgets.order_question_dialog import OrderQuestionDialog
    from widgets.trading_views import ProfileModeView
    from widgets.tray import TrayIcon
    from widgets.view_models import LoginView, ProfileRow, StatusView
    from widgets.window_details import WindowDetails

LAYOUT_VERSION = 2  # bump only when dock names change; restoring an old layout is then skipped
DEFAULT_SIZE = QSize(1440, 860)
TITLE = "Brokerdeck"


class MainWindow(QMainWindow):
    """The market in the middle, the status strip above it, the connections detail docked on demand.

    `closing` lets the app save the layout and shut down cleanly; the close button and File > Quit both
    send it. `openLogFolderRequested` asks the app to open the log folder (widgets do no I/O).
    """

    closing = Signal()
    openLogFolderRequested = Signal()
    themeRequested = Signal(str)  # "system" | "light" | "dark": the app applies and remembers it

    def __init__(self, parent: QWidget | None = None, *, version: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle(TITLE)
        self.version = version
        self.install_details: tuple[tuple[str, str], ...] = ()  # for Help > About, from the app
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks
            | QMainWindow.DockOption.AllowNestedDocks
            | QMainWindow.DockOption.AllowTabbedDocks
        )
        self.market_viewer = MarketViewer(parent=self)
        self.order_ticket = OrderTicket(self)
        self.mode_chip = ModeChip(self)
        self._details: WindowDetails | None = None
        self.about_box: QMessageBox | None = None
        self._login: LoginView | None = None
        self._modes_shown = False  # until the app shows the core's modes, every profile is unchecked SHADOW
        self.tray: TrayIcon | None = None  # built with the details, after the first paint
        self._status_rows: tuple[ProfileRow, ...] = ()
        self._mode_views: tuple[ProfileModeView, ...] = ()

        self.dock_set = WindowDocks(self, self.build_details)
        self.docks = self.dock_set.docks
        self.connections_action = self.dock_set.toggle("connections")
        self.trading_action = self.dock_set.toggle("trading")
        self.accounts_action = self.dock_set.toggle("accounts")
        self.connections_button = QToolButton(self)
        self.connections_button.setObjectName("connectionsButton")
        self.connections_button.setDefaultAction(self.connections_action)
        self.status_strip = StatusStrip((self.mode_chip, self.connections_button), self)
        self.market_area = QSplitter(Qt.Orientation.Horizontal, self)
        self.market_area.setObjectName("marketArea")
        self.market_area.setChildrenCollapsible(False)
        self.market_area.addWidget(self.market_viewer)
        self.ticket_scroll = QScrollArea(self)  # a short window scrolls the ticket rather than squeeze it
        self.ticket_scroll.setObjectName("ticketScroll")
        self.ticket_scroll.setWidget(self.order_ticket)
        self.ticket_scroll.setWidgetResizable(True)
        self.ticket_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.ticket_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        bar = self.ticket_scroll.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        self.ticket_scroll.setMinimumWidth(TICKET_WIDTH + bar)
        self.ticket_scroll.setMaximumWidth(self.order_ticket.maximumWidth() + bar)
        self.market_area.addWidget(self.ticket_scroll)
        self.market_area.setStretchFactor(0, 1)
        self.market_area.setStretchFactor(1, 0)
        self.market_area.setSizes([DEFAULT_SIZE.width() - TICKET_WIDTH - bar, TICKET_WIDTH + bar])
        workspace = QWidget(self)
        workspace.setObjectName("workspace")
        column = QVBoxLayout(workspace)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.status_strip)
        column.addWidget(self.market_area, 1)
        self.setCentralWidget(workspace)
        self.mode_chip.clicked.connect(self.show_trading)

        self.status_strip.profileClicked.connect(self.show_profile_detail)
        self.status_strip.detailRequested.connect(self.show_connections)
        menus = WindowMenus(self, (self.connections_action, self.trading_action, self.accounts_action))
        self.add_profile_action = menus.add_profile
        self.reload_action = menus.reload
        self.quit_action = menus.quit
        self.rotate_keys_action = menus.rotate_keys
        self.check_health_action = menus.check_health
        self.reconcile_action = menus.reconcile
        self.find_instrument_action = menus.find_instrument
        self.open_log_folder_action = menus.open_log_folder
        self.about_action = menus.about
        self.everything_shadow_action = menus.everything_shadow
        self.connect_action = menus.connect
        self.open_ticket_action = menus.open_ticket
        self.connect_action.triggered.connect(self.connect_selected_profile)
        self.open_ticket_action.triggered.connect(self.focus_order_ticket)
        self.theme_actions = menus.themes
        for choice, action in self.theme_actions.items():
            action.triggered.connect(lambda _checked=False, c=choice: self.themeRequested.emit(c))
        self.quit_action.triggered.connect(self.close)  # the same path as the close button
        self.find_instrument_action.triggered.connect(self.focus_instrument_search)
        self.open_log_folder_action.triggered.connect(self.openLogFolderRequested)
        self.about_action.triggered.connect(self.show_about)
        self.status_label = QLabel(self)
        self.statusBar().addPermanentWidget(self.status_label, 1)
        self.resize(DEFAULT_SIZE)

    # ---- the parts shown on demand ---------------------------------------------------------------

    def build_details(self) -> WindowDetails:
        """The docks' contents and the dialogs, built on first call: the app calls it after the first paint."""
        if self._details is None:
            from widgets.window_details import WindowDetails

            details = self._details = WindowDetails(self)
            self.docks["connections"].setWidget(details.connections)
            self.docks["trading"].setWidget(details.trading)
            self.docks["accounts"].setWidget(details.accounts_dock)
            details.connection_panel.profileSelected.connect(details.health_indicator.select_profile)
            details.connection_panel.profileSelected.connect(self.status_strip.select_profile)
            details.connection_panel.profileSelected.connect(self.rotate_keys_action.select_profile)
            self.add_profile_action.triggered.connect(details.connection_panel.addProfileRequested)
            self.reload_action.triggered.connect(details.connection_panel.reloadRequested)
            self.check_health_action.triggered.connect(details.health_indicator.refreshRequested)
            self.reconcile_action.triggered.connect(details.blotter.reconcileRequested)
            from widgets.tray import TrayIcon  # the tray's painting and menu need not delay the first paint

            self.tray = TrayIcon(self)
            self.tray.openRequested.connect(self.bring_to_front)
            self.tray.shadowRequested.connect(self.everything_shadow_action.trigger)
            self.tray.quitRequested.connect(self.quit_action.trigger)
            self._show_tray()
        return self._details

    @property
    def connection_panel(self) -> ConnectionPanel:
        return self.build_details().connection_panel

    @property
    def health_indicator(self) -> HealthIndicator:
        return self.build_details().health_indicator

    @property
    def mode_switch(self) -> ModeSwitch:
        return self.build_details().mode_switch

    @property
    def blotter(self) -> Blotter:
        return self.build_details().blotter

    @property
    def accounts_dock(self) -> AccountsDock:
        return self.build_details().accounts_dock

    @property
    def confirm_dialog(self) -> ConfirmLiveDialog:
        return self.build_details().confirm_dialog

    @property
    def question_dialog(self) -> OrderQuestionDialog:
        return self.build_details().question_dialog

    @property
    def error_dialog(self) -> ErrorDialog:
        return self.build_details().error_dialog

    # ---- what the app shows ---------------------------------------------------------------------

    def show_status(self, view: StatusView) -> None:
        self.status_strip.show_status(view)
        self._status_rows = view.profiles
        self.connection_panel.show_status(view)
        self.health_indicator.show_status(view)
        starting = view.login is not None and (self._login is None or self._login.profile != view.login.profile)
        self._login = view.login
        if starting and view.login is not None:
            self.show_profile_detail(view.login.profile)  # the sign-in's countdown and buttons live there
        if not self._modes_shown:
            self.mode_switch.show_modes(tuple(unchecked_mode_view(row.name) for row in view.profiles))
        self._show_tray()

    def show_trading_modes(self, views: tuple[ProfileModeView, ...]) -> None:
        """Every profile's mode from the trading core: the switch, the strip's chip and the title follow."""
        self._modes_shown = True
        self._mode_views = views
        self.mode_switch.show_modes(views)
        self.show_trading_mode(tuple(view.profile for view in views if view.live))
        self._show_tray()

    def _show_tray(self) -> None:
        if self.tray is not None:
            from widgets.tray import tray_state

            self.tray.show_state(tray_state(self._status_rows, self._mode_views))

    def show_trading_mode(self, live_profiles: tuple[str, ...]) -> None:
        """Say in the title and the status strip which profiles send real orders, if any."""
        self.setWindowTitle(f"{TITLE} — {live_title(live_profiles)}" if live_profiles else TITLE)
        self.mode_chip.show_live_profiles(live_profiles)

    def show_message(self, text: str) -> None:
        self.status_label.setText(text)

    # ---- what the trader opens ------------------------------------------------------------------

    def show_connections(self) -> None:
        """Open the detail docked beside the market, or floating over the window's right side when the
        window is too narrow to hold both without squeezing the market (the trader can dock it again)."""
        self.build_details()  # the floating size below reads the contents
        dock = self.docks["connections"]
        if not dock.isVisible() and not dock.isFloating() and not self._room_for_detail(dock):
            dock.setFloating(True)
            size = dock.sizeHint().expandedTo(dock.minimumSizeHint())
            width = max(size.width(), DETAIL_WIDTH[0])
            height = min(max(size.height(), self.height() - 80), self.height())
            corner = self.mapToGlobal(QPoint(self.width() - width, 60))
            dock.setGeometry(QRect(corner, QSize(width, height)))
        self.dock_set.show("connections")

    def show_trading(self) -> None:
        """Open the mode switch and the blotter below the market."""
        self.dock_set.show("trading")

    def show_accounts(self) -> None:
        """Open balances, positions and P&L below the market, beside the blotter."""
        self.dock_set.show("accounts")

    def _room_for_detail(self, dock: QDockWidget) -> bool:
        needed = self.market_area.minimumSizeHint().width() + max(dock.minimumSizeHint().width(), DETAIL_WIDTH[0])
        return self.width() >= needed

    def show_profile_detail(self, name: str) -> None:
        """Open the detail on profile `name`: its row, its credentials, its actions."""
        self.show_connections()
        self.connection_panel.select_profile(name)
        self.health_indicator.select_profile(name)
        self.status_strip.select_profile(name)

    def focus_instrument_search(self) -> None:
        search = self.market_viewer.symbol_edit
        search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        search.selectAll()

    def show_theme_choice(self, choice: str) -> None:
        """Tick the theme the app applies (View > Theme)."""
        self.theme_actions[choice].setChecked(True)

    def bring_to_front(self) -> None:
        """Show the window, restored if minimized, above the others (a second launch, the tray)."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    def show_install_details(self, details: tuple[tuple[str, str], ...]) -> None:
        """The (what, value) lines About adds: the folders of config, data and logs, the vault in use."""
        self.install_details = details
        if self.about_box is not None:
            show_about_text(self.about_box, self.version, details)

    def focus_order_ticket(self) -> None:
        """Put the cursor in the ticket's quantity, scrolled into view: the next keys type the order."""
        quantity = self.order_ticket.quantity
        self.ticket_scroll.ensureWidgetVisible(quantity)
        quantity.setFocus(Qt.FocusReason.ShortcutFocusReason)
        quantity.selectAll()

    def connect_selected_profile(self) -> None:
        """Open the connections detail and press Connect (or Reconnect) for its selected profile, when allowed.

        With none selected yet, the first profile is, as the health detail shows it first.
        """
        self.show_connections()
        panel = self.connection_panel
        if not panel.selected_profile() and self._status_rows:
            panel.select_profile(self._status_rows[0].name)
        for button in (panel.connect_button, panel.reconnect_button):
            if button.isEnabled():
                button.click()
                return

    def show_about(self) -> None:
        if self.about_box is None:
            self.about_box = about_box(self, self.version, self.install_details)
        self.about_box.show()
        self.about_box.raise_()

    # ---- saved layout ---------------------------------------------------------------------------

    def restore_layout(self, geometry: QByteArray | None, state: QByteArray | None) -> bool:
        """Apply a saved layout; False (and the default layout kept) when it does not fit."""
        restored = geometry is not None and bool(geometry) and self.restoreGeometry(geometry)
        applied = state is not None and bool(state) and self.restoreState(state, LAYOUT_VERSION) and restored
        if applied:
            self.dock_set.keep_saved_sizes()
        if self.dock_set.any_open():
            self.build_details()  # a dock the trader left open shows its contents in the first paint
        return applied

    def layout_state(self) -> tuple[QByteArray, QByteArray]:
        return self.saveGeometry(), self.saveState(LAYOUT_VERSION)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.closing.emit()
        super().closeEvent(event)
