"""A profile's rotation policy: after how many days its keys are due to be replaced by hand.

Kinds whose keys the trader rotates declare the `rotate_after_days` field with `rotate_after_days_field()`;
their connector turns the policy and the age of the stored keys into notes (`rotation_note`), and the one
action that starts a rotation is `rotation_offer` (the wizard in the window, `brokerdeck keys rotate` in a
terminal).
"""

from __future__ import annotations

from typing import Any

from brokers.core.actions import ActionOffer, ActionRoute, NextAction
from brokers.core.credential_notes import DAY_S, CredentialNote, Due
from brokers.core.profiles import FieldValueError, declared

DEFAULT_ROTATE_AFTER_DAYS = 90
MAX_ROTATE_AFTER_DAYS = 3650  # ten years: a longer policy is a typo, not a policy
NEVER = 0


def parse_rotate_after_days(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not NEVER <= value <= MAX_ROTATE_AFTER_DAYS:
        raise FieldValueError(
            f"must be a whole number of days without quotes, from 1 to {MAX_ROTATE_AFTER_DAYS} "
            f"(e.g. {DEFAULT_ROTATE_AFTER_DAYS}), or {NEVER} for no rotation policy"
        )
    return value


def rotate_after_days_field() -> Any:
    """The `rotate_after_days` field of a profile kind whose keys rotate by hand."""
    return declared(
        parse_rotate_after_days,
        default=DEFAULT_ROTATE_AFTER_DAYS,
        title="Rotate after (days)",
        help_text=f"Days after which the keys are due for rotation; {NEVER} turns the reminder off.",
        example=str(DEFAULT_ROTATE_AFTER_DAYS),
    )


def policy_words(days: int) -> str:
    return f"rotate_after_days = {NEVER}, never" if days == NEVER else f"every {days} days"


def rotation_note(name: str, written_at: float | None, days: int, *, action: NextAction, hint: str) -> CredentialNote:
    """The note for a credential stored at `written_at` under a policy of `days` (0: never due)."""
    due_at = written_at + days * DAY_S if written_at is not None and days != NEVER else None
    return CredentialNote(name, Due.ROTATION, written_at, due_at, action=action, hint=hint, policy=policy_words(days))


def rotation_command(profile: str) -> str:
    return f"brokerdeck keys rotate {profile} start"


def rotation_hint(profile: str) -> str:
    """How to start a rotation, naming the button `rotation_offer` makes."""
    return f"Press Rotate keys…, or run `{rotation_command(profile)}`."


def rotation_offer(profile: str) -> ActionOffer:
    """The one action that starts a rotation: the window's wizard, or the command in a terminal."""
    command = rotation_command(profile)
    return ActionOffer(
        NextAction.ROTATE_KEYS,
        "Rotate keys…",
        ActionRoute.ROTATION,
        tooltip=f"Opens the key rotation; in a terminal: `{command}`",
        command=command,
    )
