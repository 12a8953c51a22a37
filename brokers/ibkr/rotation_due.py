"""When an IBKR profile's keys are due for rotation: the age of what the vault holds against the profile's policy.

The ages are the vault entries' write times (`BlobCheck.written_at`): the signature key (or the OAuth 2.0
private key) for the keys, the access-token entry for the access token. Nothing is guessed: an entry whose
write time is unknown has no due date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from brokers.core.actions import NextAction
from brokers.core.credential_notes import CredentialNote
from brokers.core.rotation_policy import rotation_hint, rotation_note
from brokers.core.secrets import BlobCheck
from brokers.ibkr.profile import AnyIbkrProfile


def rotation_notes(
    profile: AnyIbkrProfile, checks: Sequence[BlobCheck], aged: Mapping[str, str], *, rotates: bool
) -> tuple[CredentialNote, ...]:
    """One note per stored entry `aged` names (health row name -> vault kind). A kind that rotates offers
    its rotation; one that does not says how the keys are replaced by hand."""
    written = {check.kind: check.written_at for check in checks}
    if rotates:
        action, hint = NextAction.ROTATE_KEYS, rotation_hint(profile.name)
    else:
        action = NextAction.NONE
        hint = (
            f"Rotate by hand: run `brokerdeck keys init {profile.name} --new-keys` and register what it prints "
            "with IBKR; the profile connects again once IBKR accepts the new keys."
        )
    return tuple(
        rotation_note(name, written[kind], profile.rotate_after_days, action=action, hint=hint)
        for name, kind in aged.items()
        if kind in written
    )
