"""Pieces of the benchmark: a sandbox in its own process, a connected IBKR session, and measurements."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
from PySide6.QtCore import QCoreApplication, QEvent

from brokers.ibkr.credentials import IbkrCredentials, KeyMaterial
from brokers.ibkr.keys import generate_rsa_key, public_key_pem
from brokers.ibkr.sandbox_setup import PORTAL_PATH, RFC3526_GROUP14_PRIME, portal_request
from brokers.ibkr.session import IbkrSession
from tests.sandbox_runner import REPO_ROOT, SandboxRunner

CONSUMER_KEY = "BDBENCH01"
CONIDS = (265598, 272093, 495512557, 12087792)


async def connected_session(sandbox: SandboxRunner, accounts: Sequence[str] = ("DU1234567",)) -> IbkrSession:
    """Register a consumer with `accounts` through the sandbox's portal, then mint, open the brokerage session
    and tickle."""
    keys = KeyMaterial(generate_rsa_key(), generate_rsa_key(), RFC3526_GROUP14_PRIME)
    body = portal_request(
        CONSUMER_KEY,
        public_key_pem(keys.signature_key),
        public_key_pem(keys.encryption_key),
        keys.dh_prime,
        accounts=list(accounts),
    )
    async with httpx.AsyncClient(timeout=10) as http:
        issued = (await http.post(f"{sandbox.services['ibkr']}{PORTAL_PATH}", json=body)).json()
    credentials = IbkrCredentials(
        CONSUMER_KEY, "limited_poa", issued["access_token"], issued["access_token_secret"], keys
    )
    session = IbkrSession(f"{sandbox.services['ibkr']}/v1/api", credentials)
    await session.connect()
    return session


def paint_now(chart_scene: object | None) -> None:
    """Deliver now what Qt would paint next, so it can be timed: the chart's scene update (pyqtgraph's scene
    paints its view from a queued call, not from an update request) and every widget's update request."""
    if chart_scene is not None:
        QCoreApplication.sendPostedEvents(chart_scene, QEvent.Type.MetaCall)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.UpdateRequest)


def rss_mb() -> float:
    """Resident memory of this process (Linux /proc), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def process_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) another process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def startup_seconds(kind: str, runs: int = 3) -> float:
    """Median seconds from process start to the first painted window (see startup_probe).

    The probe may write bytecode whatever the shell says (PYTHONDONTWRITEBYTECODE): an installed Brokerdeck
    starts from compiled modules, so only the first run pays for compiling them and the median does not.
    """
    times = []
    with tempfile.TemporaryDirectory(prefix="brokerdeck-startup-") as home:
        for _ in range(runs):
            env = {**os.environ, "BROKERDECK_HOME": home, "QT_QPA_PLATFORM": "offscreen", "BENCH_T0": repr(time.time())}
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            out = subprocess.run(
                [sys.executable, "-m", "tests.bench.startup_probe", kind],
                cwd=REPO_ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            ).stdout
            times.append(float(out.strip().splitlines()[-1]))
    return statistics.median(times)
