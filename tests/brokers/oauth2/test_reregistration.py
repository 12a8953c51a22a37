"""Re-registration of a generic `oauth2` profile against the sandbox's authorization server: the new client's
sign-in is proven at the profile's resource before it replaces the old one, and a journal a crash left behind
resumes or rolls forward."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from brokers.core.rotation import RotationConflict, RotationStep
from brokers.core.rotation_journal import JournalEntry, RotationJournal
from brokers.oauth2.rotation import JOURNAL_KIND
from brokers.oauth2.store import OAuthStore
from brokers.registry import REGISTRY
from tests.brokers.oauth2.stand_in import approve
from tests.conftest import run_async

pytestmark = pytest.mark.secretservice


def _connector(profile):
    return REGISTRY.of(profile)


def _said(_: str) -> None:
    return


def _sign_in(profile, vault) -> None:
    async def scenario():
        flow = _connector(profile).sign_in(profile, vault)
        started = await flow.start()
        finish = asyncio.ensure_future(flow.finish())
        assert (await asyncio.to_thread(approve, started.url)).status_code == 200
        await finish

    run_async(scenario)


def _start(profile, vault):
    return run_async(lambda: _connector(profile).rotation_start(profile, vault, _said, new_dh=False))


def _confirm(profile, vault):
    return run_async(lambda: _connector(profile).rotation_confirm(profile, vault, {}, _said))


def _active(vault, profile):
    record = OAuthStore(vault, profile.name).record()
    assert record is not None
    return record


def test_the_new_client_is_proven_at_the_resource_then_replaces_the_old_one(auth, vault):
    profile = auth.profile
    _sign_in(profile, vault)
    old = _active(vault, profile)

    _start(profile, vault)
    _sign_in(profile, vault)
    staged = OAuthStore(vault, profile.name).staged().record()
    assert staged is not None
    assert staged.client.client_id != old.client.client_id
    assert _active(vault, profile) == old

    done = _confirm(profile, vault)

    assert done.step == RotationStep.IDLE
    assert _active(vault, profile).client.client_id == staged.client.client_id
    refresh = auth.grants("refresh_token")[-1]
    assert (refresh["client_id"], refresh["outcome"]) == (staged.client.client_id, "ok")
    (archived,) = _connector(profile).archived_sets(profile, vault)
    assert old.client.client_id in archived.summary


def test_a_client_registered_by_hand_is_not_re_registered(auth, vault):
    _sign_in(auth.profile, vault)
    by_hand = dataclasses.replace(auth.profile, client_id="hand-made")
    registrations = auth.state()["registrations"]
    with pytest.raises(RotationConflict, match="registered by hand"):
        _start(by_hand, vault)
    assert auth.state()["registrations"] == registrations
    assert _connector(by_hand).rotation_status(by_hand, vault).step == RotationStep.IDLE


def test_a_confirm_cut_off_while_proving_resumes_and_one_cut_off_while_switching_rolls_forward(auth, vault):
    profile = auth.profile
    _sign_in(profile, vault)
    old = _active(vault, profile)
    journal = RotationJournal(vault, profile.name, JOURNAL_KIND)

    _start(profile, vault)
    _sign_in(profile, vault)
    journal.write(journal.read().moved(RotationStep.PROVING))  # killed while proving
    status = _connector(profile).rotation_status(profile, vault)
    assert (status.step, status.interrupted) == (RotationStep.PROVING, True)
    assert _active(vault, profile) == old
    assert _confirm(profile, vault).step == RotationStep.IDLE
    first_new = _active(vault, profile)
    assert first_new.client != old.client

    _start(profile, vault)
    _sign_in(profile, vault)
    second = OAuthStore(vault, profile.name).staged().record()
    journal.write(JournalEntry(RotationStep.SWITCHING, 1.0, {"archive_id": "20260102-030405"}))  # killed mid-switch

    status = _connector(profile).rotation_status(profile, vault)  # the next load completes the switch

    assert status.step == RotationStep.IDLE
    assert _active(vault, profile) == second
    assert OAuthStore(vault, profile.name).staged().record() is None
    assert "20260102-030405" in [a.archive_id for a in _connector(profile).archived_sets(profile, vault)]
