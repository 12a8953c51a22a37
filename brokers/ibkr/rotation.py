"""Manual rotation of an IBKR profile's OAuth 1.0a keys, so that a profile never lacks one working set.

`start` stages new signature and encryption keys (the DH parameters too, when asked) beside the active set
and says what to register in IBKR's portal. `confirm` takes the token the portal issued for them, proves the
new set (an LST and /iserver/auth/status), and only then switches, archiving the old set; when the proof
fails it proves the old set again and says so. `abort` discards what was staged; `restore` makes an archived
set active the same way. Each step holds the profile's rotation lock (the core's) and journals before it acts
(`rotation_journal.py`); `checkpoint` is told after every write, for a crash test to stop the process there.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace
from typing import NoReturn

from brokers.core.rotation import (
    ArchivedSet,
    Progress,
    RotationConflict,
    RotationFailed,
    RotationStatus,
    RotationStep,
    RotationStranded,
)
from brokers.core.secrets import SecretStore
from brokers.ibkr import oauth1a
from brokers.ibkr.credential_set import CredentialSet
from brokers.ibkr.credentials import access_token_record, credentials_of, load_credentials
from brokers.ibkr.errors import IbkrUnreachable
from brokers.ibkr.key_archive import archives, read_archive
from brokers.ibkr.keys import (
    dh_params_pem,
    generate_dh_prime,
    generate_rsa_key,
    parse_access_token,
    parse_access_token_secret,
    parse_consumer_key,
    private_key_pem,
)
from brokers.ibkr.profile import IbkrProfile
from brokers.ibkr.rotation_journal import (
    Checkpoint,
    Journal,
    JournalDamaged,
    save_journal,
    settle,
    step_lock,
    step_running,
    switch,
)
from brokers.ibkr.rotation_proof import PROOF_FAILURES, prove, why
from brokers.ibkr.rotation_status import (
    ACCESS_TOKEN_FIELD,
    CONSUMER_KEY_FIELD,
    SECRET_FIELD,
    status_of,
    stored_token,
    when,
)
from brokers.ibkr.setup import ConsumerKeyMismatch
from brokers.ibkr.vault_entries import ACCESS_TOKEN, DH_PARAMS, ENCRYPTION_KEY, SIGNATURE_KEY


def rotation_status(vault: SecretStore, profile: IbkrProfile) -> RotationStatus:
    """Where the profile's rotation stands (a switch a crash cut off is finished first). Blocking."""
    journal = settle(vault, profile.name)
    running = journal.step in (RotationStep.PROVING, RotationStep.ROLLING_BACK) and step_running(vault, profile.name)
    return status_of(profile, journal, running=running)


async def start(
    vault: SecretStore,
    profile: IbkrProfile,
    progress: Progress,
    *,
    new_dh: bool,
    checkpoint: Checkpoint | None = None,
    make_dh_prime: Callable[[], int] = generate_dh_prime,
) -> RotationStatus:
    """Stage new keys beside the active set and say what to register; the active set keeps working."""
    with step_lock(vault, profile.name):
        journal = await asyncio.to_thread(settle, vault, profile.name)
        if journal.step != RotationStep.IDLE:
            raise RotationConflict(
                f"A rotation of profile '{profile.name}' is already under way ({journal.step.value}): confirm it or "
                f"abort it first (`brokerdeck keys rotate {profile.name} status` says how)."
            )
        active = await asyncio.to_thread(load_credentials, vault, profile)
        if active is None:
            raise RotationConflict(
                f"Profile '{profile.name}' has no complete credentials to rotate yet: set it up with "
                f"`brokerdeck keys init {profile.name}` first."
            )
        progress("Generating a new signature key and a new encryption key (RSA 2048)…")
        signature, encryption = await asyncio.to_thread(lambda: (generate_rsa_key(), generate_rsa_key()))
        prime = active.keys.dh_prime
        if new_dh:
            progress("Generating new 2048-bit DH parameters: this can take a few minutes…")
            prime = await asyncio.to_thread(make_dh_prime)
        entries = {
            SIGNATURE_KEY: private_key_pem(signature).decode("ascii"),
            ENCRYPTION_KEY: private_key_pem(encryption).decode("ascii"),
            DH_PARAMS: dh_params_pem(prime),
        }
        staged = CredentialSet(profile.consumer_key, entries)
        journal = Journal(RotationStep.STAGED, time.time(), staged, new_dh, last_result=journal.last_result)
        await _save(vault, profile, journal, checkpoint, "journal staged")
        return status_of(profile, journal, running=False)


async def confirm(
    vault: SecretStore,
    profile: IbkrProfile,
    answers: dict[str, str],
    progress: Progress,
    *,
    checkpoint: Checkpoint | None = None,
) -> RotationStatus:
    """Prove the portal's token for the staged keys, then switch; or resume a confirm (or restore) cut off.

    On a failed proof it rolls back, proves the old set and raises RotationFailed saying why."""
    with step_lock(vault, profile.name):
        journal = await asyncio.to_thread(settle, vault, profile.name)
        if journal.step == RotationStep.IDLE or journal.staged is None:
            raise RotationConflict(
                f"Nothing is staged for profile '{profile.name}': `brokerdeck keys rotate {profile.name} start` "
                "makes new keys to register first."
            )
        if journal.step == RotationStep.STAGED:
            staged = _with_tokens(profile, journal.staged, answers)
            journal = replace(journal, step=RotationStep.PROVING, staged=staged)
            await _save(vault, profile, journal, checkpoint, "journal proving")
        else:
            progress(f"Resuming where the rotation stopped ({journal.step.value})…")
        journal = await _prove_and_switch(vault, profile, journal, progress, checkpoint)
        return status_of(profile, journal, running=False)


def abort(vault: SecretStore, profile: IbkrProfile) -> RotationStatus:
    """Discard what is staged (nothing when no rotation is under way); the active set stays. Blocking."""
    with step_lock(vault, profile.name):
        try:
            journal: Journal | None = settle(vault, profile.name)
        except JournalDamaged:
            journal = None  # unreadable: discarding it is all abort can do
        if journal is None or journal.step != RotationStep.IDLE:
            journal = Journal().idle(
                f"Aborted at {when(time.time())}: the staged keys were discarded and the active set is unchanged. "
                "If the new keys were registered in IBKR's portal already, the active access token works only "
                "until IBKR ends its grace period: rotate again before then."
            )
            save_journal(vault, profile.name, journal)
        return status_of(profile, journal, running=False)


def archived_sets(vault: SecretStore, profile: IbkrProfile) -> tuple[ArchivedSet, ...]:
    """The sets earlier rotations replaced, newest first, described without secrets. Blocking."""
    return archives(vault, profile.name).listed()


async def restore(
    vault: SecretStore,
    profile: IbkrProfile,
    archive_id: str,
    progress: Progress,
    *,
    checkpoint: Checkpoint | None = None,
) -> str:
    """Prove an archived set, then make it active (archiving the current one); the closing sentence."""
    with step_lock(vault, profile.name):
        journal = await asyncio.to_thread(settle, vault, profile.name)
        if journal.step != RotationStep.IDLE:
            raise RotationConflict(
                f"A rotation of profile '{profile.name}' is under way ({journal.step.value}): confirm or abort it "
                f"before restoring an archived set (`brokerdeck keys rotate {profile.name} status`)."
            )
        archived = await asyncio.to_thread(read_archive, vault, profile.name, archive_id)
        if archived.consumer_key != profile.consumer_key:
            raise ConsumerKeyMismatch(
                f"{archive_id} was registered for consumer key {archived.consumer_key}, but the profile "
                f"says consumer_key = {profile.consumer_key!r}. Set it back in profiles.toml to restore this set."
            )
        journal = Journal(
            RotationStep.PROVING,
            time.time(),
            archived,
            restoring=archive_id,
            last_result=journal.last_result,
        )
        await _save(vault, profile, journal, checkpoint, "journal proving")
        journal = await _prove_and_switch(vault, profile, journal, progress, checkpoint)
        return journal.last_result


def _with_tokens(profile: IbkrProfile, staged: CredentialSet, answers: dict[str, str]) -> CredentialSet:
    """The staged keys with the portal's token; every mistake in the answers is named before anything is written."""
    typed = answers.get(CONSUMER_KEY_FIELD, "").strip()
    consumer_key = parse_consumer_key(typed or profile.consumer_key)
    if consumer_key != profile.consumer_key:
        raise ConsumerKeyMismatch(
            f"IBKR's portal rotates the keys of an existing consumer, so the consumer key stays "
            f"{profile.consumer_key}; {consumer_key} is another consumer. To move the profile to it, set "
            f"consumer_key = {consumer_key!r} in profiles.toml and run `brokerdeck keys init {profile.name}`."
        )
    token = parse_access_token(answers.get(ACCESS_TOKEN_FIELD, ""))
    secret = parse_access_token_secret(answers.get(SECRET_FIELD, ""))
    with_tokens = staged.with_entry(ACCESS_TOKEN, access_token_record(token, secret))
    oauth1a.decrypt_prepend(credentials_of(profile, with_tokens).keys.encryption_key, secret)  # a precise error now
    return with_tokens


async def _prove_and_switch(
    vault: SecretStore, profile: IbkrProfile, journal: Journal, progress: Progress, checkpoint: Checkpoint | None
) -> Journal:
    """From PROVING: prove the staged set and switch to it, or roll back. From ROLLING_BACK: finish rolling back."""
    staged = journal.staged
    if journal.step == RotationStep.PROVING and staged is not None:
        what = f"the archived set {journal.restoring}" if journal.restoring else "the new set"
        try:
            await prove(profile, credentials_of(profile, staged), progress, what)
        except PROOF_FAILURES as error:
            journal = replace(journal, step=RotationStep.ROLLING_BACK, failure=why(error, stored_token(staged)))
            await _save(vault, profile, journal, checkpoint, "journal rolling back")
        else:
            progress("Proven. Archiving the active set and switching to the new one…")
            now = time.time()
            return await asyncio.to_thread(
                switch,
                vault,
                profile.name,
                journal,
                now,
                lambda archive_id: _switched(journal, now, archive_id),
                checkpoint,
            )
    await _roll_back(vault, profile, journal, progress, checkpoint)


def _switched(journal: Journal, now: float, archive_id: str) -> str:
    if journal.restoring:
        return (
            f"Restored {journal.restoring} at {when(now)}: it is active and proven; the set it replaced is archived "
            f"as {archive_id}."
        )
    return f"Rotated at {when(now)}: the new set is active and proven; the old set is archived as {archive_id}."


async def _roll_back(
    vault: SecretStore, profile: IbkrProfile, journal: Journal, progress: Progress, checkpoint: Checkpoint | None
) -> NoReturn:
    """Prove that the active set still works, end the rotation, and raise RotationFailed saying why."""
    failure = journal.failure or "the proof was cut off."
    progress("Rolling back: proving that the active set still works…")
    active = None
    try:
        active = await asyncio.to_thread(load_credentials, vault, profile)
        if active is None:
            raise RotationConflict("the active set is incomplete.")
        await prove(profile, active, progress, "the active set")
    except PROOF_FAILURES as error:
        old = why(error, active.access_token if active is not None else "")
        await _both_failed(vault, profile, journal, old, isinstance(error, IbkrUnreachable), checkpoint)
    now = when(time.time())
    if journal.restoring:
        result = (
            f"Restore of {journal.restoring} failed at {now}: {failure} The active set is unchanged and still mints "
            "a live session token."
        )
        message = f"{result} IBKR accepts an archived set only while its access token is still valid."
    else:
        result = f"Rolled back at {now}: {failure} The old set is active and still mints a live session token."
        message = (
            f"The new credentials did not prove: {failure} Rolled back: the old set is active and still mints a live "
            f"session token. Check what you copied from IBKR's portal and rotate again "
            f"(`brokerdeck keys rotate {profile.name} start`)."
        )
    await _save(vault, profile, journal.idle(result), checkpoint, "journal idle")
    raise RotationFailed(message)


async def _both_failed(
    vault: SecretStore,
    profile: IbkrProfile,
    journal: Journal,
    old: str,
    unreachable: bool,
    checkpoint: Checkpoint | None,
) -> NoReturn:
    """Neither set proves (`old`: why the active one did not): keep what can still help (the new keys IBKR now
    holds) and raise RotationStranded saying what to do."""
    failure = journal.failure or "the proof was cut off."
    cause = "" if unreachable else " IBKR has probably ended the old access token's grace period."
    if journal.restoring:
        result = (
            f"Restore of {journal.restoring} failed: {failure} The active set did not prove either: {old}{cause} "
            "Nothing was switched."
        )
        end = journal.idle(result)
        rotate = f"brokerdeck keys rotate {profile.name} start"
        advice = f"If IBKR no longer accepts the active set, rotate the keys (`{rotate}`)."
    else:
        result = f"The new set did not prove: {failure} The old set did not prove either: {old}{cause}"
        staged = journal.staged.without(ACCESS_TOKEN) if journal.staged is not None else None
        end = Journal(RotationStep.STAGED, journal.started_at, staged, journal.new_dh, last_result=result)
        confirm = f"`brokerdeck keys rotate {profile.name} confirm`"
        advice = "The new keys are kept (the rotation is back at its staged step): " + (
            f"check the network connection, then run {confirm} again with the same token."
            if unreachable
            else f"generate a new access token for them in IBKR's self-service portal, then run {confirm} with it."
        )
    await _save(vault, profile, end, checkpoint, f"journal {end.step.value}")
    raise RotationStranded(result, advice)


async def _save(
    vault: SecretStore, profile: IbkrProfile, journal: Journal, checkpoint: Checkpoint | None, what: str
) -> None:
    await asyncio.to_thread(save_journal, vault, profile.name, journal)
    if checkpoint is not None:
        checkpoint(what)
