"""Refresh is single-flight across processes: the window and a command line renewing one profile at once.

The sandbox rotates refresh tokens and revokes the whole grant when a rotated-out one comes back, as
Robinhood does; two processes that both sent the stored refresh token would end the sign-in.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from brokers.oauth2.errors import LoginRequired
from brokers.oauth2.refresh_lock import RefreshBusy, refresh_lock
from brokers.oauth2.session import OAuthSession
from brokers.oauth2.store import OAuthStore
from brokers.oauth2.transport import new_http_client
from brokers.vault import Vault
from tests.brokers.oauth2.flows import sign_in, with_session
from tests.brokers.oauth2.stand_in import SandboxAuth
from tests.conftest import run_async
from tests.sandbox_runner import REPO_ROOT

pytestmark = pytest.mark.secretservice

ROUNDS = 20
#: how long a racer may take to answer before the test gives up on it (a hang guard, not a speed check)
ANSWER_GUARD_S = 60.0


class Racer:
    """A separate Python process with its own session on the same vault (refresh_racer.py)."""

    def __init__(self, auth: SandboxAuth) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.brokers.oauth2.refresh_racer", auth.profile.name, auth.profile.issuer],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._lines: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.strip())
        self._lines.put("error the racer ended")

    def say(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()

    def answer(self) -> str:
        return self._lines.get(timeout=ANSWER_GUARD_S)

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(ANSWER_GUARD_S)
        self._reader.join(ANSWER_GUARD_S)
        assert self.process.stdout is not None
        self.process.stdout.close()


@contextlib.contextmanager
def racers(auth: SandboxAuth, count: int) -> Iterator[list[Racer]]:
    started = [Racer(auth) for _ in range(count)]
    try:
        yield started
    finally:
        for racer in started:
            racer.close()


def make_stale(vault: Vault, name: str) -> None:
    """Store the current tokens as expired, as after the machine slept: the next use must renew them."""
    store = OAuthStore(vault, name)
    record = store.record()
    assert record is not None
    assert record.tokens is not None
    store.save_record(dataclasses.replace(record, tokens=dataclasses.replace(record.tokens, expires_at=1.0)))


def test_two_processes_renewing_at_once_send_one_refresh_and_the_grant_survives(auth, vault):
    run_async(lambda: sign_in(auth.profile, vault))
    with racers(auth, 2) as both:
        for round_no in range(ROUNDS):
            make_stale(vault, auth.profile.name)
            for racer in both:
                racer.say("load")
            assert [racer.answer() for racer in both] == ["ready", "ready"]
            for racer in both:
                racer.say("go")
            answers = [racer.answer() for racer in both]
            assert answers[0].startswith("ok "), (round_no, answers)
            assert answers[0] == answers[1], (round_no, answers)  # one refresh: both use its access token
            assert auth.state()["active_grants"] == 1, (round_no, answers)
    assert [r["outcome"] for r in auth.grants("refresh_token")] == ["ok"] * ROUNDS

    async def still_signed_in(session: OAuthSession) -> int:
        await session.refresh()
        return (await session.request("GET", auth.account_url)).status_code

    assert run_async(lambda: with_session(auth.profile, vault, still_signed_in)) == 200
    assert auth.state()["active_grants"] == 1


def test_a_session_holding_old_tokens_takes_the_ones_another_renewed_instead_of_refreshing(auth, vault):
    run_async(lambda: sign_in(auth.profile, vault))

    async def two_sessions() -> tuple[str, str]:
        async with new_http_client() as http:
            window = OAuthSession(auth.profile, OAuthStore(vault, auth.profile.name), http)
            command = OAuthSession(auth.profile, OAuthStore(vault, auth.profile.name), http)
            await window.load()
            await command.load()
            renewed = await command.refresh()
            taken = await window.refresh()  # holds the rotated-out refresh token in memory
            return renewed.refresh_token, taken.refresh_token

    renewed, taken = run_async(two_sessions)
    assert taken == renewed
    assert [r["outcome"] for r in auth.grants("refresh_token")] == ["ok"]
    assert auth.state()["active_grants"] == 1


def test_a_grant_another_process_found_dead_is_not_tried_again(auth, vault):
    run_async(lambda: sign_in(auth.profile, vault))
    auth.revoke_all()

    async def two_sessions() -> str:
        async with new_http_client() as http:
            window = OAuthSession(auth.profile, OAuthStore(vault, auth.profile.name), http)
            command = OAuthSession(auth.profile, OAuthStore(vault, auth.profile.name), http)
            await window.load()
            await command.load()
            with pytest.raises(LoginRequired):
                await command.refresh()
            with pytest.raises(LoginRequired) as dead:
                await window.refresh()
            return str(dead.value)

    assert "invalid_grant" in run_async(two_sessions)
    assert [r["outcome"] for r in auth.grants("refresh_token")] == ["invalid_grant"]  # the window sent none


def test_a_refresh_lock_held_elsewhere_too_long_is_a_clear_retryable_error(auth, vault):
    run_async(lambda: sign_in(auth.profile, vault))
    store = OAuthStore(vault, auth.profile.name)

    async def blocked() -> tuple[str, str]:
        async with new_http_client() as http:
            session = OAuthSession(auth.profile, store, http, refresh_lock_timeout_s=0.2)
            async with refresh_lock(store.refresh_lock_path()):  # another process renewing, and stuck
                with pytest.raises(RefreshBusy) as busy:
                    await session.refresh()
            return str(busy.value), session.facts.last_error

    message, last_error = run_async(blocked)
    assert "another Brokerdeck process" in message
    assert last_error == message
    assert auth.grants("refresh_token") == []
    assert run_async(lambda: with_session(auth.profile, vault, lambda s: s.refresh())).access_token  # free again


def test_a_refresh_cancelled_while_waiting_for_the_lock_does_not_keep_it(auth, vault):
    run_async(lambda: sign_in(auth.profile, vault))
    store = OAuthStore(vault, auth.profile.name)

    async def cancelled_then_again() -> str:
        async with new_http_client() as http:
            session = OAuthSession(auth.profile, store, http, refresh_lock_timeout_s=5)
            await session.load()
            async with refresh_lock(store.refresh_lock_path()):
                waiting = asyncio.ensure_future(session.refresh())
                await asyncio.sleep(0.2)  # let it reach the wait for the lock
                waiting.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await waiting
            await asyncio.sleep(0.2)  # a wait that outlived its cancellation would take the lock now
            return (await session.refresh()).access_token  # a wait left holding the lock would make this RefreshBusy

    assert run_async(cancelled_then_again)
    assert [r["outcome"] for r in auth.grants("refresh_token")] == ["ok"]
