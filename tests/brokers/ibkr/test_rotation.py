"""IBKR key rotation through the connector, against a real sandbox process and a vault on the real keyring:
the happy path, a refused new token, the grace period ending mid-rotation, abort, archives and restore."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from brokers.core.actions import NextAction
from brokers.core.errors import BrokerError
from brokers.core.rotation import RotationConflict, RotationFailed, RotationStatus, RotationStep, RotationStranded
from brokers.ibkr import rotation
from brokers.ibkr.keys import KeyMaterialError, dh_params_pem, load_dh_prime
from brokers.ibkr.profile import IbkrProfile
from brokers.ibkr.rotation_journal import step_lock
from brokers.ibkr.sandbox_setup import register_rotation
from brokers.ibkr.setup import ConsumerKeyMismatch
from brokers.ibkr.vault_entries import ACCESS_TOKEN, DH_PARAMS
from brokers.registry import REGISTRY
from brokers.vault import Vault, VaultBlobDamaged
from tests.brokers.ibkr.rotation_peer import (
    CONSUMER_KEY,
    PROFILE,
    active,
    control,
    set_up,
    signature_fingerprint,
    works,
)
from tests.conftest import run_async
from tests.sandbox_runner import SandboxRunner

pytestmark = pytest.mark.secretservice

FINGERPRINT = re.compile(r"([0-9A-F]{2}:){31}[0-9A-F]{2}")
# RFC 7919 ffdhe2048: a second well-known 2048-bit safe prime (generator 2), standing in for `openssl dhparam`
FFDHE2048 = int(
    "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695A9E13641146433FBCC939DCE249B3EF9"
    "7D2FE363630C75D8F681B202AEC4617AD3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935"
    "984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797ABC0AB182B324FB61D108A94BB2C8E3FB"
    "B96ADAB760D7F4681D4F42A3DE394DF4AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61"
    "9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005C58EF1837D1683B2C6F34A26C1B2EFFA"
    "886B423861285C97FFFFFFFFFFFFFFFF",
    16,
)
CONNECTOR = REGISTRY.connectors[[c.kind for c in REGISTRY.connectors].index("ibkr-oauth1a")]


@pytest.fixture(scope="module")
def module_sandbox() -> Iterator[SandboxRunner]:
    runner = SandboxRunner()
    yield runner
    runner.close()


@pytest.fixture
def profile(vault: Vault, module_sandbox: SandboxRunner) -> IbkrProfile:
    return set_up(vault, module_sandbox.endpoints)


def started(vault: Vault, profile: IbkrProfile, *, new_dh: bool = False) -> RotationStatus:
    return run_async(lambda: CONNECTOR.rotation_start(profile, vault, lambda _: None, new_dh=new_dh))


def confirmed(vault: Vault, profile: IbkrProfile, answers: dict[str, str]) -> RotationStatus:
    return run_async(lambda: CONNECTOR.rotation_confirm(profile, vault, answers, lambda _: None))


def portal_step(sandbox: SandboxRunner, status: RotationStatus) -> dict[str, str]:
    """What the trader does in IBKR's portal between start and confirm."""
    return register_rotation(sandbox.services["ibkr"], CONSUMER_KEY, status)


def test_a_rotation_proves_the_new_set_switches_to_it_and_archives_the_old(vault, module_sandbox, profile):
    old = active(vault, profile)
    progress: list[str] = []
    status = run_async(lambda: CONNECTOR.rotation_start(profile, vault, progress.append, new_dh=False))
    assert CONNECTOR.rotates
    assert status.step == RotationStep.STAGED
    assert [p.label for p in status.register] == [
        "Public signature key",
        "Public encryption key",
        "Diffie-Hellman parameters, unchanged",
    ]
    assert all(FINGERPRINT.fullmatch(p.fingerprint) for p in status.register)
    assert status.register[0].text.startswith("-----BEGIN PUBLIC KEY-----")
    assert status.register[0].fingerprint != signature_fingerprint(old)
    assert load_dh_prime(status.register[2].text) == old.keys.dh_prime
    assert [(f.name, f.hidden, f.default) for f in status.fields] == [
        ("consumer_key", False, CONSUMER_KEY),
        ("access_token", False, ""),
        ("access_token_secret", True, ""),
    ]
    assert "PRIVATE" not in repr(status)
    assert active(vault, profile).access_token == old.access_token  # the old set stays active meanwhile
    assert CONNECTOR.rotation_status(profile, vault) == status

    answers = portal_step(module_sandbox, status)
    done = run_async(lambda: CONNECTOR.rotation_confirm(profile, vault, answers, progress.append))

    assert done.step == RotationStep.IDLE
    assert done.last_result.startswith("Rotated at ")
    new = active(vault, profile)
    assert new.access_token == answers["access_token"]
    assert signature_fingerprint(new) == status.register[0].fingerprint
    run_async(lambda: works(profile, new))
    assert any("/iserver/auth/status" in line for line in progress)
    (archived,) = CONNECTOR.archived_sets(profile, vault)
    assert archived.archive_id in done.last_result
    assert archived.summary.startswith(f"consumer key {CONSUMER_KEY}; signature key SHA-256 ")
    assert signature_fingerprint(old) in archived.summary
    blob = (vault.directory / f"{PROFILE}.{archived.archive_id}.blob").read_bytes()
    assert b"PRIVATE KEY" not in blob
    assert b"BEGIN" not in blob
    assert old.access_token.encode() not in blob
    assert vault.get(PROFILE, "rotation-journal") is not None  # it remembers how the rotation ended


def test_a_refused_new_token_rolls_back_and_the_old_set_still_mints(vault, module_sandbox, profile):
    old = active(vault, profile)
    control(module_sandbox.endpoints, fail_next_token=True)
    answers = portal_step(module_sandbox, started(vault, profile))

    with pytest.raises(RotationFailed) as failed:
        confirmed(vault, profile, answers)

    message = str(failed.value)
    assert "The new credentials did not prove: IBKR has no access token secret for this access token." in message
    assert "the old set is active and still mints a live session token" in message
    assert answers["access_token"] not in message
    assert failed.value.action == NextAction.RETRY
    status = CONNECTOR.rotation_status(profile, vault)
    assert (status.step, status.interrupted) == (RotationStep.IDLE, False)
    assert status.last_result.startswith("Rolled back at ")
    assert active(vault, profile).access_token == old.access_token
    run_async(lambda: works(profile, active(vault, profile)))
    assert CONNECTOR.archived_sets(profile, vault) == ()


def test_the_grace_period_ending_mid_rotation_does_not_stop_the_switch(vault, module_sandbox, profile):
    old = active(vault, profile)
    answers = portal_step(module_sandbox, started(vault, profile))
    assert control(module_sandbox.endpoints, end_grace=True)["revoked"] == 1
    with pytest.raises(BrokerError):
        run_async(lambda: works(profile, old))  # IBKR no longer takes the old token

    done = confirmed(vault, profile, answers)

    assert done.last_result.startswith("Rotated at ")
    run_async(lambda: works(profile, active(vault, profile)))


def test_when_neither_set_proves_the_new_keys_are_kept_for_a_new_token(vault, module_sandbox, profile):
    control(module_sandbox.endpoints, fail_next_token=True)
    status = started(vault, profile)
    answers = portal_step(module_sandbox, status)
    control(module_sandbox.endpoints, end_grace=True)

    with pytest.raises(RotationFailed) as failed:
        confirmed(vault, profile, answers)

    message = str(failed.value)
    assert "The old set did not prove either" in message
    assert "grace period" in message
    assert "generate a new access token for them" in message
    kept = CONNECTOR.rotation_status(profile, vault)
    assert kept.step == RotationStep.STAGED
    assert [p.fingerprint for p in kept.register] == [p.fingerprint for p in status.register]
    # the portal issues another token for the same keys; confirm takes it
    done = confirmed(vault, profile, portal_step(module_sandbox, kept))
    assert done.last_result.startswith("Rotated at ")
    run_async(lambda: works(profile, active(vault, profile)))


def test_neither_set_proving_is_its_own_result_that_says_what_fixes_it(vault, module_sandbox, profile):
    old = active(vault, profile)
    answers = portal_step(module_sandbox, started(vault, profile))
    assert control(module_sandbox.endpoints, end_grace=True)["revoked"] == 1  # the old token is gone
    control(module_sandbox.endpoints, fail_next_token=True)  # and the portal's next token will not prove
    bad = portal_step(module_sandbox, CONNECTOR.rotation_status(profile, vault))

    with pytest.raises(RotationStranded) as stranded:
        confirmed(vault, profile, bad)

    error = stranded.value
    assert isinstance(error, RotationFailed)  # callers that know only RotationFailed still catch it
    assert error.headline == "Neither the new nor the old credentials work"
    assert error.action == NextAction.ROTATE_KEYS
    assert error.why.startswith("The new set did not prove: ")
    assert "The old set did not prove either" in error.why
    assert error.remedy.startswith("The new keys are kept")
    assert f"`brokerdeck keys rotate {PROFILE} confirm`" in error.remedy
    assert str(error) == f"{error.why} {error.remedy}"
    assert bad["access_token"] not in str(error)
    assert active(vault, profile).access_token == old.access_token  # nothing was switched
    assert CONNECTOR.rotation_status(profile, vault).step == RotationStep.STAGED
    assert answers["access_token"] != bad["access_token"]


def test_wrong_answers_are_named_and_leave_the_rotation_staged(vault, module_sandbox, profile):
    answers = portal_step(module_sandbox, started(vault, profile))
    with pytest.raises(ConsumerKeyMismatch, match="rotates the keys of an existing consumer"):
        confirmed(vault, profile, answers | {"consumer_key": "OTHERKEY1"})
    with pytest.raises(KeyMaterialError, match="344"):
        confirmed(vault, profile, answers | {"access_token_secret": answers["access_token_secret"][:-4]})
    assert CONNECTOR.rotation_status(profile, vault).step == RotationStep.STAGED
    assert confirmed(vault, profile, answers | {"consumer_key": ""}).step == RotationStep.IDLE  # the default


def test_steps_that_do_not_follow_are_refused(vault, module_sandbox, profile):
    with pytest.raises(RotationConflict, match="Nothing is staged"):
        confirmed(vault, profile, {})
    assert CONNECTOR.rotation_abort(profile, vault).step == RotationStep.IDLE  # nothing to abort: nothing happens
    status = started(vault, profile)
    with pytest.raises(RotationConflict, match="already under way"):
        started(vault, profile)
    with step_lock(vault, PROFILE), pytest.raises(RotationConflict, match="Another Brokerdeck"):
        confirmed(vault, profile, portal_step(module_sandbox, status))
    assert CONNECTOR.rotation_status(profile, vault).step == RotationStep.STAGED


def test_abort_discards_the_staged_keys_and_keeps_the_active_set(vault, module_sandbox, profile):
    old = active(vault, profile)
    started(vault, profile)

    aborted = CONNECTOR.rotation_abort(profile, vault)

    assert (aborted.step, aborted.register, aborted.fields) == (RotationStep.IDLE, (), ())
    assert aborted.last_result.startswith("Aborted at ")
    assert active(vault, profile).access_token == old.access_token
    assert "-----BEGIN" not in (vault.get(PROFILE, "rotation-journal") or b"").decode()
    run_async(lambda: works(profile, active(vault, profile)))


def test_new_dh_parameters_are_staged_registered_and_switched(vault, module_sandbox, profile):
    status = run_async(
        lambda: rotation.start(vault, profile, lambda _: None, new_dh=True, make_dh_prime=lambda: FFDHE2048)
    )
    assert status.register[2].label == "Diffie-Hellman parameters, new"
    assert status.register[2].text == dh_params_pem(FFDHE2048)

    confirmed(vault, profile, portal_step(module_sandbox, status))

    assert active(vault, profile).keys.dh_prime == FFDHE2048
    assert vault.get(PROFILE, DH_PARAMS) == dh_params_pem(FFDHE2048).encode()


def test_an_archived_set_is_bound_to_its_profile_and_restorable(vault, module_sandbox, profile):
    old = active(vault, profile)
    confirmed(vault, profile, portal_step(module_sandbox, started(vault, profile)))
    rotated = active(vault, profile)
    (archived,) = CONNECTOR.archived_sets(profile, vault)
    blob = vault.directory / f"{PROFILE}.{archived.archive_id}.blob"
    (vault.directory / f"elsewhere.{archived.archive_id}.blob").write_bytes(blob.read_bytes())
    with pytest.raises(VaultBlobDamaged):
        vault.get("elsewhere", archived.archive_id)
    elsewhere = IbkrProfile(name="elsewhere", base_url=profile.base_url, consumer_key=CONSUMER_KEY)
    with pytest.raises(BrokerError, match="tampered"):
        run_async(lambda: CONNECTOR.restore_archived(elsewhere, vault, archived.archive_id, lambda _: None))
    assert "cannot be read" in CONNECTOR.archived_sets(elsewhere, vault)[0].summary

    sentence = run_async(lambda: CONNECTOR.restore_archived(profile, vault, archived.archive_id, lambda _: None))

    assert sentence.startswith(f"Restored {archived.archive_id} at ")
    assert active(vault, profile).access_token == old.access_token  # within the grace period IBKR still takes it
    run_async(lambda: works(profile, active(vault, profile)))
    (replaced,) = CONNECTOR.archived_sets(profile, vault)  # the restored archive is the active set now
    assert replaced.archive_id != archived.archive_id
    assert signature_fingerprint(rotated) in replaced.summary


def test_restoring_a_set_ibkr_no_longer_takes_keeps_the_active_one(vault, module_sandbox, profile):
    confirmed(vault, profile, portal_step(module_sandbox, started(vault, profile)))
    current = active(vault, profile)
    control(module_sandbox.endpoints, end_grace=True)
    (archived,) = CONNECTOR.archived_sets(profile, vault)

    with pytest.raises(RotationFailed, match="only while its access token is still valid"):
        run_async(lambda: CONNECTOR.restore_archived(profile, vault, archived.archive_id, lambda _: None))

    assert active(vault, profile).access_token == current.access_token
    assert vault.get(PROFILE, ACCESS_TOKEN) is not None
    assert CONNECTOR.rotation_status(profile, vault).last_result.startswith(f"Restore of {archived.archive_id} failed")
    with pytest.raises(BrokerError, match="no archived set"):
        run_async(lambda: CONNECTOR.restore_archived(profile, vault, "archive-19990101T000000Z", lambda _: None))
