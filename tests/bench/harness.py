"""Pieces of the benchmark: a sandbox in its own process, a connected IBKR session, and measurements."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from brokers.ibkr.credentials import IbkrCredentials, KeyMaterial
from brokers.ibkr.keys import generate_rsa_key, public_key_pem
from brokers.ibkr.session import IbkrSession
from brokers.sandbox.endpoints import SandboxEndpoints, read_endpoints
from brokers.sandbox.provisioning import RFC3526_GROUP14_PRIME

REPO_ROOT = Path(__file__).resolve().parents[2]
CONSUMER_KEY = "BDBENCH01"
CONIDS = (265598, 272093, 495512557, 12087792)


class SandboxProcess:
    """`python -m brokers.sandbox` in its own process, so it never shares a core's time with the client loop."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="brokerdeck-bench-")
        self.endpoints_file = Path(self._dir.name) / "endpoints.json"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "brokers.sandbox", "--endpoints-file", str(self.endpoints_file)],
            cwd=REPO_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        endpoints: SandboxEndpoints | None = None
        while endpoints is None or endpoints.pid != self.process.pid:
            if time.monotonic() > deadline:
                raise RuntimeError("the sandbox did not start")
            time.sleep(0.05)
            endpoints = read_endpoints(self.endpoints_file)
        self.url = endpoints.services["ibkr"]

    def configure_stream(self, **settings: float) -> None:
        httpx.post(f"{self.url}/sandbox/ibkr/stream", json=settings, timeout=10).raise_for_status()

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self._dir.cleanup()


async def connected_session(sandbox: SandboxProcess) -> IbkrSession:
    """Register a consumer through the sandbox's portal, then mint, open the brokerage session and tickle."""
    keys = KeyMaterial(generate_rsa_key(), generate_rsa_key(), RFC3526_GROUP14_PRIME)
    body = {
        "consumer_key": CONSUMER_KEY,
        "signature_public_key": public_key_pem(keys.signature_key),
        "encryption_public_key": public_key_pem(keys.encryption_key),
        "dh_prime_hex": format(keys.dh_prime, "x"),
        "realm": "limited_poa",
        "accounts": ["DU1234567"],
    }
    async with httpx.AsyncClient(timeout=10) as http:
        issued = (await http.post(f"{sandbox.url}/sandbox/portal/consumers", json=body)).json()
    credentials = IbkrCredentials(
        CONSUMER_KEY, "limited_poa", issued["access_token"], issued["access_token_secret"], keys
    )
    session = IbkrSession(f"{sandbox.url}/v1/api", credentials)
    await session.connect()
    return session


def rss_mb() -> float:
    """Resident memory of this process (Linux /proc), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def startup_seconds(kind: str, runs: int = 3) -> float:
    """Median seconds from process start to the first painted window (see startup_probe)."""
    times = []
    with tempfile.TemporaryDirectory(prefix="brokerdeck-startup-") as home:
        for _ in range(runs):
            env = {**os.environ, "BROKERDECK_HOME": home, "QT_QPA_PLATFORM": "offscreen", "BENCH_T0": repr(time.time())}
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
