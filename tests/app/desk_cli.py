"""The trading commands as a trader runs them: real `brokerdeck` subprocesses against a running sandbox.

A module shares one sandbox process; each test has its own BROKERDECK_HOME that points at it (a copy of the
sandbox's endpoints file), and the sandbox's order desk is reset first, so what the gateway `received` is that
test's alone. The sandbox IBKR profile sets itself up on its first connection, as the window's would.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import httpx

from brokers.core.paths import Paths
from brokers.trading.audit import AuditLog
from tests.sandbox_runner import REPO_ROOT

PROFILE = "sandbox-ibkr"
ACCOUNT = "DU1234567"  # the account the sandbox's IBKR profile trades on
CHECKLIST = ["can_trade", "connected", "credentials", "account", "limits", "market", "clock"]
REFUSED = 3
_PHRASE = re.compile(r"--confirm '([^']+)'")


@dataclass
class Desk:
    """One trader's installation beside the module's sandbox."""

    home: Paths
    ibkr: str  # the sandbox's IBKR service (its order controls live under /sandbox/ibkr/orders)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`brokerdeck ARGS` as a script runs it. Its stdin is never a terminal (pytest may run on one): a
        broker's question is then not answered, exactly as in a cron job."""
        return subprocess.run(
            [sys.executable, "-m", "app", *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=dict(os.environ),
            cwd=REPO_ROOT,
            timeout=90,
            check=False,
        )

    def ok(self, *args: str) -> str:
        """The output of a command that must succeed."""
        result = self.run(*args)
        assert result.returncode == 0, (
            f"brokerdeck {' '.join(args)} -> {result.returncode}\n{result.stdout}{result.stderr}"
        )
        return result.stdout

    def mode_report(self) -> dict[str, Any]:
        return dict(json.loads(self.ok("mode", "--json")))

    def mode_of(self, profile: str = PROFILE) -> str:
        return str(next(p["mode"] for p in self.mode_report()["profiles"] if p["profile"] == profile))

    def issue_phrase(self, profile: str = PROFILE) -> str:
        """Ask to arm LIVE; the phrase it printed to type."""
        match = _PHRASE.search(self.ok("mode", "live", profile))
        assert match is not None
        return match.group(1)

    def arm_live(self, profile: str = PROFILE) -> None:
        """Limits set, then the printed phrase typed back: LIVE."""
        self.ok("limits", profile, "--per-order", "100000", "--daily", "200000")
        self.ok("mode", "live", profile, "--confirm", self.issue_phrase(profile))

    def orders(self) -> list[dict[str, Any]]:
        return list(json.loads(self.ok("orders", "list", "--json")))

    def audit_events(self, key: str) -> list[str]:
        """The audit log's events about the order `key`, in order."""
        return [r.event for r in AuditLog(self.home.data_dir).records() if r.what.get("key") == key]

    # -- the sandbox's order desk -------------------------------------------------------------------------------

    def control(self, action: str, **body: Any) -> None:
        response = httpx.post(f"{self.ibkr}/sandbox/ibkr/orders/{action}", json=body, timeout=10)
        assert response.status_code == 200, response.text

    def received(self, kind: str | None = None) -> list[dict[str, Any]]:
        """What the gateway received (place, reply, modify, cancel, ...), oldest first."""
        rows = httpx.get(f"{self.ibkr}/sandbox/ibkr/orders/received", timeout=10).json()["received"]
        return [row for row in rows if kind is None or row["kind"] == kind]

    def held(self) -> list[dict[str, Any]]:
        """The orders the emulated broker holds."""
        return list(httpx.get(f"{self.ibkr}/sandbox/ibkr/orders", timeout=10).json()["orders"])


def place(desk: Desk, *flags: str, symbol: str = "AAPL", quantity: str = "10") -> subprocess.CompletedProcess[str]:
    """`brokerdeck orders place` of a buy for the sandbox profile; `flags` add the type, prices, ids."""
    return desk.run("orders", "place", PROFILE, "--symbol", symbol, "--side", "buy", "--quantity", quantity, *flags)
