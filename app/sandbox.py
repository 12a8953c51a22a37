"""The app's one link to the broker sandbox: find a running one, start one for the window, serve one.

Nothing else in the app imports `brokers.sandbox` (an import-linter contract says so). The sandbox runs
as a child process of the GUI (`brokerdeck --sandbox`, `make run`), which keeps the emulators' work off
the UI loop; the child announces itself through its endpoints file, and its profile tables become
profiles through the registry's own loader, checked exactly as profiles.toml is.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

from brokers.core.profiles import ProfileOrigin, ProfileSchema, ProfileSet
from brokers.sandbox import cli as sandbox_cli
from brokers.sandbox.endpoints import SandboxEndpoints, read_endpoints

__all__ = [
    "SandboxEndpoints",
    "SandboxProcess",
    "SandboxStartError",
    "offered_profile_names",
    "running_sandbox",
    "sandbox_profiles",
]

log = logging.getLogger(__name__)


def running_sandbox(endpoints_file: Path) -> SandboxEndpoints | None:
    """The running sandbox, if its endpoints file names a live process."""
    return read_endpoints(endpoints_file)


def sandbox_profiles(sandbox: SandboxEndpoints, schema: ProfileSchema) -> ProfileSet:
    """The sandbox's ready-made profiles; a table this version cannot load (a newer sandbox's) is skipped."""
    loaded = schema.from_tables(sandbox.profiles, ProfileOrigin.SANDBOX)
    for error in loaded.errors:
        log.warning("sandbox profile skipped: %s", error)
    return loaded


def offered_profile_names() -> frozenset[str]:
    """The names of the profiles a running sandbox would offer, known without starting one.

    Each emulator names its profiles; their addresses do not matter here, so a stand-in address is used.
    """
    from brokers.sandbox.server import EMULATORS  # Starlette and uvicorn load only when this is asked

    addresses = {emulator.name: "http://127.0.0.1" for emulator in EMULATORS}
    return frozenset(str(table["name"]) for emulator in EMULATORS for table in emulator.profiles(addresses))


def add_command_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `brokerdeck sandbox`."""
    sandbox_cli.add_arguments(parser)


def run_command(args: argparse.Namespace) -> int:
    """`brokerdeck sandbox`: serve the emulators in the foreground until Ctrl+C."""
    return sandbox_cli.run(args)


def sandbox_command() -> list[str]:
    """How this process starts a sandbox child: the packaged, frozen `brokerdeck` binary has no Python `-m`,
    so it runs its own `sandbox` command; from source, the sandbox runs without the app."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "sandbox"]
    return [sys.executable, "-m", "brokers.sandbox"]


class SandboxStartError(RuntimeError):
    pass


class SandboxProcess:
    def __init__(self, endpoints_file: Path, log_file: Path, seed: int = 1) -> None:
        self.endpoints_file = endpoints_file
        self.log_file = log_file
        self.seed = seed
        self._process: subprocess.Popen[bytes] | None = None

    async def start(self, timeout: float = 30.0) -> SandboxEndpoints:
        command = [*sandbox_command(), "--seed", str(self.seed)]
        command += ["--endpoints-file", str(self.endpoints_file), "--exit-with-parent", str(os.getpid())]
        self.log_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self.log_file.open("ab") as output:  # the child's output goes to a file, never a full pipe
            self._process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            endpoints = read_endpoints(self.endpoints_file)
            if endpoints is not None and endpoints.pid == self._process.pid:
                return endpoints
            if self._process.poll() is not None:
                said = self.log_file.read_text(errors="replace").strip()[-2000:]
                raise SandboxStartError(
                    f"The sandbox exited with code {self._process.returncode} before it was ready "
                    f"(its output is in {self.log_file}):\n{said}"
                )
            await asyncio.sleep(0.05)
        await self.stop()
        raise SandboxStartError(f"The sandbox did not announce itself within {timeout:.0f} s.")

    async def stop(self, grace: float = 5.0) -> None:
        """Ask the sandbox to shut down (SIGTERM); kill it if it has not stopped after `grace` s."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        deadline = time.monotonic() + grace
        while process.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        if process.poll() is None:
            process.kill()
            process.wait()
