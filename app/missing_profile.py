"""Why a profile named on the command line is not there, in words that say what to do about it.

Two reasons hide a profile the trader expects: profiles.toml could not be read at all, or the profile is
one the sandbox offers and no sandbox is running.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.context import AppContext
    from app.sandbox import SandboxEndpoints
    from brokers.core.connector import Connector
    from brokers.core.profiles import Profile, ProfileSet


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


def profile_that(
    context: AppContext, name: str, can: Callable[[Connector[Any]], bool], refusal: Callable[[str], str]
) -> tuple[Profile, Connector[Any]] | None:
    """Profile `name` and its connector when the connector `can` do what the command asks; otherwise None, after
    saying why on standard error. `refusal` words the refusal from the kinds that can ("ibkr-oauth1a or schwab")."""
    sandbox = context.sandbox()
    profiles = context.profiles(sandbox)
    profile = profiles.get(name)
    if profile is None and (why := explain_missing(name, profiles, sandbox)):
        print(f"error: {why}", file=sys.stderr)
        return None
    registry = context.registry
    if profile is None or not can(registry.of(profile)):
        kinds = " or ".join(c.kind for c in registry.connectors if can(c)) or "no"
        what = refusal(kinds) if profile else "is not in profiles.toml"
        print(f"error: profile '{name}' {what} ({context.paths.profiles_file}).", file=sys.stderr)
        return None
    return profile, registry.of(profile)
