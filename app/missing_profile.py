"""Why a profile named on the command line is not there, in words that say what to do about it.

Two reasons hide a profile the trader expects: profiles.toml could not be read at all, or the profile is
one the sandbox offers and no sandbox is running.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.sandbox import SandboxEndpoints
    from brokers.core.profiles import ProfileSet


def explain_missing(name: str, profiles: ProfileSet, sandbox: SandboxEndpoints | None) -> str | None:
    """Why `name` is not among `profiles`, when something explains it; None when it simply does not exist."""
    from app.sandbox import offered_profile_names

    if sandbox is None and name in offered_profile_names():
        return (
            f"no profile named {name!r}: sandbox profiles exist only while the sandbox runs. Start it with "
            "`make run`, or with `brokerdeck sandbox` in another terminal, then try again."
        )
    error = profiles.unreadable_error
    return f"cannot look up {name!r}: {error}" if error is not None else None
