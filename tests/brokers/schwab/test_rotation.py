"""Rotating a Schwab app secret through the connector's capability, against the sandbox's Schwab and the real
vault: proven by a renewal before it replaces the old secret, rolled back when Schwab refuses it, the grace
period ending in the middle, archives, restore, and a journal a crash left behind."""

from __future__ import annotations

import json

import pytest

from brokers.core.rotation import RotationConflict, RotationFailed, RotationStep
from brokers.core.rotation_journal import JournalEntry, RotationArchive, RotationJournal
from brokers.oauth2.store import OAuthStore
from brokers.schwab.app_secret import APP_SECRET_KIND
from brokers.schwab.rotation import ARCHIVE_PREFIX, JOURNAL_KIND
from brokers.schwab.setup import SecretRefused
from brokers.vault.errors import VaultBlobDamaged
from tests.brokers.schwab.flows import CONNECTOR, live_session, sign_in, until, with_engine_session
from tests.conftest import run_async

pytestmark = pytest.mark.secretservice


class Said(list[str]):
    """The progress a step reported, in order."""

    def __call__(self, text: str) -> None:
        self.append(text)


def _secret(vault, profile) -> str:
    raw = vault.get(profile.name, APP_SECRET_KIND)
    assert raw is not None
    return raw.decode()


def _record(vault, profile):
    record = OAuthStore(vault, profile.name).record()
    assert record is not None
    assert record.tokens is not None
    return record


def _signed_in(schwab, vault) -> str:
    """Signed in; the app secret in use."""
    run_async(lambda: sign_in(schwab.profile, vault))
    return _secret(vault, schwab.profile)


def _start(schwab, vault):
    return run_async(lambda: CONNECTOR.rotation_start(schwab.profile, vault, Said(), new_dh=False))


def _confirm(schwab, vault, secret: str | None, said: Said | None = None):
    answers = {} if secret is None else {"app_secret": secret}
    return run_async(
        lambda: CONNECTOR.rotation_confirm(schwab.profile, vault, answers, Said() if said is None else said)
    )


def _renews(schwab, vault) -> bool:
    """A restarted session renews the stored sign-in with what the vault holds."""
    run_async(lambda: with_engine_session(schwab.profile, vault, lambda s: s.refresh()))
    return True


def test_a_new_secret_is_proven_by_a_renewal_then_replaces_the_old_one_which_is_archived(schwab, vault):
    old = _signed_in(schwab, vault)
    refresh_token = _record(vault, schwab.profile).tokens.refresh_token
    assert CONNECTOR.rotates
    assert CONNECTOR.rotation_status(schwab.profile, vault).step == RotationStep.IDLE

    staged = _start(schwab, vault)
    assert staged.step == RotationStep.STAGED
    assert staged.register == ()
    (field,) = staged.fields
    assert (field.name, field.hidden) == ("app_secret", True)
    assert "developer.schwab.com" in staged.next_step
    assert schwab.profile.app_key in staged.next_step
    assert _secret(vault, schwab.profile) == old  # staged: nothing changed yet

    new = schwab.new_secret()
    said = Said()
    done = _confirm(schwab, vault, new, said)

    assert done.step == RotationStep.IDLE
    assert done.last_result.startswith("rotated the app secret")
    assert any("new app secret" in line for line in said)
    assert _secret(vault, schwab.profile) == new
    record = _record(vault, schwab.profile)
    assert record.client.client_secret == new
    assert record.tokens.refresh_token == refresh_token  # the sign-in carries on: no browser needed
    proof = schwab.grants("refresh_token")[-1]
    assert (proof["outcome"], proof["app_secret"]) == ("ok", "current")  # proven with the new secret

    (archived,) = CONNECTOR.archived_sets(schwab.profile, vault)
    assert archived.archive_id in done.last_result
    assert schwab.profile.app_key in archived.summary
    assert old not in archived.summary
    assert new not in archived.summary
    # the journal keeps no secret once the rotation ended
    journal = RotationJournal(vault, schwab.profile.name, JOURNAL_KIND).read()
    assert journal.step == RotationStep.IDLE
    assert dict(journal.values) == {}

    schwab.end_grace()
    assert _renews(schwab, vault)
    assert schwab.grants("refresh_token")[-1]["app_secret"] == "current"


def test_a_wrong_new_secret_rolls_back_and_the_old_secret_still_renews(schwab, vault):
    old = _signed_in(schwab, vault)
    _start(schwab, vault)
    said = Said()

    with pytest.raises(RotationFailed, match="did not prove") as failed:
        _confirm(schwab, vault, "NotTheNewSecret123", said)

    assert "invalid_client" in str(failed.value)
    assert "still renews" in str(failed.value)
    assert any("current app secret" in line for line in said)
    assert [r["outcome"] for r in schwab.grants("refresh_token")] == ["invalid_client", "ok"]
    assert _secret(vault, schwab.profile) == old
    assert _record(vault, schwab.profile).client.client_secret == old
    status = CONNECTOR.rotation_status(schwab.profile, vault)
    assert status.step == RotationStep.STAGED  # the trader may paste it again
    assert status.last_result.startswith("rolled back")
    assert not status.interrupted
    assert CONNECTOR.archived_sets(schwab.profile, vault) == ()
    assert _renews(schwab, vault)

    new = schwab.new_secret()
    assert _confirm(schwab, vault, new).step == RotationStep.IDLE
    assert _secret(vault, schwab.profile) == new


def test_what_is_typed_is_refused_before_schwab_is_asked_when_it_cannot_be_the_new_secret(schwab, vault):
    old = _signed_in(schwab, vault)
    with pytest.raises(RotationConflict, match="no rotation"):
        _confirm(schwab, vault, "SomeSecret1234")
    _start(schwab, vault)
    with pytest.raises(SecretRefused, match="does not look like"):
        _confirm(schwab, vault, "two words")
    with pytest.raises(SecretRefused, match="already in use"):
        _confirm(schwab, vault, old)
    assert schwab.grants("refresh_token") == []
    assert CONNECTOR.rotation_status(schwab.profile, vault).step == RotationStep.STAGED


def test_the_grace_period_ending_mid_rotation_leaves_only_the_new_secret_to_confirm_with(schwab, vault):
    _signed_in(schwab, vault)
    _start(schwab, vault)
    new = schwab.new_secret()
    schwab.end_grace()  # the portal stopped accepting the old secret before the trader confirmed

    with pytest.raises(RotationFailed, match="no longer renews the sign-in either") as failed:
        _confirm(schwab, vault, "MistypedSecret999")
    assert "grace period" in str(failed.value)
    assert [r["outcome"] for r in schwab.grants("refresh_token")] == ["invalid_client", "invalid_client"]
    assert CONNECTOR.rotation_status(schwab.profile, vault).step == RotationStep.STAGED
    assert _record(vault, schwab.profile).tokens.refresh_token  # the refresh token was never thrown away

    assert _confirm(schwab, vault, new).step == RotationStep.IDLE
    assert _secret(vault, schwab.profile) == new
    assert _renews(schwab, vault)


def test_an_archived_secret_is_proven_before_it_is_restored_and_the_replaced_one_is_archived(schwab, vault):
    old = _signed_in(schwab, vault)
    _start(schwab, vault)
    new = schwab.new_secret()
    _confirm(schwab, vault, new)
    (first,) = CONNECTOR.archived_sets(schwab.profile, vault)

    said = Said()
    closing = run_async(lambda: CONNECTOR.restore_archived(schwab.profile, vault, first.archive_id, said))

    assert first.archive_id in closing
    assert _secret(vault, schwab.profile) == old  # Schwab still accepts it: its grace period runs
    assert _record(vault, schwab.profile).client.client_secret == old
    proof = schwab.grants("refresh_token")[-1]
    assert (proof["outcome"], proof["app_secret"]) == ("ok", "replaced")  # proven with the archived secret
    second, again = CONNECTOR.archived_sets(schwab.profile, vault)  # newest first
    assert again == first
    assert second.archive_id in closing

    schwab.end_grace()  # Schwab accepts only the newest secret now
    assert run_async(lambda: CONNECTOR.restore_archived(schwab.profile, vault, second.archive_id, Said()))
    assert _secret(vault, schwab.profile) == new
    with pytest.raises(RotationFailed, match=r"did not prove: Schwab refused it \(invalid_client.*Nothing was changed"):
        run_async(lambda: CONNECTOR.restore_archived(schwab.profile, vault, first.archive_id, Said()))
    assert _secret(vault, schwab.profile) == new  # the failed restore changed nothing
    assert CONNECTOR.rotation_status(schwab.profile, vault).step == RotationStep.IDLE
    assert _renews(schwab, vault)

    with pytest.raises(RotationConflict, match="no archive"):
        run_async(lambda: CONNECTOR.restore_archived(schwab.profile, vault, "20200101-000000", Said()))


def test_archives_are_encrypted_and_bound_to_their_profile(schwab, vault):
    old = _signed_in(schwab, vault)
    _start(schwab, vault)
    _confirm(schwab, vault, schwab.new_secret())
    (archived,) = CONNECTOR.archived_sets(schwab.profile, vault)
    kind = f"{ARCHIVE_PREFIX}-{archived.archive_id}"
    blob = vault.directory / f"{schwab.profile.name}.{kind}.blob"

    assert old.encode() not in blob.read_bytes()
    (vault.directory / f"elsewhere.{kind}.blob").write_bytes(blob.read_bytes())
    with pytest.raises(VaultBlobDamaged):
        vault.get("elsewhere", kind)


def test_abort_keeps_the_current_secret(schwab, vault):
    old = _signed_in(schwab, vault)
    _start(schwab, vault)
    aborted = CONNECTOR.rotation_abort(schwab.profile, vault)
    assert aborted.step == RotationStep.IDLE
    assert aborted.last_result.startswith("aborted")
    assert _secret(vault, schwab.profile) == old
    with pytest.raises(RotationConflict):
        _confirm(schwab, vault, schwab.new_secret())


def test_without_a_renewable_sign_in_there_is_nothing_to_prove_a_new_secret_with(schwab, vault):
    with pytest.raises(RotationConflict, match="brokerdeck login sandbox-schwab"):
        _start(schwab, vault)
    assert CONNECTOR.rotation_status(schwab.profile, vault).step == RotationStep.IDLE


def _cut_off(vault, profile, step: RotationStep, **values: str) -> None:
    """The journal as a process killed during `step` leaves it."""
    RotationJournal(vault, profile.name, JOURNAL_KIND).write(JournalEntry(step, 1.0, values))


def test_a_confirm_cut_off_while_proving_leaves_the_old_secret_active_and_resumes(schwab, vault):
    old = _signed_in(schwab, vault)
    new = schwab.new_secret()
    _cut_off(vault, schwab.profile, RotationStep.PROVING, new_secret=new)

    status = CONNECTOR.rotation_status(schwab.profile, vault)
    assert status.step == RotationStep.PROVING
    assert status.interrupted
    assert "resume" in status.next_step
    assert _secret(vault, schwab.profile) == old
    assert _renews(schwab, vault)
    journal = RotationJournal(vault, schwab.profile.name, JOURNAL_KIND)
    with journal.running():  # while a process runs the step, it was not cut off
        assert not CONNECTOR.rotation_status(schwab.profile, vault).interrupted
        with pytest.raises(RotationConflict, match="another Brokerdeck"):
            _confirm(schwab, vault, None)

    assert _confirm(schwab, vault, None).step == RotationStep.IDLE  # resumed with the journaled secret
    assert _secret(vault, schwab.profile) == new


def test_a_switch_cut_off_after_the_proof_rolls_forward_when_the_session_next_loads(schwab, vault):
    old = _signed_in(schwab, vault)
    new = schwab.new_secret()
    proven = run_async(lambda: with_engine_session(schwab.profile, vault, lambda s: s.refresh()))
    _cut_off(
        vault,
        schwab.profile,
        RotationStep.SWITCHING,
        new_secret=new,
        tokens=json.dumps(proven.to_json()),
        archive_id="20260101-000000",
    )

    run_async(lambda: live_session(schwab.profile, vault, lambda s: until(lambda: s.health(0.0), "the load")))

    assert _secret(vault, schwab.profile) == new
    assert _record(vault, schwab.profile).client.client_secret == new
    status = CONNECTOR.rotation_status(schwab.profile, vault)
    assert status.step == RotationStep.IDLE
    assert "20260101-000000" in status.last_result
    (archived,) = CONNECTOR.archived_sets(schwab.profile, vault)
    assert archived.archive_id == "20260101-000000"
    _, payload = RotationArchive(vault, schwab.profile.name, ARCHIVE_PREFIX).payload(archived.archive_id)
    assert payload.decode() == old
    schwab.end_grace()
    assert _renews(schwab, vault)
