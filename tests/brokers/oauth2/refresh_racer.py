"""One of the processes racing to renew the same profile; test_refresh_across_processes.py drives it.

A line protocol on stdin and stdout: `load` makes a fresh session read the vault and answers `ready`;
`go` asks that session for an access token (the stored one is stale, so it refreshes or takes what the
other process stored) and answers `ok <digest of the token>` or `error <type>: <message>`. The token
itself never leaves the process. End of input ends it.

    python -m tests.brokers.oauth2.refresh_racer <profile name> <issuer>
"""

from __future__ import annotations

import asyncio
import hashlib
import sys

from brokers.core.paths import Paths
from brokers.oauth2.errors import OAuthError
from brokers.oauth2.profile import OAuth2Profile
from brokers.oauth2.session import OAuthSession
from brokers.oauth2.store import OAuthStore
from brokers.oauth2.transport import new_http_client
from brokers.vault import KeyringKeySource, Vault


def answer(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def race(name: str, issuer: str) -> None:
    directory = Paths.resolve().vault_dir
    vault = Vault(directory, KeyringKeySource(Vault.install_id(directory)))
    profile = OAuth2Profile(name=name, issuer=issuer)
    session: OAuthSession | None = None
    async with new_http_client() as http:
        while line := await asyncio.to_thread(sys.stdin.readline):
            command = line.strip()
            if command == "load":
                session = OAuthSession(profile, OAuthStore(vault, name), http)
                await session.load()
                answer("ready")
            elif command == "go" and session is not None:
                try:
                    token = await session.access_token()
                except OAuthError as exc:
                    answer(f"error {type(exc).__name__}: {exc}")
                else:
                    answer("ok " + hashlib.sha256(token.encode()).hexdigest()[:16])
            else:
                answer(f"error unknown command {command!r}")


if __name__ == "__main__":
    asyncio.run(race(sys.argv[1], sys.argv[2]))
