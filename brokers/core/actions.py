"""What the trader can do about a profile, and how the window carries it out.

A connector offers actions (`ActionOffer`) for each state of its profiles; the window and the CLI
render the offers and route a click by `ActionRoute`, never by the kind of broker.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class NextAction(StrEnum):
    NONE = "none"
    CONNECT = "connect"
    RECONNECT = "reconnect"
    DISCONNECT = "disconnect"
    RETRY = "retry"
    TAKE_OVER = "take_over"  # end the competing brokerage session elsewhere and use this one
    SETUP_KEYS = "setup_keys"
    FIX_PROFILE = "fix_profile"
    UNLOCK_KEYRING = "unlock_keyring"
    RESTORE_VAULT = "restore_vault"
    ROTATE_KEYS = "rotate_keys"  # start a due rotation, or resume or abort one a crash cut off


class ActionRoute(StrEnum):
    """Who carries an action out."""

    SESSION = "session"  # the running session itself: retry now, reconnect, take over
    SIGN_IN = "sign_in"  # an interactive sign-in in the system browser
    SIGN_OUT = "sign_out"  # revoke and delete the stored sign-in; the window asks first
    COMMAND = "command"  # a terminal command the trader runs; the window copies it
    ROTATION = "rotation"  # the rotation wizard (`brokerdeck keys rotate` in a terminal)


@dataclass(frozen=True)
class ActionOffer:
    """One action a connector offers for a profile in its current state."""

    action: NextAction
    label: str  # the button's text
    route: ActionRoute
    tooltip: str = ""
    command: str = ""  # the command line, for ActionRoute.COMMAND
    panel: bool = False  # also a button of the connection panel (connect, reconnect, disconnect)
