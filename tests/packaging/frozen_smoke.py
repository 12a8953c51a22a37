"""The packaged Brokerdeck, installed from its tarball as a user would, works without Python or the source tree.

`make package` runs this after the build (it is not part of `make test`, which never builds a package):

    scripts/with-secret-service .venv/bin/python -m tests.packaging.frozen_smoke build/brokerdeck-*.tar.gz

In a throw-away HOME and BROKERDECK_HOME, offscreen, against the real Secret Service it runs under:
1. install.sh puts the program, the command, the menu entry, the icons and the metadata in place;
2. the installed `brokerdeck` opens its window with its own sandbox (started as the frozen binary's own
   `sandbox` command), and `brokerdeck status --json` reports the sandbox IBKR profile ACTIVE with the vault
   ok; SIGTERM closes the window with exit code 0 and the sandbox goes with it;
3. `brokerdeck --sandbox --screenshot` waits until the market viewer has shown prices and prints (ticks that
   came through the sandbox's IBKR stream) for a few seconds, saves the picture and exits 0;
4. uninstall.sh removes everything install.sh put in place.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

APP_ID = "io.brokerdeck.Brokerdeck"
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
PATIENCE_S = 90.0  # a cold start of the frozen app, its sandbox, and the IBKR session's first signed round trips


class SmokeFailure(Exception):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SmokeFailure(message)


def wait_for[T](probe: Callable[[], T | None], what: str, patience_s: float = PATIENCE_S) -> T:
    deadline = time.monotonic() + patience_s
    while time.monotonic() < deadline:
        found = probe()
        if found is not None:
            return found
        time.sleep(0.5)
    raise SmokeFailure(f"gave up after {patience_s:.0f} s waiting for {what}")


class Scene:
    """One throw-away user: a HOME to install into, a BROKERDECK_HOME for the app's config, data and logs."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "home"
        self.app_home = root / "brokerdeck-home"
        self.home.mkdir()
        self.opt = self.home / ".local" / "opt" / "brokerdeck"
        self.command = self.home / ".local" / "bin" / "brokerdeck"
        self.share = self.home / ".local" / "share"
        self.log_file = self.app_home / "data" / "logs" / "brokerdeck.log"
        self.endpoints_file = self.app_home / "data" / "sandbox" / "endpoints.json"

    def env(self) -> dict[str, str]:
        """The installing user's environment: this HOME, whose ~/.local/share is the data home (the private
        keyring's XDG_DATA_HOME stays with the keyring)."""
        env = {**os.environ, "HOME": str(self.home), "BROKERDECK_HOME": str(self.app_home)}
        env.pop("XDG_DATA_HOME", None)
        return env

    def app_env(self) -> dict[str, str]:
        """The app's environment: offscreen Qt; the Secret Service is the one this script runs under."""
        return {**self.env(), "QT_QPA_PLATFORM": "offscreen"}

    def installed_files(self) -> list[Path]:
        icons = self.share / "icons" / "hicolor"
        return [
            self.opt / "brokerdeck",
            self.opt / "uninstall.sh",
            self.command,
            self.share / "applications" / f"{APP_ID}.desktop",
            self.share / "metainfo" / f"{APP_ID}.metainfo.xml",
            icons / "scalable" / "apps" / f"{APP_ID}.svg",
            *(icons / f"{n}x{n}" / "apps" / f"{APP_ID}.png" for n in ICON_SIZES),
        ]


def unpack(tarball: Path, into: Path) -> Path:
    with tarfile.open(tarball) as archive:
        archive.extractall(into, filter="tar")
    (folder,) = into.iterdir()
    return folder


def install(scene: Scene, unpacked: Path) -> None:
    result = subprocess.run(
        [str(unpacked / "install.sh")], env=scene.env(), capture_output=True, text=True, timeout=300, check=False
    )
    check(result.returncode == 0, f"install.sh exited {result.returncode}: {result.stderr}")
    missing = [str(p) for p in scene.installed_files() if not p.exists()]
    check(not missing, f"install.sh did not install {missing}")
    check(scene.command.resolve() == (scene.opt / "brokerdeck").resolve(), "~/.local/bin/brokerdeck is not the program")
    entry = (scene.share / "applications" / f"{APP_ID}.desktop").read_text("utf-8")
    check(f"Exec={scene.opt}/brokerdeck" in entry.splitlines(), "the menu entry does not run the installed program")
    if shutil.which("desktop-file-validate"):
        validated = subprocess.run(
            ["desktop-file-validate", str(scene.share / "applications" / f"{APP_ID}.desktop")],
            capture_output=True,
            text=True,
            check=False,
        )
        check(validated.returncode == 0, f"the installed menu entry is not valid: {validated.stdout}")


def brokerdeck(scene: Scene, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(scene.command), *args], env=scene.app_env(), capture_output=True, text=True, timeout=timeout, check=False
    )


def sandbox_ibkr_active(scene: Scene) -> dict[str, object] | None:
    """The status report once the running window's sandbox IBKR session is ACTIVE and the report is healthy."""
    result = brokerdeck(scene, "status", "--json")
    if result.returncode != 0 or not result.stdout.strip():
        return None
    report = json.loads(result.stdout)
    ibkr = [p for p in report["profiles"] if p["profile"] == "sandbox-ibkr"]
    return report if ibkr and ibkr[0]["state"] == "ACTIVE" and report["vault"]["ok"] else None


def sandbox_command_line(scene: Scene) -> list[str] | None:
    """The running sandbox's command line, read from /proc through the pid in its endpoints file."""
    try:
        pid = json.loads(scene.endpoints_file.read_text("utf-8"))["pid"]
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError, KeyError):
        return None
    return [part.decode() for part in raw.split(b"\0") if part]


def still_open(window: subprocess.Popen[bytes]) -> bool:
    """True while the window runs; its early exit ends the wait at once."""
    check(window.poll() is None, f"the window exited early with code {window.returncode}")
    return True


def window_connects_and_reports_status(scene: Scene) -> str:
    log = (scene.root / "window.out").open("wb")
    window = subprocess.Popen(
        [str(scene.command), "--sandbox"], env=scene.app_env(), stdout=log, stderr=subprocess.STDOUT
    )
    try:
        sandbox = wait_for(lambda: still_open(window) and sandbox_command_line(scene), "the window's sandbox")
        check(
            sandbox[:2] == [str(scene.opt / "brokerdeck"), "sandbox"],
            f"the sandbox is not the installed binary's own `sandbox` command: {sandbox}",
        )
        report = wait_for(
            lambda: still_open(window) and sandbox_ibkr_active(scene),
            "`brokerdeck status --json` to report sandbox-ibkr ACTIVE",
        )
        check(bool(report["sandbox"]), "the status report names no sandbox")
        window.send_signal(signal.SIGTERM)
        code = window.wait(timeout=60)
    finally:
        if window.poll() is None:
            window.kill()
            window.wait()
        log.close()
    check(code == 0, f"the window exited {code} after SIGTERM; its output is in {scene.root / 'window.out'}")
    check(not scene.endpoints_file.exists(), "the window's sandbox did not stop with it")
    return "status --json: sandbox-ibkr ACTIVE, vault ok; the sandbox ran as `brokerdeck sandbox`; SIGTERM -> exit 0"


def ticks_reach_the_viewer(scene: Scene) -> str:
    shot = scene.root / "window.png"
    result = brokerdeck(scene, "--sandbox", "--screenshot", str(shot), timeout=PATIENCE_S + 60)
    check(result.returncode == 0, f"--screenshot exited {result.returncode}: {result.stderr[-2000:]}")
    said = [line for line in scene.log_file.read_text("utf-8").splitlines() if "Saved a screenshot" in line]
    check(bool(said), "the window saved no screenshot")
    check("(the market has shown data for" in said[-1], f"the viewer showed no market data: {said[-1]}")
    check(shot.stat().st_size > 20_000, f"the screenshot is nearly empty ({shot.stat().st_size} bytes)")
    return f"the viewer showed prices and prints from the stream; {shot.stat().st_size} byte screenshot"


def uninstall(scene: Scene) -> None:
    result = subprocess.run(
        [str(scene.opt / "uninstall.sh")], env=scene.env(), capture_output=True, text=True, timeout=120, check=False
    )
    check(result.returncode == 0, f"uninstall.sh exited {result.returncode}: {result.stderr}")
    left = [str(p) for p in scene.installed_files() if p.exists() or p.is_symlink()]
    check(not left, f"uninstall.sh left {left}")
    check(scene.app_home.exists(), "uninstall.sh removed the user's Brokerdeck data")


def run(tarball: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="brokerdeck-smoke-") as scratch:
        scene = Scene(Path(scratch))
        steps: list[tuple[str, Callable[[], str | None]]] = [
            ("install.sh", lambda: install(scene, unpack(tarball, scene.root / "unpacked"))),
            ("brokerdeck --help", lambda: check(brokerdeck(scene, "--help").returncode == 0, "--help failed")),
            ("window + own sandbox + status", lambda: window_connects_and_reports_status(scene)),
            ("a tick reaches the viewer", lambda: ticks_reach_the_viewer(scene)),
            ("uninstall.sh", lambda: uninstall(scene)),
        ]
        for name, step in steps:
            started = time.monotonic()
            try:
                detail = step()
            except (SmokeFailure, subprocess.TimeoutExpired) as exc:
                if scene.log_file.exists():
                    print(scene.log_file.read_text("utf-8", errors="replace")[-4000:], file=sys.stderr)
                raise SmokeFailure(f"{name}: {exc}") from exc
            print(f"ok  {name} ({time.monotonic() - started:.1f} s){': ' + detail if detail else ''}", flush=True)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        run(Path(argv[0]).resolve())
    except SmokeFailure as exc:
        print(f"frozen smoke test FAILED: {exc}", file=sys.stderr)
        return 1
    print("frozen smoke test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
