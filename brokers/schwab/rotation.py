"""Rotating a Schwab app secret: the trader enters the new secret Schwab's developer portal issued, a renewal of
the stored sign-in with it proves it, and only then does it replace the current secret, which is archived.

The journal is one vault entry (`schwab-rotation`, brokers/core/rotation_journal.py). STAGED waits for the new
secret; PROVING holds it while the stored refresh token is renewed with it; SWITCHING holds it with the tokens
that renewal returned, so a crash after the proof completes the switch when the profile is next loaded;
ROLLING_BACK proves that the current secret still renews. Until the switch the current secret is the one in
use, in the vault and in the stored sign-in, so a crash before it leaves that secret active. Renewals run
under the profile's refresh lock, so a window renewing the same sign-in waits rather than racing the switch.
When Schwab ended the old secret's grace period and a window renewed with it, the sign-in is blocked, not
lost (oauth2/session.py keeps a refused client's refresh token), so the new secret is proven with it as usual.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import time
from typing import NoReturn

from brokers.core.errors import BrokerError
from brokers.core.filelock import held
from brokers.core.rotation import (
    ArchivedSet,
    Progress,
    RotationConflict,
    RotationFailed,
    RotationField,
    RotationStatus,
    RotationStep,
    RotationStranded,
)
from brokers.core.rotation_journal import UNDER_WAY, JournalEntry, RotationArchive, RotationJournal, stamp
from brokers.core.secrets import SecretStore
from brokers.oauth2.errors import OAuthError
from brokers.oauth2.refresh_lock import REFRESH_LOCK_TIMEOUT_S, refresh_lock
from brokers.oauth2.store import OAuthStore
from brokers.oauth2.tokens import TokenRecord, TokenSet, refresh_tokens
from brokers.oauth2.transport import new_http_client
from brokers.schwab.app_secret import load_app_secret, store_app_secret
from brokers.schwab.engine import client_of, server_of
from brokers.schwab.profile import SchwabProfile
from brokers.schwab.setup import SECRET_SHAPE, SecretRefused

JOURNAL_KIND = "schwab-rotation"
ARCHIVE_PREFIX = "schwab-secret"
SECRET_FIELD = RotationField("app_secret", "New app secret", hidden=True)

# what the journal keeps between steps
_NEW = "new_secret"
_TOKENS = "tokens"  # the renewal the new secret made, for the switch
_ARCHIVE = "archive_id"  # where the replaced secret goes
_RESTORING = "restoring"  # the archive being made active again (a restore, not a rotation)
_REASON = "reason"  # why the new secret did not prove


class SchwabRotation:
    """One profile's app-secret rotation; every method takes the profile's rotation lock for its step."""

    def __init__(self, profile: SchwabProfile, vault: SecretStore) -> None:
        self.profile = profile
        self.vault = vault
        self.journal = RotationJournal(vault, profile.name, JOURNAL_KIND)
        self.archive = RotationArchive(vault, profile.name, ARCHIVE_PREFIX)
        self.store = OAuthStore(vault, profile.name)

    # -- the capability (blocking ones run on a worker thread) ---------------------------------------

    def status(self) -> RotationStatus:
        """Blocking: where the rotation stands; a switch a crash cut off is completed first."""
        return self._status(self.settle())

    def settle(self) -> JournalEntry:
        """Blocking: the journal, after completing a switch a crash cut off (the new secret was proven, so the
        switch goes forward). Left alone while another process holds the rotation lock: that one is switching."""
        entry = self.journal.read()
        if entry.step != RotationStep.SWITCHING:
            return entry
        try:
            with self.journal.running():
                return self._settled()
        except RotationConflict:
            return entry

    async def start(self, progress: Progress) -> RotationStatus:
        with self.journal.running():
            entry = await asyncio.to_thread(self._settled)
            if entry.step in UNDER_WAY:
                raise RotationConflict(
                    f"a rotation of {self.profile.name} was cut off while {_doing(entry.step)}; confirm to resume "
                    "it, or abort it"
                )
            progress("Checking that the stored sign-in can be renewed…")
            await asyncio.to_thread(self._renewable)
            staged = JournalEntry(RotationStep.STAGED, started_at=time.time(), last_result=entry.last_result)
            return self._status(await asyncio.to_thread(self.journal.write, staged))

    async def confirm(self, answers: dict[str, str], progress: Progress) -> RotationStatus:
        with self.journal.running():
            entry = await asyncio.to_thread(self._settled)
            if entry.step == RotationStep.IDLE:
                raise RotationConflict(
                    f"no rotation of {self.profile.name} is under way: start one, then confirm with the new secret"
                )
            if entry.step == RotationStep.ROLLING_BACK:
                await self._roll_back(entry, progress)
            typed = answers.get(SECRET_FIELD.name, "").strip()
            await asyncio.to_thread(self._renewable)
            if entry.step == RotationStep.STAGED or typed:
                entry = await asyncio.to_thread(self._stage_secret, entry, typed)
            return await self._prove_and_switch(entry, progress)

    def abort(self) -> RotationStatus:
        """Blocking: drop what is staged; a secret already proven is switched to instead (it works)."""
        with self.journal.running():
            entry = self._settled()
            if entry.step != RotationStep.IDLE:
                entry = self.journal.write(entry.ended(f"aborted at {stamp()}; the current app secret stays in use"))
            return self._status(entry)

    def archived(self) -> tuple[ArchivedSet, ...]:
        return self.archive.listed()

    async def restore(self, archive_id: str, progress: Progress) -> str:
        with self.journal.running():
            entry = await asyncio.to_thread(self._settled)
            if entry.step != RotationStep.IDLE:
                raise RotationConflict(
                    f"a rotation of {self.profile.name} is under way: confirm or abort it before restoring an archive"
                )
            _, payload = await asyncio.to_thread(self.archive.payload, archive_id)
            secret = payload.decode("utf-8")
            if secret == await asyncio.to_thread(load_app_secret, self.vault, self.profile):
                return f"The app secret archived as {archive_id} is the one in use already; nothing was changed."
            await asyncio.to_thread(self._renewable)
            proving = JournalEntry(RotationStep.PROVING, time.time(), {_NEW: secret, _RESTORING: archive_id})
            entry = await asyncio.to_thread(self.journal.write, proving)
            await self._prove_and_switch(entry, progress)
            return (await asyncio.to_thread(self.journal.read)).closing()

    # -- steps -------------------------------------------------------------------------------------

    def _settled(self) -> JournalEntry:
        """Blocking, under the rotation lock: the journal, with a proven switch completed (under the refresh lock,
        so no renewal with the replaced secret is written over the switch)."""
        entry = self.journal.read()
        if entry.step != RotationStep.SWITCHING:
            return entry
        with held(self.store.refresh_lock_path(), REFRESH_LOCK_TIMEOUT_S):
            return self._switch(entry)

    def _stage_secret(self, entry: JournalEntry, typed: str) -> JournalEntry:
        """Blocking: PROVING with the secret the trader typed, once it looks like one and is not the current one."""
        if not SECRET_SHAPE.fullmatch(typed):
            raise SecretRefused(
                "that does not look like a Schwab App Secret (8 or more letters and digits, no spaces)",
                "confirm again and paste the new App Secret",
            )
        if typed == load_app_secret(self.vault, self.profile):
            raise SecretRefused(
                "that is the app secret already in use", "paste the new App Secret Schwab issued, then confirm again"
            )
        return self.journal.write(entry.moved(RotationStep.PROVING, **{_NEW: typed}))

    async def _prove_and_switch(self, entry: JournalEntry, progress: Progress) -> RotationStatus:
        """Renew with the new secret; switch when Schwab accepts it, roll back (and raise) when not."""
        async with new_http_client() as http, refresh_lock(self.store.refresh_lock_path()):
            record = await asyncio.to_thread(self._renewable)
            client = client_of(self.profile, entry.values[_NEW])
            progress("Renewing the Schwab sign-in with the new app secret…")
            try:
                renewed = await refresh_tokens(http, record.server, client, _tokens(record), time.time())
            except OAuthError as exc:
                reason = f"Schwab refused it ({exc.reply})" if exc.reply else str(exc)
                failed = entry.moved(RotationStep.ROLLING_BACK, **{_REASON: reason})
                await self._roll_back(await asyncio.to_thread(self.journal.write, failed), progress)
            progress("Schwab accepted the new app secret; switching to it…")
            archive_id = await asyncio.to_thread(self.archive.new_id)
            values = {_TOKENS: json.dumps(renewed.to_json()), _ARCHIVE: archive_id}
            switching = await asyncio.to_thread(self.journal.write, entry.moved(RotationStep.SWITCHING, **values))
            return self._status(await asyncio.to_thread(self._switch, switching))

    def _switch(self, entry: JournalEntry) -> JournalEntry:
        """Blocking and safe to repeat: archive the replaced secret, store the new one and its tokens, end."""
        new, archive_id = entry.values[_NEW], entry.values[_ARCHIVE]
        old = load_app_secret(self.vault, self.profile)
        if old and old != new and not self.archive.has(archive_id):
            self.archive.put(archive_id, self._summary(old), old.encode("utf-8"), time.time())
        proven = TokenSet.from_json(json.loads(entry.values[_TOKENS]))
        record = self.store.record()
        stored = record.tokens if record is not None else None
        tokens = stored if stored is not None and _later(stored, proven) else proven
        server = record.server if record is not None else server_of(self.profile)
        self.store.save_record(TokenRecord(server=server, client=client_of(self.profile, new), tokens=tokens))
        store_app_secret(self.vault, self.profile, new)
        restoring = entry.values.get(_RESTORING)
        done = f"restored the app secret archived as {restoring}" if restoring else "rotated the app secret"
        ended = f"{done} at {stamp()}; it renews the sign-in, and the one it replaced is archived as {archive_id}"
        return self.journal.write(entry.ended(ended))

    async def _roll_back(self, entry: JournalEntry, progress: Progress) -> NoReturn:
        """Prove the current secret still renews, go back to waiting for the secret (or to idle after a restore),
        and raise RotationFailed saying why the new secret did not prove (RotationStranded when the current one no
        longer renews either)."""
        reason = entry.values.get(_REASON, "the proof of the new app secret was cut off")
        progress("Proving that the current app secret still renews the sign-in…")
        stranded = ""
        try:
            await self._renew_current()
            current = "The current app secret is still in use and still renews the sign-in."
        except BrokerError as exc:
            said = exc.reply if isinstance(exc, OAuthError) and exc.reply else str(exc)
            grace = " Schwab may have ended its grace period." if "invalid_client" in said else ""
            current = stranded = f"The current app secret no longer renews the sign-in either ({said}).{grace}"
        restoring = entry.values.get(_RESTORING)
        if restoring:
            back = entry.ended(f"restoring {restoring} failed at {stamp()}: {reason}")
            what = f"The app secret archived as {restoring} did not prove: {reason}."
            todo = "Nothing was changed."
            remedy = f"{todo} Rotate the app secret (`brokerdeck keys rotate {self.profile.name} start`)."
        else:
            back = JournalEntry(
                RotationStep.STAGED, entry.started_at, last_result=f"rolled back at {stamp()}: {reason}"
            )
            what = f"The new app secret did not prove: {reason}."
            todo = (
                f"Copy the new App Secret of app {self.profile.app_key} exactly as developer.schwab.com shows it and "
                "confirm again, or abort."
            )
            remedy = todo
        await asyncio.to_thread(self.journal.write, back)
        if stranded:
            raise RotationStranded(f"{what} {stranded}", remedy)
        raise RotationFailed(f"{what} {current} {todo}")

    async def _renew_current(self) -> None:
        """Renew with the secret in use and store the result (a renewal like any other)."""
        async with new_http_client() as http:
            record = await asyncio.to_thread(self._renewable)
            renewed = await refresh_tokens(http, record.server, record.client, _tokens(record), time.time())
            proven = dataclasses.replace(record, tokens=renewed, client_refused="")  # it renews: not refused
            await asyncio.to_thread(self.store.save_record, proven)

    def _renewable(self) -> TokenRecord:
        """Blocking: the stored sign-in a new secret is proven with, or RotationConflict saying how to get one."""
        record = self.store.sign_in_for(self.profile.api)
        if record is not None and record.tokens is not None and record.tokens.refresh_token:
            return record
        why = record.login_required if record is not None and record.login_required else "nothing is signed in"
        raise RotationConflict(
            f"a new app secret is proven by renewing the stored sign-in with it, but {self.profile.name} has none "
            f"that renews ({why}). Sign in first (`brokerdeck login {self.profile.name}`); if Schwab no longer "
            f"accepts the current secret, store the new one with `brokerdeck keys init {self.profile.name} "
            "--new-keys` and sign in again"
        )

    def _summary(self, secret: str) -> str:
        digest = hashlib.sha256(secret.encode("utf-8")).hexdigest()[:16]
        pairs = ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))
        return f"app secret of App Key {self.profile.app_key} (SHA-256 {pairs}…)"

    def _status(self, entry: JournalEntry) -> RotationStatus:
        interrupted = self.journal.interrupted(entry)
        status = RotationStatus(
            self.profile.name, entry.step, entry.started_at, interrupted=interrupted, last_result=entry.last_result
        )
        key = self.profile.app_key
        if entry.step == RotationStep.IDLE:
            return dataclasses.replace(
                status,
                next_step=f"When Schwab has issued a new App Secret for app {key}, start a rotation and enter it; "
                "the current secret keeps working until the new one is proven.",
            )
        if entry.step == RotationStep.STAGED:
            return dataclasses.replace(
                status,
                fields=(SECRET_FIELD,),
                next_step=f"At developer.schwab.com, open your app (App Key {key}) and copy the new App Secret "
                "Schwab issued for it; then confirm with it. The current secret keeps renewing the sign-in until "
                "the new one is proven.",
            )
        if interrupted:
            return dataclasses.replace(
                status,
                next_step=f"A confirm was cut off while {_doing(entry.step)}; the current app secret is still in "
                "use. Confirm to resume, or abort.",
            )
        return dataclasses.replace(status, next_step=f"Another Brokerdeck process is {_doing(entry.step)}.")


def settle_profile(profile: SchwabProfile, vault: SecretStore) -> None:
    """Blocking: before the profile's secret or tokens are loaded, complete a switch a crash cut off."""
    SchwabRotation(profile, vault).settle()


def _tokens(record: TokenRecord) -> TokenSet:
    if record.tokens is None:
        raise RotationConflict("the stored sign-in has no tokens to renew")
    return record.tokens


def _later(held: TokenSet, proven: TokenSet) -> bool:
    """The stored tokens were renewed after the proof (by a window, after a crash): keep those."""
    return held.refresh_token == proven.refresh_token and (held.refreshed_at or 0.0) > (proven.refreshed_at or 0.0)


def _doing(step: RotationStep) -> str:
    return {
        RotationStep.PROVING: "proving the new app secret",
        RotationStep.SWITCHING: "switching to the proven app secret",
        RotationStep.ROLLING_BACK: "proving that the current app secret still renews",
    }.get(step, "rotating")
