"""Re-registering with the sandbox Robinhood: a new dynamic client, a browser sign-in with it (real Chromium),
and a switch only after the MCP server accepts the new sign-in; until then the old client and tokens stay in use."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from brokers.core.rotation import RotationConflict, RotationFailed, RotationStep
from brokers.oauth2.store import OAuthStore
from brokers.registry import REGISTRY
from brokers.robinhood.access import check_access
from brokers.robinhood.profile import RobinhoodProfile
from brokers.sandbox.robinhood.service import TOKEN_PATH
from tests.brokers.robinhood.flows import sign_in, tokens
from tests.browser import Browser, browser
from tests.conftest import run_async

__all__ = ["browser"]

pytestmark = pytest.mark.secretservice


class Said(list[str]):
    def __call__(self, text: str) -> None:
        self.append(text)


def _connector(profile: RobinhoodProfile):
    connector = REGISTRY.of(profile)
    assert connector.rotates
    return connector


def _active(vault, profile):
    record = OAuthStore(vault, profile.name).record()
    assert record is not None
    assert record.tokens is not None
    return record


def _staged(vault, profile):
    return OAuthStore(vault, profile.name).staged()


def _granted(profile, vault) -> bool:
    """The MCP server grants access to what the vault holds now (a restarted app's first check)."""

    async def check():
        async with tokens(profile, vault) as session:
            access, _ = await check_access(profile.url, session)
        return access.granted_at is not None

    return run_async(check)


def _start(profile, vault):
    return run_async(lambda: _connector(profile).rotation_start(profile, vault, Said(), new_dh=False))


def _confirm(profile, vault, said: Said | None = None):
    progress = Said() if said is None else said
    return run_async(lambda: _connector(profile).rotation_confirm(profile, vault, {}, progress))


def _sign_in_in_chromium(profile, vault, chromium: Browser) -> str:
    """The connector's sign-in, approved in the real browser; the URL the browser was sent to."""

    async def scenario():
        flow = _connector(profile).sign_in(profile, vault)
        started = await flow.start()
        finish = asyncio.ensure_future(flow.finish())
        await asyncio.wrap_future(chromium.submit_approve_sandbox(started.url))
        await finish
        return started.url

    return run_async(scenario)


def test_a_new_client_signs_in_beside_the_old_one_and_replaces_it_once_robinhood_accepts_it(
    rh_profile, vault, robinhood, browser: Browser
):
    run_async(lambda: sign_in(rh_profile, vault))
    old = _active(vault, rh_profile)
    registrations = robinhood.oauth_state()["registrations"]

    staged = _start(rh_profile, vault)

    assert staged.step == RotationStep.STAGED
    assert (staged.register, staged.fields) == ((), ())
    assert f"brokerdeck login {rh_profile.name}" in staged.next_step
    assert robinhood.oauth_state()["registrations"] == registrations + 1
    new_client = _staged(vault, rh_profile).registration()
    assert new_client is not None
    assert new_client.client_id != old.client.client_id
    with pytest.raises(RotationConflict, match="Sign in with the new client"):
        _confirm(rh_profile, vault)

    url = _sign_in_in_chromium(rh_profile, vault, browser)

    assert f"client_id={new_client.client_id}" in url
    assert _active(vault, rh_profile) == old  # the sign-in in use is untouched...
    assert _granted(rh_profile, vault)  # ...and still works
    assert _staged(vault, rh_profile).record().client.client_id == new_client.client_id
    assert "confirm" in _connector(rh_profile).rotation_status(rh_profile, vault).next_step

    said = Said()
    done = _confirm(rh_profile, vault, said)

    assert done.step == RotationStep.IDLE
    assert done.last_result.startswith("re-registered")
    assert any("Renewing the new sign-in" in line for line in said)
    now = _active(vault, rh_profile)
    assert now.client.client_id == new_client.client_id
    assert OAuthStore(vault, rh_profile.name).registration() == now.client  # the next sign-in reuses it
    assert _staged(vault, rh_profile).record() is None
    assert _staged(vault, rh_profile).registration() is None
    proof = robinhood.refreshes()[-1]
    assert (proof["client_id"], proof["outcome"]) == (new_client.client_id, "ok")
    (archived,) = _connector(rh_profile).archived_sets(rh_profile, vault)
    assert old.client.client_id in archived.summary
    assert _granted(rh_profile, vault)


def _spend_staged_refresh_token(robinhood, vault, profile) -> None:
    """Someone else renews the staged sign-in first: its stored refresh token is rotated out."""
    record = _staged(vault, profile).record()
    form = {
        "grant_type": "refresh_token",
        "refresh_token": record.tokens.refresh_token,
        "client_id": record.client.client_id,
        "resource": profile.url,
    }
    assert httpx.post(robinhood.base + TOKEN_PATH, data=form, timeout=10).status_code == 200


def test_new_tokens_that_do_not_work_roll_back_and_the_old_sign_in_keeps_working(rh_profile, vault, robinhood):
    run_async(lambda: sign_in(rh_profile, vault))
    old = _active(vault, rh_profile)
    _start(rh_profile, vault)
    run_async(lambda: sign_in(rh_profile, vault))  # with the new client, into the staged entries
    new_client = _staged(vault, rh_profile).registration()
    _spend_staged_refresh_token(robinhood, vault, rh_profile)

    with pytest.raises(RotationFailed, match="did not prove") as failed:
        _confirm(rh_profile, vault)

    assert "invalid_grant" in str(failed.value)
    assert "still in use and works" in str(failed.value)
    outcomes = [(r["client_id"], r["outcome"]) for r in robinhood.refreshes()[-2:]]
    assert outcomes == [(new_client.client_id, "invalid_grant"), (old.client.client_id, "ok")]
    assert _active(vault, rh_profile).client == old.client
    assert _granted(rh_profile, vault)
    status = _connector(rh_profile).rotation_status(rh_profile, vault)
    assert status.step == RotationStep.STAGED
    assert status.last_result.startswith("rolled back")
    assert "Sign in with the new client" in status.next_step
    assert _staged(vault, rh_profile).record() is None  # the failed sign-in is gone; the new client stays

    run_async(lambda: sign_in(rh_profile, vault))
    assert _confirm(rh_profile, vault).step == RotationStep.IDLE
    assert _active(vault, rh_profile).client.client_id == new_client.client_id


def test_the_replaced_sign_in_is_restored_after_robinhood_accepts_it_again(rh_profile, vault, robinhood):
    run_async(lambda: sign_in(rh_profile, vault))
    old = _active(vault, rh_profile)
    _start(rh_profile, vault)
    run_async(lambda: sign_in(rh_profile, vault))
    _confirm(rh_profile, vault)
    new = _active(vault, rh_profile)
    (archived,) = _connector(rh_profile).archived_sets(rh_profile, vault)

    closing = run_async(lambda: _connector(rh_profile).restore_archived(rh_profile, vault, archived.archive_id, Said()))

    assert archived.archive_id in closing
    assert _active(vault, rh_profile).client == old.client
    assert robinhood.refreshes()[-1]["client_id"] == old.client.client_id
    assert _granted(rh_profile, vault)
    (replaced,) = _connector(rh_profile).archived_sets(rh_profile, vault)  # the restored one's copy is spent
    assert new.client.client_id in replaced.summary


def test_abort_drops_the_new_client_and_its_sign_in(rh_profile, vault):
    run_async(lambda: sign_in(rh_profile, vault))
    old = _active(vault, rh_profile)
    _start(rh_profile, vault)
    run_async(lambda: sign_in(rh_profile, vault))

    aborted = _connector(rh_profile).rotation_abort(rh_profile, vault)

    assert aborted.step == RotationStep.IDLE
    assert _staged(vault, rh_profile).record() is None
    assert _staged(vault, rh_profile).registration() is None
    assert _active(vault, rh_profile) == old
    run_async(lambda: sign_in(rh_profile, vault))  # an ordinary sign-in again, into the entries in use
    assert _active(vault, rh_profile).client == old.client
    assert _active(vault, rh_profile).tokens != old.tokens
