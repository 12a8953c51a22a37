"""Manual credential rotation as a connector capability: the words every broker's rotation shares.

A rotation never leaves a profile without one working set of credentials. It is a journaled state machine
kept in the vault (so it survives a crash): `start` stages new material beside the active set, `confirm`
proves what the broker issued for it and only then switches, rolling back (and proving the old set) on any
failure, and `abort` discards what was staged. The set replaced is archived, encrypted and bound to its
profile, and can be restored. The window's wizard and `brokerdeck keys rotate` both drive this model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from brokers.core.actions import NextAction
from brokers.core.errors import BrokerError

#: a step's progress in words ("Minting a live session token with the new set…"), for the wizard and the CLI
type Progress = Callable[[str], None]


class RotationStep(StrEnum):
    """Where a profile's rotation stands, as its journal records it."""

    IDLE = "idle"  # no rotation under way: the active set is the only one
    STAGED = "staged"  # new material made and shown; waiting for what the broker issues for it
    PROVING = "proving"  # the broker's new credentials are being proven; the old set is still active
    SWITCHING = "switching"  # proven: the active set is being replaced (a restart completes the switch)
    ROLLING_BACK = "rolling_back"  # the proof failed: the old set is being proven again


@dataclass(frozen=True)
class RegisterPart:
    """One public part the trader registers with the broker: never anything secret."""

    label: str  # "Public signature key"
    fingerprint: str  # SHA-256, hex in pairs, for comparing with what the broker shows
    text: str  # the PEM (or other text) to paste


@dataclass(frozen=True)
class RotationField:
    """One value the trader types at `confirm` (the broker's new token, the new app secret)."""

    name: str  # the key of `confirm`'s answers
    label: str  # "Access token secret"
    hidden: bool = False  # a secret: masked in the wizard, read without echo in a terminal
    default: str = ""


@dataclass(frozen=True)
class RotationStatus:
    """What a rotation's journal says, in the trader's words; never a secret."""

    profile: str
    step: RotationStep
    started_at: float | None = None  # epoch seconds the staged material was made
    register: tuple[RegisterPart, ...] = ()  # while STAGED: what to register with the broker
    fields: tuple[RotationField, ...] = ()  # what `confirm` needs
    interrupted: bool = False  # a step was cut off (a crash): offer resume or abort
    last_result: str = ""  # how the previous rotation ended ("rotated at …", "rolled back: …")
    next_step: str = ""  # one sentence: what the trader does now


@dataclass(frozen=True)
class ArchivedSet:
    """A credential set a rotation replaced, kept encrypted in the vault under `archive_id`."""

    archive_id: str  # what `brokerdeck keys restore PROFILE ARCHIVE` takes
    archived_at: float  # epoch seconds
    summary: str  # what it was, without secrets ("consumer key TESTCONS, signature key SHA-256 ab:12:…")


class RotationFailed(BrokerError):
    """The new credentials did not prove: the old set is active again, and proven (`RotationStranded` when it
    did not prove either). The message says why."""

    action = NextAction.RETRY


class RotationConflict(BrokerError):
    """The step asked for does not follow from where the rotation stands (confirm with nothing staged)."""

    action = NextAction.NONE


class RotationStranded(RotationFailed):
    """Neither set proves: the new credentials failed, and the active (old) set did not prove again either.

    `why` says what each set did, `remedy` what fixes it (a new token for the staged keys, signing in again);
    `str(error)` is both. The old set stays active: nothing is switched to credentials that did not prove."""

    action = NextAction.ROTATE_KEYS
    #: how the wizard and `brokerdeck keys rotate` head this result, apart from a rollback's
    headline: ClassVar[str] = "Neither the new nor the old credentials work"

    def __init__(self, why: str, remedy: str) -> None:
        super().__init__(f"{why} {remedy}")
        self.why = why
        self.remedy = remedy
