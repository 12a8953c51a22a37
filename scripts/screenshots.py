"""`make screenshots`: the README's pictures of the main window, with the sandbox connected, in both themes.

Run under Xvfb and a private Secret Service (the Makefile does both). For each theme it makes a fresh
Brokerdeck home, opens the Trading and Accounts docks beside the market, places two SHADOW orders
through the CLI against the sandbox (so the blotter and the positions have something to show), then
starts the real window with its own sandbox and lets it save its screenshot once it shows the trader's
working state (`brokerdeck --screenshot`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication

from brokers.core.paths import Paths

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "screenshots"
BROKERDECK = str(Path(sys.executable).parent / "brokerdeck")
SIZE = (1600, 1000)
THEMES = ("dark", "light")
ORDERS = (("AAPL", "buy", "10", "shot-1"), ("MSFT", "sell", "5", "shot-2"))


def seed_layout(config_dir: Path, theme: str) -> None:
    """The theme, and the window's layout with the Trading and Accounts docks open, as ui.ini keeps them."""
    from widgets.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    window = MainWindow()
    window.resize(*SIZE)
    window.show()
    window.show_trading()
    window.show_accounts()
    app.processEvents()
    window.resizeDocks([window.docks["trading"], window.docks["accounts"]], [600, 1000], Qt.Orientation.Horizontal)
    app.processEvents()
    settings = QSettings(str(config_dir / "ui.ini"), QSettings.Format.IniFormat)
    geometry, state = window.layout_state()
    settings.setValue("window/geometry", geometry)
    settings.setValue("window/state", state)
    settings.setValue("ui/theme", theme)
    settings.sync()
    window.close()


def run(env: dict[str, str], *args: str) -> None:
    subprocess.run([BROKERDECK, *args], env=env, check=True, stdout=subprocess.DEVNULL, timeout=120)


def place_shadow_orders(env: dict[str, str]) -> None:
    """Two SHADOW market orders on the sandbox IBKR profile, filled by the simulator against the sandbox's market."""
    from app.sandbox import running_sandbox

    endpoints = Paths.resolve(env).sandbox_endpoints_file
    sandbox = subprocess.Popen([BROKERDECK, "sandbox"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while running_sandbox(endpoints) is None:  # it announces itself once it listens
            if sandbox.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("The sandbox did not start: run `brokerdeck sandbox` to see why.")
            time.sleep(0.2)
        run(env, "limits", "sandbox-ibkr", "--per-order", "100000", "--daily", "300000")
        for symbol, side, quantity, decision in ORDERS:
            run(env, "orders", "place", "sandbox-ibkr", "--symbol", symbol, "--side", side, "--quantity", quantity,
                "--type", "market", "--decision-id", decision)  # fmt: skip
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)


def screenshot(theme: str) -> Path:
    target = OUT / f"main-window-{theme}.png"
    with tempfile.TemporaryDirectory(prefix="brokerdeck-shot-") as home_dir:
        env = {**os.environ, "BROKERDECK_HOME": home_dir}
        Paths.resolve(env).config_dir.mkdir(parents=True)
        seed_layout(Paths.resolve(env).config_dir, theme)
        place_shadow_orders(env)
        target.unlink(missing_ok=True)
        width, height = SIZE
        run(env, "--sandbox", "--geometry", f"{width}x{height}", "--screenshot", str(target))
    if not target.is_file():
        raise SystemExit(f"The window did not save {target}: see its log (brokerdeck.log under the home).")
    return target


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for theme in THEMES:
        print(f"{screenshot(theme).relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
