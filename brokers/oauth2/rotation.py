"""Re-registration as the rotation of an OAuth profile: a new dynamic client (RFC 7591), a browser sign-in with
it, and a switch only once the new sign-in is proven; the old client and tokens stay in use until then.

The browser sign-in cannot live inside `confirm` (the CLI runs start and confirm as separate commands, and the
window already has a sign-in with its browser, paste and cancel), so the rotation has three moves:
`start` registers the new client and stages it (STAGED); the profile's ordinary sign-in (Reconnect, or
`brokerdeck login`) then signs in with the staged client and keeps the tokens in the staged entries, apart
from the ones in use (`sign_in_store`); `confirm` proves the staged sign-in (a renewal, then the call the
connector makes to check a sign-in) and switches. A failed proof drops the staged tokens, proves the current
sign-in again, and waits for another sign-in with the new client.

The journal is the vault entry `oauth-rotation` (brokers/core/rotation_journal.py); the switch archives the
replaced sign-in (client and tokens, encrypted) under `oauth-sign-in-<id>`. A restore proves an archived
sign-in by renewing it, then makes it current again; its archive is then dropped, since the renewal rotated
its refresh token out and a second restore of it would only revoke the grant.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import NoReturn

from brokers.core.errors import BrokerError
from brokers.core.filelock import held
from brokers.core.rotation import (
    ArchivedSet,
    Progress,
    RotationConflict,
    RotationFailed,
    RotationStatus,
    RotationStep,
    RotationStranded,
)
from brokers.core.rotation_journal import UNDER_WAY, JournalEntry, RotationArchive, RotationJournal, stamp
from brokers.core.secrets import SecretStore
from brokers.oauth2.discovery import discover
from brokers.oauth2.login import callback_path, free_port
from brokers.oauth2.profile import OAuth2Profile
from brokers.oauth2.refresh_lock import REFRESH_LOCK_TIMEOUT_S, refresh_lock
from brokers.oauth2.registration import ClientRegistration, register
from brokers.oauth2.session import OAuthSession
from brokers.oauth2.store import OAuthStore
from brokers.oauth2.tokens import TokenRecord
from brokers.oauth2.transport import new_http_client

JOURNAL_KIND = "oauth-rotation"
ARCHIVE_PREFIX = "oauth-sign-in"

#: proves a sign-in where the connector uses it: "" when accepted, else why not
type Proof = Callable[[OAuthSession], Awaitable[str]]

_ARCHIVE = "archive_id"
_RESTORING = "restoring"
_REASON = "reason"


async def resource_proof(session: OAuthSession) -> str:
    """The generic connector's check: the profile's resource accepts the access token (nothing to ask without one)."""
    if not session.profile.resource:
        return ""
    await session.check()
    facts = session.facts
    if facts.checked_at is not None:
        return ""
    return facts.check_error or facts.login_required or f"{session.profile.resource} did not accept the sign-in"


def sign_in_store(vault: SecretStore, profile: str) -> OAuthStore:
    """Blocking: where a sign-in of `profile` goes: the staged entries while a re-registration waits for it."""
    store = OAuthStore(vault, profile)
    staged = RotationJournal(vault, profile, JOURNAL_KIND).read().step == RotationStep.STAGED
    return store.staged() if staged else store


class ReRegistration:
    """One OAuth profile's re-registration; every step holds the profile's rotation lock."""

    def __init__(self, profile: OAuth2Profile, vault: SecretStore, prove: Proof = resource_proof) -> None:
        self.profile = profile
        self.prove = prove
        self.journal = RotationJournal(vault, profile.name, JOURNAL_KIND)
        self.archive = RotationArchive(vault, profile.name, ARCHIVE_PREFIX)
        self.active = OAuthStore(vault, profile.name)
        self.staged = self.active.staged()

    # -- the capability (blocking ones run on a worker thread) ---------------------------------------

    def status(self) -> RotationStatus:
        """Blocking: where the re-registration stands; a switch a crash cut off is completed first."""
        entry = self.journal.read()
        if entry.step == RotationStep.SWITCHING:
            try:
                with self.journal.running():
                    entry = self._settled()
            except RotationConflict:
                pass  # the process holding the lock is switching now
        return self._status(entry)

    async def start(self, progress: Progress) -> RotationStatus:
        with self.journal.running():
            entry = await asyncio.to_thread(self._settled)
            if entry.step in UNDER_WAY:
                raise RotationConflict(
                    f"a re-registration of {self.profile.name} was cut off while {_doing(entry.step)}; confirm to "
                    "resume it, or abort it"
                )
            await asyncio.to_thread(self._rotatable)
            client = await self._register(progress)
            await asyncio.to_thread(self._stage_client, client)
            staged = JournalEntry(RotationStep.STAGED, started_at=time.time(), last_result=entry.last_result)
            return self._status(await asyncio.to_thread(self.journal.write, staged))

    async def confirm(self, progress: Progress) -> RotationStatus:
        with self.journal.running():
            entry = await asyncio.to_thread(self._settled)
            if entry.step == RotationStep.IDLE:
                raise RotationConflict(
                    f"no re-registration of {self.profile.name} is under way: start one, sign in, then confirm"
                )
            if entry.step == RotationStep.ROLLING_BACK:
                await self._roll_back(entry, progress)
            if entry.step == RotationStep.STAGED:
                if await asyncio.to_thread(self._staged_sign_in) is None:
                    raise RotationConflict(f"{self._sign_in_step()}, then confirm")
                entry = await asyncio.to_thread(self.journal.write, entry.moved(RotationStep.PROVING))
            return await self._prove_and_switch(entry, progress)

    def abort(self) -> RotationStatus:
        """Blocking: drop the staged client and sign-in; a sign-in already proven is switched to instead."""
        with self.journal.running():
            entry = self._settled()
            if entry.step != RotationStep.IDLE:
                self._drop_staged(keep_client=False)
                entry = self.journal.write(entry.ended(f"aborted at {stamp()}; the current sign-in stays in use"))
            return self._status(entry)

    def archived(self) -> tuple[ArchivedSet, ...]:
        return self.archive.listed()

    async def restore(self, archive_id: str, progress: Progress) -> str:
        with self.journal.running():
            entry = await asyncio.to_thread(self._settled)
            if entry.step != RotationStep.IDLE:
                raise RotationConflict(
                    f"a re-registration of {self.profile.name} is under way: confirm or abort it before restoring"
                )
            _, payload = await asyncio.to_thread(self.archive.payload, archive_id)
            await asyncio.to_thread(self._stage_archived, TokenRecord.from_bytes(payload))
            proving = JournalEntry(RotationStep.PROVING, time.time(), {_RESTORING: archive_id})
            await self._prove_and_switch(await asyncio.to_thread(self.journal.write, proving), progress)
            return (await asyncio.to_thread(self.journal.read)).closing()

    # -- steps -------------------------------------------------------------------------------------

    def _rotatable(self) -> None:
        """Blocking: RotationConflict when this profile has nothing a new registration could replace."""
        if self.profile.client_id:
            raise RotationConflict(
                f"{self.profile.name} uses a client registered by hand (client_id {self.profile.client_id}); register "
                "a new one with the provider and put its id in the profile instead"
            )
        if self.active.record() is None:
            raise RotationConflict(
                f"{self.profile.name} has no sign-in to replace: connect it first "
                f"(`brokerdeck login {self.profile.name}`)"
            )

    async def _register(self, progress: Progress) -> ClientRegistration:
        """A new client at the profile's server, on a loopback redirect like the one a sign-in serves."""
        profile = self.profile
        scheme = "https" if profile.loopback_tls else "http"
        redirect_uri = f"{scheme}://127.0.0.1:{profile.redirect_port or free_port()}{callback_path(profile.name)}"
        async with new_http_client() as http:
            progress(f"Reading the metadata of {profile.issuer}…")
            discovery = await discover(http, profile.issuer, profile.resource)
            progress(f"Registering a new client at {discovery.server.issuer}…")
            return await register(http, discovery.server, redirect_uri, profile.scopes or discovery.resource_scopes)

    def _stage_client(self, client: ClientRegistration) -> None:
        self.staged.forget_record()
        self.staged.save_registration(client)

    def _stage_archived(self, record: TokenRecord) -> None:
        self.staged.forget_registration()
        self.staged.save_record(record)

    def _staged_sign_in(self) -> TokenRecord | None:
        record = self.staged.record()
        return record if record is not None and record.tokens is not None and not record.login_required else None

    def _drop_staged(self, *, keep_client: bool) -> None:
        self.staged.forget_record()
        if not keep_client:
            self.staged.forget_registration()

    async def _prove_and_switch(self, entry: JournalEntry, progress: Progress) -> RotationStatus:
        reason = await self._proof(self.staged, progress, "new")
        if reason:
            failed = entry.moved(RotationStep.ROLLING_BACK, **{_REASON: reason})
            await self._roll_back(await asyncio.to_thread(self.journal.write, failed), progress)
        progress("The new sign-in works; switching to it…")
        archive_id = await asyncio.to_thread(self.archive.new_id)
        switching = entry.moved(RotationStep.SWITCHING, **{_ARCHIVE: archive_id})
        async with refresh_lock(self.active.refresh_lock_path()):
            entry = await asyncio.to_thread(self.journal.write, switching)
            return self._status(await asyncio.to_thread(self._switch, entry))

    async def _proof(self, store: OAuthStore, progress: Progress, which: str) -> str:
        """Renew the sign-in `store` holds, then check it where the connector uses it: "" when it passes, else
        why not. A sign-in with neither a refresh token nor a check was proven by the code exchange itself."""
        async with new_http_client() as http:
            session = OAuthSession(self.profile, store, http)
            try:
                if await asyncio.to_thread(_renews, store):
                    progress(f"Renewing the {which} sign-in…")
                    await session.refresh()
                progress(f"Checking the {which} sign-in at {self.profile.resource or self.profile.issuer}…")
                return await self.prove(session)
            except BrokerError as exc:
                return str(exc)

    def _settled(self) -> JournalEntry:
        """Blocking, under the rotation lock: the journal, with a proven switch completed (under the refresh lock,
        so no renewal of the replaced sign-in is written over the switch)."""
        entry = self.journal.read()
        if entry.step != RotationStep.SWITCHING:
            return entry
        with held(self.active.refresh_lock_path(), REFRESH_LOCK_TIMEOUT_S):
            return self._switch(entry)

    def _switch(self, entry: JournalEntry) -> JournalEntry:
        """Blocking and safe to repeat: archive the current sign-in, make the staged one current, end."""
        archive_id = entry.values[_ARCHIVE]
        staged = self.staged.record()
        if staged is not None:
            current = self.active.record()
            if current is not None and not self.archive.has(archive_id):
                self.archive.put(archive_id, _summary(current), current.to_bytes(), time.time())
            self.active.save_record(staged)
            self.active.save_registration(staged.client)
            self._drop_staged(keep_client=False)
        restoring = entry.values.get(_RESTORING)
        if restoring:
            self.archive.drop(restoring)
            done = f"restored the sign-in archived as {restoring}"
        else:
            done = "re-registered: the new client's sign-in is in use"
        return self.journal.write(entry.ended(f"{done} at {stamp()}; the one it replaced is archived as {archive_id}"))

    async def _roll_back(self, entry: JournalEntry, progress: Progress) -> NoReturn:
        """Drop the staged sign-in, prove the current one, and raise RotationFailed saying why the new one failed
        (RotationStranded when the current one fails too)."""
        reason = entry.values.get(_REASON, "the proof of the new sign-in was cut off")
        restoring = entry.values.get(_RESTORING)
        await asyncio.to_thread(self._drop_staged, keep_client=not restoring)
        current_problem = await self._proof(self.active, progress, "current")
        if restoring:
            back = entry.ended(f"restoring {restoring} failed at {stamp()}: {reason}")
            what, todo = f"The sign-in archived as {restoring} did not prove: {reason}.", "Nothing was changed."
            remedy = f"Sign in again: press Reconnect, or run `brokerdeck login {self.profile.name}`."
        else:
            back = JournalEntry(
                RotationStep.STAGED, entry.started_at, last_result=f"rolled back at {stamp()}: {reason}"
            )
            what, todo = f"The new sign-in did not prove: {reason}.", f"{self._sign_in_step()} and confirm, or abort."
            remedy = todo
        await asyncio.to_thread(self.journal.write, back)
        if current_problem:
            raise RotationStranded(f"{what} The current sign-in no longer works either ({current_problem}).", remedy)
        raise RotationFailed(f"{what} The current sign-in is still in use and works. {todo}")

    def _sign_in_step(self) -> str:
        return f"Sign in with the new client: press Reconnect, or run `brokerdeck login {self.profile.name}`"

    def _status(self, entry: JournalEntry) -> RotationStatus:
        status = RotationStatus(
            self.profile.name,
            entry.step,
            entry.started_at,
            interrupted=self.journal.interrupted(entry),
            last_result=entry.last_result,
        )
        if entry.step == RotationStep.IDLE:
            return dataclasses.replace(
                status,
                started_at=None,
                next_step=f"Start a re-registration to register a new client at {self.profile.issuer} and sign in "
                "with it; the current sign-in keeps working until the new one is proven.",
            )
        if entry.step == RotationStep.STAGED:
            if self._staged_sign_in() is None:
                keeps = "The current sign-in keeps working until you confirm."
                return dataclasses.replace(status, next_step=f"{self._sign_in_step()}. {keeps}")
            return dataclasses.replace(
                status, next_step="Signed in with the new client: confirm to prove it and switch to it, or abort."
            )
        if status.interrupted:
            return dataclasses.replace(
                status,
                next_step=f"A confirm was cut off while {_doing(entry.step)}; the current sign-in is still in use. "
                "Confirm to resume, or abort.",
            )
        return dataclasses.replace(status, next_step=f"Another Brokerdeck process is {_doing(entry.step)}.")


def _renews(store: OAuthStore) -> bool:
    """Blocking: whether the sign-in `store` holds has a refresh token to renew with."""
    record = store.record()
    return record is not None and record.tokens is not None and bool(record.tokens.refresh_token)


def _summary(record: TokenRecord) -> str:
    """What an archived sign-in was, without secrets."""
    signed = f"signed in {datetime.fromtimestamp(record.tokens.authorized_at):%Y-%m-%d %H:%M}" if record.tokens else ""
    state = "dead: " + record.login_required if record.login_required else signed
    return f"client {record.client.client_id} at {record.server.issuer}" + (f", {state}" if state else "")


def _doing(step: RotationStep) -> str:
    return {
        RotationStep.PROVING: "proving the new sign-in",
        RotationStep.SWITCHING: "switching to the proven sign-in",
        RotationStep.ROLLING_BACK: "proving that the current sign-in still works",
    }.get(step, "re-registering")
