"""The GUI entry: the main window paints first, then one qasync loop runs Qt, httpx and websockets together.

The window is shown, and painted by Qt's own loop, before asyncio, qasync and the heavy parts (vault,
HTTP client, controllers) are imported, so the trader sees it as early as Qt can paint it.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QEventLoop, QObject, QSettings, QSize, QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QIcon
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit

from app.context import AppContext
from app.error_reporting import ErrorReporter
from app.logging_setup import LOG_FILE_NAME
from app.single_instance import Claim, InstanceGuard, instance_name
from app.theme_setting import ThemeSetting
from brokers.core.environment import VAULT_BACKEND_ENV, VAULT_PASSPHRASE_ENV
from resources import resource_path
from widgets.main_window import MainWindow

if TYPE_CHECKING:
    import asyncio

    from app.sandbox import SandboxProcess
    from app.status_controller import StatusController

log = logging.getLogger(__name__)

FIRST_PAINT_PATIENCE_MS = 1000  # a window that is not exposed (minimized, say) gets no paint; start anyway
SCREENSHOT_PATIENCE_S = 30.0  # the longest --screenshot waits for the trader's working state (below)
SCREENSHOT_MARKET_S = 4.0  # how long the market area must have shown prices and prints before the picture
SCREENSHOT_POLL_MS = 250


def run_gui(
    context: AppContext,
    *,
    start_sandbox: bool = False,
    screenshot: Path | None = None,
    size: tuple[int, int] | None = None,
) -> int:
    """Open the main window (`size` is width, height) and run until it is closed; return the exit code."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("Brokerdeck")
    app.setOrganizationName("Brokerdeck")
    app.setDesktopFileName("io.brokerdeck.Brokerdeck")
    app.setQuitOnLastWindowClosed(False)  # the loop ends after our own async shutdown
    app.setWindowIcon(QIcon(str(resource_path("icons/brokerdeck.svg"))))
    guard = InstanceGuard(instance_name(context.paths.config_dir), app)
    claim = guard.claim()
    if claim is not Claim.FIRST:  # another window of this installation runs: it was asked to come forward
        print(claim.message)
        log.info("%s", claim.message)
        return 0
    settings = QSettings(str(context.paths.ui_settings_file), QSettings.Format.IniFormat)
    theme = ThemeSetting(app, settings, resource_path("style.qss").read_text("utf-8"), str(resource_path("icons")))
    passphrase = _ask_passphrase_if_needed()  # modal: it must run before the asyncio loop starts
    reporter = ErrorReporter()
    reporter.install()
    window = _open_window(context, reporter, settings, size)
    guard.activated.connect(window.bring_to_front)
    theme.attach(window)
    _wait_for_first_paint(window)
    import asyncio

    import qasync  # after PySide6, so qasync binds to it

    loop = qasync.QEventLoop()
    reporter.install(loop)
    session = _Session(context, window, settings, reporter, passphrase, asyncio.Event(), start_sandbox, screenshot)
    try:
        return asyncio.run(session.run(), loop_factory=lambda: loop)
    finally:
        guard.release()


def _open_window(
    context: AppContext, reporter: ErrorReporter, settings: QSettings, size: tuple[int, int] | None
) -> MainWindow:
    """The main window in the trader's saved layout (or at `size`), shown."""
    window = MainWindow()
    log_dir = context.paths.log_dir
    log_file = str(log_dir / LOG_FILE_NAME)
    reporter.errorRaised.connect(lambda summary, details: window.error_dialog.add_error(summary, details, log_file))
    window.openLogFolderRequested.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(log_dir))))
    window.restore_layout(settings.value("window/geometry"), settings.value("window/state"))
    if size is not None:
        window.resize(QSize(*size))
    _close_on_signals(window)
    window.show()
    return window


def _wait_for_first_paint(window: MainWindow) -> None:
    """Run Qt's own loop until `window` has painted once (or FIRST_PAINT_PATIENCE_MS passed, or it closed).

    Everything the app loads after this, asyncio and qasync included, comes after the trader sees the window.
    """
    loop = QEventLoop()
    painted = _QuitOnPaint(loop)
    window.installEventFilter(painted)
    window.closing.connect(loop.quit)
    QTimer.singleShot(FIRST_PAINT_PATIENCE_MS, loop.quit)
    loop.exec()
    window.closing.disconnect(loop.quit)
    window.removeEventFilter(painted)


class _QuitOnPaint(QObject):
    """Ends `loop` at the first paint of the widget it watches."""

    def __init__(self, loop: QEventLoop) -> None:
        super().__init__()
        self.loop = loop

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.loop.quit()
        return False


class _Session:
    """Everything that lives as long as the main window, set up and torn down in order."""

    def __init__(
        self,
        context: AppContext,
        window: MainWindow,
        settings: QSettings,
        reporter: ErrorReporter,
        passphrase: str,
        closed: asyncio.Event,
        start_sandbox: bool,
        screenshot: Path | None,
    ) -> None:
        self.context = context
        self.window = window
        self.settings = settings
        self.reporter = reporter
        self.passphrase = passphrase
        self.start_sandbox = start_sandbox
        self.screenshot = screenshot
        self.closed = closed
        self.screenshot_cue: _WhenWorking | None = None  # held here: the timer only calls it, it does not own it
        window.closing.connect(closed.set)
        if window.isHidden():  # closed while it painted
            closed.set()

    async def run(self) -> int:
        window, settings, reporter = self.window, self.settings, self.reporter
        window.version = _version()  # for Help > About; the package metadata is slow to read
        window.build_details()  # the docks' contents and the dialogs, hidden in the first paint
        window.market_viewer.build_chart()  # pyqtgraph now, not at the first tick
        from app.market_controller import MarketController
        from app.operations import Operations
        from app.status_controller import StatusController

        operations = Operations(reporter.report_exception)
        vault = self.context.vault(ask_passphrase=lambda: self.passphrase)
        from app.install_details import install_details

        window.show_install_details(install_details(self.context, vault))
        sandbox = await self._start_sandbox(window, reporter) if self.start_sandbox else None
        controller = StatusController(self.context, vault, window, operations)
        if self.screenshot:
            self.screenshot_cue = _WhenWorking(window, controller, lambda reason: self._save_screenshot(window, reason))
        remembered = settings.value("market/conid")
        market = MarketController(
            window.market_viewer,
            controller.sessions.market_sources,
            controller.sessions.changed,
            operations,
            parent=window,
            remembered=int(remembered) if str(remembered or "").isdigit() else None,
        )
        from app.trading_controller import TradingController

        trading = TradingController(
            self.context.paths.data_dir,
            window,
            self.context.registry,
            controller.sessions,
            market,
            operations,
            controller.profiles,
        )
        from app.accounts_controller import AccountsController

        accounts = AccountsController(
            window.accounts_dock,
            controller.sessions,
            market,
            self.context.paths.data_dir,
            controller.profiles,
            window.show_message,
            parent=window,
        )
        from app.rotation_controller import RotationController

        rotation = RotationController(self.context.registry, vault, window, operations, controller.profiles)
        rotation.follow(controller)
        controller.start()
        market.start()
        trading.start()
        accounts.start()
        settle_after_startup()
        log.info("Main window open (sandbox=%s)", bool(sandbox))

        await self.closed.wait()
        geometry, state = window.layout_state()
        settings.setValue("window/geometry", geometry)
        settings.setValue("window/state", state)
        if market.conid is not None:
            settings.setValue("market/conid", market.conid)
        settings.sync()
        accounts.stop()
        trading.stop()
        await market.stop()
        await controller.stop()
        await operations.shutdown()
        if sandbox:
            await sandbox.stop()
        log.info("Main window closed")
        return 0

    async def _start_sandbox(self, window: MainWindow, reporter: ErrorReporter) -> SandboxProcess | None:
        from app.sandbox import SandboxProcess, SandboxStartError

        window.show_message("Starting the local broker sandbox…")
        paths = self.context.paths
        sandbox = SandboxProcess(paths.sandbox_endpoints_file, paths.log_dir / "sandbox.log")
        try:
            await sandbox.start()
        except SandboxStartError as exc:
            window.show_message("The local broker sandbox did not start; see the error.")
            reporter.report_exception(exc)
            return None
        window.show_message("Local broker sandbox started.")
        return sandbox

    def _save_screenshot(self, window: MainWindow, reason: str) -> None:
        if self.screenshot and not self.closed.is_set():
            self.screenshot.parent.mkdir(parents=True, exist_ok=True)
            window.grab().save(str(self.screenshot))
            log.info("Saved a screenshot of the main window to %s (%s)", self.screenshot, reason)
            self.screenshot = None
            window.close()


class _WhenWorking:
    """Calls `take` once the window shows the trader's working state, or when SCREENSHOT_PATIENCE_S ran out.

    That state: the first status is rendered, no session is still connecting, and, when a session
    streams market data, the market area has shown prices and prints for SCREENSHOT_MARKET_S.
    """

    def __init__(self, window: MainWindow, controller: StatusController, take: Callable[[str], None]) -> None:
        self.viewer = window.market_viewer
        self.sessions = controller.sessions
        self.take = take
        self.deadline = time.monotonic() + SCREENSHOT_PATIENCE_S
        self.rendered = False
        self.market_since: float | None = None
        controller.applied.connect(self._rendered)
        self.timer = QTimer(window)
        self.timer.setInterval(SCREENSHOT_POLL_MS)
        self.timer.timeout.connect(self._check)
        self.timer.start()

    def _rendered(self) -> None:
        self.rendered = True  # sessions start from the first render on; before it, none is "connecting"

    def _check(self) -> None:
        now = time.monotonic()
        if not self.viewer.shows_market():
            self.market_since = None
        elif self.market_since is None:
            self.market_since = now
        reason = self._ready(now)
        if reason:
            self.timer.stop()
            self.take(reason)

    def _ready(self, now: float) -> str:
        """Why the window is worth a picture now; empty while it is not."""
        if now > self.deadline:
            return f"gave up waiting for the market after {SCREENSHOT_PATIENCE_S:.0f} s"
        if not (self.rendered and self.sessions.settled()):
            return ""
        if not self.sessions.market_sources():
            return "no session streams market data"
        if self.market_since is not None and now - self.market_since >= SCREENSHOT_MARKET_S:
            return f"the market has shown data for {SCREENSHOT_MARKET_S:.0f} s"
        return ""


def _version() -> str:
    """The installed version for Help > About; empty when the package metadata is not there."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("brokerdeck")
    except PackageNotFoundError:
        return ""


def settle_after_startup() -> None:
    """Move everything loaded at startup out of the garbage collector's reach.

    Qt, pyqtgraph and numpy leave a few hundred thousand long-lived objects; every full collection
    would walk them all, a pause of tens of milliseconds in the middle of the market stream.
    """
    gc.collect()
    gc.freeze()


def _ask_passphrase_if_needed() -> str:
    """With the opt-in passphrase vault and no passphrase in the environment, ask once, up front."""
    if os.environ.get(VAULT_BACKEND_ENV, "").strip().lower() != "passphrase":
        return ""
    if os.environ.get(VAULT_PASSPHRASE_ENV):
        return os.environ[VAULT_PASSPHRASE_ENV]
    text, accepted = QInputDialog.getText(None, "Brokerdeck vault", "Vault passphrase:", QLineEdit.EchoMode.Password)
    if not accepted or not text:
        from brokers.vault import VaultPassphraseWrong

        raise VaultPassphraseWrong("No vault passphrase was entered, so the vault stays closed.")
    return text


def _close_on_signals(window: MainWindow) -> None:
    """SIGINT/SIGTERM close the window cleanly, so the sandbox child and the layout are handled."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: window.close())
    # Python runs signal handlers only between bytecodes; a cheap timer gives it the chance.
    wake = QTimer(window)
    wake.timeout.connect(lambda: None)
    wake.start(250)
