"""Run the sandbox in the foreground; shared by `python -m brokers.sandbox` and `brokerdeck sandbox`.

SIGINT and SIGTERM both mean "shut down cleanly": stop serving, remove the endpoints file, exit 0,
so a supervisor (make, a test, systemd) never sees a stale file or a failure after a normal stop.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from brokers.core.paths import Paths
from brokers.core.processes import process_alive

if TYPE_CHECKING:
    from brokers.sandbox.server import SandboxServer

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the sandbox's options to `parser` (the app's CLI adds them to its `sandbox` command)."""
    parser.add_argument("--seed", type=int, default=1, help="seed of the deterministic synthetic market (default: 1)")
    parser.add_argument(
        "--instruments",
        type=_instrument_count,
        default=4,
        metavar="N",
        help="how many instruments the market trades: the four defaults, then synthetic stocks SYN0000, "
        "SYN0001, ... (default: 4; the benchmark's 100-line run asks for 100)",
    )
    parser.add_argument(
        "--endpoints-file",
        type=Path,
        default=Paths.resolve().sandbox_endpoints_file,
        metavar="PATH",
        help="where to write the services' URLs for the app to find (default: %(default)s)",
    )
    parser.add_argument(
        "--exit-with-parent",
        type=int,
        metavar="PID",
        help="stop cleanly once process PID has exited (the app passes its own pid, so a killed app "
        "leaves no sandbox behind)",
    )


def _instrument_count(text: str) -> int:
    from brokers.sandbox.market import MAX_INSTRUMENTS

    if not text.isdecimal() or not 1 <= int(text) <= MAX_INSTRUMENTS:
        raise argparse.ArgumentTypeError(f"a whole number from 1 to {MAX_INSTRUMENTS}, not {text!r}")
    return int(text)


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM; 0 after a clean stop, 1 when the sandbox cannot start."""
    from brokers.sandbox.server import SandboxServer

    sandbox = SandboxServer(seed=args.seed, endpoints_path=args.endpoints_file, instruments=args.instruments)

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        sandbox.request_stop()

    # Installed before the loop exists, so a signal at any moment means a clean stop: asyncio.run
    # then leaves SIGINT to us instead of raising KeyboardInterrupt, and SIGTERM never gets its
    # default action (killing the process and leaving the endpoints file behind).
    previous = {sig: signal.signal(sig, on_signal) for sig in _STOP_SIGNALS}
    try:
        asyncio.run(_serve(sandbox, args.exit_with_parent))
    except OSError as exc:
        print(f"sandbox: cannot start: {exc}", file=sys.stderr)
        return 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


async def _serve(sandbox: SandboxServer, parent_pid: int | None) -> None:
    async with sandbox:
        services = sandbox.endpoints.services
        width = max(map(len, services))
        for name, url in services.items():
            print(f"{name:<{width}}  {url}")
        print(f"endpoints file: {sandbox.endpoints_path}", flush=True)
        watcher = asyncio.create_task(_stop_when_gone(sandbox, parent_pid)) if parent_pid else None
        await sandbox.wait_stopped()
        if watcher is not None:
            watcher.cancel()


async def _stop_when_gone(sandbox: SandboxServer, pid: int) -> None:
    """Poll once a second: a parent killed with SIGKILL cannot tell its children to stop."""
    while process_alive(pid):
        await asyncio.sleep(1.0)
    print(f"sandbox: process {pid} has exited; stopping", file=sys.stderr, flush=True)
    sandbox.request_stop()
