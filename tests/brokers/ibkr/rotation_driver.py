"""Child process for the rotation crash test: a whole rotation of the sandbox IBKR profile (start, the portal
step, confirm) whose checkpoint SIGKILLs this process right after its N-th write (0: never).

Each write's name is printed as it passes, so the parent knows exactly where the process died.
Usage: python -m tests.brokers.ibkr.rotation_driver VAULT_DIR IBKR_SERVICE_URL BASE_URL KILL_AT
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from brokers.core.profiles import ProfileOrigin
from brokers.core.rotation import RotationFailed
from brokers.ibkr import rotation
from brokers.ibkr.profile import IbkrProfile
from brokers.ibkr.sandbox_setup import register_rotation
from brokers.vault import KeyringKeySource, Vault
from tests.brokers.ibkr.rotation_peer import CONSUMER_KEY, PROFILE


def main() -> None:
    directory, service_url, base_url, kill_at = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    vault = Vault(directory, KeyringKeySource(Vault.install_id(directory)))
    profile = IbkrProfile(
        name=PROFILE, base_url=base_url, consumer_key=CONSUMER_KEY, account="DU1234567", origin=ProfileOrigin.SANDBOX
    )
    passed = 0

    def checkpoint(what: str) -> None:
        nonlocal passed
        passed += 1
        print(what, flush=True)
        if passed == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    status = asyncio.run(rotation.start(vault, profile, lambda _: None, new_dh=False, checkpoint=checkpoint))
    answers = register_rotation(service_url, CONSUMER_KEY, status)
    try:
        asyncio.run(rotation.confirm(vault, profile, answers, lambda _: None, checkpoint=checkpoint))
    except RotationFailed:
        print("rotation failed", flush=True)
    print("finished", flush=True)


if __name__ == "__main__":
    main()
