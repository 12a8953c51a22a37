"""Plain data the rotation wizard renders: where a profile's key rotation stands, and how one ended.

The app maps the core's rotation model (its journal step, what to register, what confirm takes, the
archived sets) onto these, so the wizard never imports the core. Nothing here is secret: public keys and
their fingerprints, field labels, and sentences.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class WizardPage(StrEnum):
    """The wizard's steps, in the order a rotation goes through them."""

    START = "start"  # nothing staged: make new credentials beside the active set
    REGISTER = "register"  # what to register with the broker, with copy buttons
    PASTE = "paste"  # what the broker issued for it, typed or pasted by the trader
    PROVING = "proving"  # the new credentials are being proven; progress lines come in
    RESULT = "result"  # switched, rolled back (and why), or neither set proved (and what to do)


PAGE_TITLES: dict[WizardPage, str] = {
    WizardPage.START: "Start",
    WizardPage.REGISTER: "Register at the broker",
    WizardPage.PASTE: "Paste what it issued",
    WizardPage.PROVING: "Prove",
    WizardPage.RESULT: "Result",
}


@dataclass(frozen=True)
class RegisterPartView:
    """One public part to register with the broker: copied as it is, compared by its fingerprint."""

    label: str
    fingerprint: str
    text: str


@dataclass(frozen=True)
class FieldView:
    """One value `confirm` takes; a hidden one is masked on screen."""

    name: str
    label: str
    hidden: bool = False
    default: str = ""


@dataclass(frozen=True)
class ArchiveView:
    """A set an earlier rotation replaced, which Restore makes active again."""

    archive_id: str
    archived_at: str  # local time, in the window's wording
    summary: str


@dataclass(frozen=True)
class RotationView:
    """A profile's rotation as its journal records it, mapped onto the wizard's steps."""

    profile: str
    label: str
    page: WizardPage  # the step the journal is at (a rotation under way never shows START)
    stands: str  # where it stands, in one sentence
    guidance: str = ""  # the core's words for what to do, where the wizard has none of its own (a sign-in to do)
    register: tuple[RegisterPartView, ...] = ()
    fields: tuple[FieldView, ...] = ()
    interrupted: bool = False  # a crash cut a step off: the wizard offers resume or abort
    resumable: bool = False  # Resume carries the cut-off step on (confirm again); otherwise the trader goes on
    last_result: str = ""  # how the previous rotation ended
    archives: tuple[ArchiveView, ...] = ()
    restore_hint: str = ""  # the same roll-back from a terminal, in one sentence


class Outcome(StrEnum):
    """How a step the trader asked for ended."""

    SWITCHED = "switched"  # the new set proved and is active; the old one is archived
    ROLLED_BACK = "rolled_back"  # the new set did not prove; the old set is active again, and proven
    STRANDED = "stranded"  # the step stopped and the old set was not proven again: the trader must act
    RESTORED = "restored"  # an archived set proved and is active again
    DISCARDED = "discarded"  # the staged material is gone; the active set is as it was


FINISHING_OUTCOMES = frozenset({Outcome.SWITCHED, Outcome.RESTORED, Outcome.DISCARDED})
OUTCOME_SEVERITY: dict[Outcome, str] = {
    Outcome.SWITCHED: "ok",
    Outcome.ROLLED_BACK: "warn",
    Outcome.STRANDED: "error",
    Outcome.RESTORED: "ok",
    Outcome.DISCARDED: "idle",
}


@dataclass(frozen=True)
class RotationResult:
    """What the result step says: the headline, why (the core's words) and what to do now."""

    outcome: Outcome
    headline: str
    detail: str = ""
    advice: str = ""

    @property
    def finishes(self) -> bool:
        """False after a failed proof: the wizard refuses to finish and says why."""
        return self.outcome in FINISHING_OUTCOMES

    @property
    def severity(self) -> str:
        return OUTCOME_SEVERITY[self.outcome]
