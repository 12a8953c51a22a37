"""A rotation's journal and outcomes in the trader's words, for the wizard.

The core says where a rotation stands (`RotationStatus`) and how a step ended (a status, `RotationFailed`,
`RotationStranded` when neither set works, another error); this maps both onto the wizard's steps and result,
the same way for every connector.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from brokers.core.profiles import Profile
from brokers.core.rotation import ArchivedSet, RotationFailed, RotationStatus, RotationStep, RotationStranded
from brokers.core.timefmt import local_time
from widgets.rotation_view_models import (
    ArchiveView,
    FieldView,
    Outcome,
    RegisterPartView,
    RotationResult,
    RotationView,
    WizardPage,
)

STANDS: dict[RotationStep, str] = {
    RotationStep.IDLE: "No rotation is under way: the active set is the only one.",
    RotationStep.STAGED: "New credentials {made}wait beside the active set, which keeps working.",
    RotationStep.PROVING: "The new credentials were being proven; the old set is still the active one.",
    RotationStep.SWITCHING: "The new credentials proved, and the switch to them was under way.",
    RotationStep.ROLLING_BACK: "The new credentials failed, and the old set was being proven again.",
}
UNDER_PROOF = frozenset({RotationStep.PROVING, RotationStep.SWITCHING, RotationStep.ROLLING_BACK})


def sentence(clause: str) -> str:
    """An error's clause ("the new token was refused (401)") as a sentence of its own."""
    clause = clause.strip()
    ending = "" if clause.endswith((".", "!", "?", "…")) else "."
    return f"{clause[:1].upper()}{clause[1:]}{ending}"


def wizard_page(status: RotationStatus) -> WizardPage:
    """The step of the wizard the journal is at."""
    if status.step == RotationStep.IDLE:
        return WizardPage.START
    if status.step == RotationStep.STAGED:
        return WizardPage.REGISTER if status.register else WizardPage.PASTE
    return WizardPage.PROVING


def archived_at(epoch_s: float) -> str:
    return f"{datetime.fromtimestamp(epoch_s):%Y-%m-%d %H:%M}"


def guidance(status: RotationStatus) -> str:
    """The core's next step, where the wizard's own steps do not say it: a staged rotation that asks for nothing
    here (a sign-in with a new client is done elsewhere), or a step another process is running. Elsewhere the
    wizard's words stand in for it (the core's also name terminal commands)."""
    asks_nothing = status.step == RotationStep.STAGED and not status.register and not status.fields
    elsewhere = status.step in UNDER_PROOF and not status.interrupted
    return status.next_step if asks_nothing or elsewhere else ""


def rotation_view(profile: Profile, status: RotationStatus, archives: Sequence[ArchivedSet]) -> RotationView:
    made = f"made {local_time(status.started_at)} " if status.started_at is not None else ""
    return RotationView(
        profile=profile.name,
        label=profile.display_name,
        page=wizard_page(status),
        stands=STANDS[status.step].format(made=made),
        guidance=guidance(status),
        register=tuple(RegisterPartView(p.label, p.fingerprint, p.text) for p in status.register),
        fields=tuple(FieldView(f.name, f.label, f.hidden, f.default) for f in status.fields),
        interrupted=status.interrupted,
        resumable=status.interrupted and status.step in UNDER_PROOF,  # `confirm` carries these on
        last_result=status.last_result,
        archives=tuple(ArchiveView(a.archive_id, archived_at(a.archived_at), a.summary) for a in archives),
        restore_hint=(
            f"In a terminal, `brokerdeck keys archive {profile.name}` lists them and "
            f"`brokerdeck keys restore {profile.name} ARCHIVE` restores one."
        ),
    )


def switched_result(status: RotationStatus) -> RotationResult:
    return RotationResult(
        Outcome.SWITCHED,
        "Switched: the new credentials proved and are active now.",
        detail=status.last_result,
        advice="The set they replaced is archived; to go back to it, pick it under Roll back and press Restore…",
    )


def restored_result(closing: str) -> RotationResult:
    """`closing` is the connector's closing sentence of the restore."""
    return RotationResult(
        Outcome.RESTORED, "Restored: the archived set proved and is active again.", detail=sentence(closing)
    )


def discarded_result() -> RotationResult:
    return RotationResult(
        Outcome.DISCARDED,
        "Discarded: the new credentials are gone, and the active set is as it was.",
        advice="Anything you registered at the broker for them can be removed there.",
    )


def failed_result(error: BaseException, status: RotationStatus) -> RotationResult | None:
    """How a failed confirm (or resume) ended, from the error and the journal read after it; None when
    nothing was proven or switched (the step was refused: the wizard shows the error where it was)."""
    why = sentence(str(error))
    if isinstance(error, RotationStranded):
        return RotationResult(
            Outcome.STRANDED,
            f"{error.headline}.",
            detail=sentence(error.why),
            advice=f"{sentence(error.remedy)} Nothing was switched; when that is done, press Try again.",
        )
    if isinstance(error, RotationFailed):
        # neither set failing is RotationStranded above: here the old set is active again, and proven
        staged = status.step == RotationStep.STAGED
        again = "with what is still staged, or abort the rotation" if staged else "from the start"
        return RotationResult(
            Outcome.ROLLED_BACK,
            "Rolled back: the new credentials did not prove, so nothing was switched.",
            detail=why,
            advice=f"Read why above, then Try again {again}.",
        )
    if status.step == RotationStep.ROLLING_BACK:
        return RotationResult(
            Outcome.STRANDED,
            "Neither set proved: the new credentials failed, and the old set did not prove again either.",
            detail=why,
            advice=(
                "The journal keeps where it stopped. When the broker can be reached, press Try again, then Resume, "
                "to prove the old set once more. If the broker has revoked it, restore an archived set, or set "
                "the credentials up again."
            ),
        )
    if status.step in UNDER_PROOF:
        return RotationResult(
            Outcome.STRANDED,
            f"The rotation stopped part way. {STANDS[status.step]}",
            detail=why,
            advice="The journal keeps where it stopped: press Try again, then Resume, to carry it on.",
        )
    return None
