"""`brokerdeck keys rotate PROFILE start|confirm|abort|status`, `keys archive PROFILE`, `keys restore PROFILE ARCHIVE`.

Generic over connectors: a profile's connector says whether its credentials rotate (`rotates`), what to
register and what confirm asks; this only prints and asks. Nothing secret is ever printed: a rotation status
carries none, and hidden answers are read without echo. Exit codes as `keys init`: 0 done, 1 failed (the
message says why and what to do), 2 a wrong profile or command.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from app.missing_profile import profile_that
from app.terminal import Terminal

if TYPE_CHECKING:
    from app.context import AppContext
    from brokers.core.connector import Connector
    from brokers.core.profiles import Profile
    from brokers.core.rotation import ArchivedSet, RotationStatus, RotationStranded

COMMANDS = ("rotate", "archive", "restore")
STEPS = ("start", "confirm", "abort", "status")
_RED, _PLAIN = "\033[1;31m", "\033[0m"  # a headline's colour in a terminal (ANSI bold red, then back)


def add_arguments(add_parser: Callable[..., argparse.ArgumentParser]) -> None:
    """The rotation commands, beside `keys init` (`add_parser` is the `keys` subcommands' own)."""
    rotate = add_parser(
        "rotate",
        help="rotate a profile's keys by hand: start, then confirm (or abort); status says where it stands",
        description="Rotate a profile's credentials without ever leaving it without a working set. `start` makes "
        "new keys beside the active ones and prints what to register with the broker; `confirm` reads what the "
        "broker issued for them (from the terminal, or one line per answer on standard input), proves it and "
        "only then switches, archiving the old set; a failed proof rolls back and proves the old set again. "
        "`abort` discards what was staged; `status` says where a rotation stands, and offers to resume "
        "(`confirm`) or abort one that was cut off.",
    )
    rotate.add_argument("profile", help="a profile whose keys rotate (ibkr-oauth1a) from profiles.toml")
    rotate.add_argument("step", choices=STEPS, help="start, confirm, abort or status")
    rotate.add_argument("--new-dh", action="store_true", help="with start: new DH parameters too (takes minutes)")
    archive = add_parser(
        "archive",
        help="list the credential sets earlier rotations replaced, newest first",
        description="List a profile's archived credential sets (kept encrypted in the vault) without secrets.",
    )
    archive.add_argument("profile", help="a profile whose keys rotate, from profiles.toml")
    restore = add_parser(
        "restore",
        help="prove an archived set and make it active again (the current one is archived)",
        description="Prove an archived credential set with the broker, then make it the active set again; the "
        "set it replaces is archived. Nothing changes when the proof fails.",
    )
    restore.add_argument("profile", help="a profile whose keys rotate, from profiles.toml")
    restore.add_argument("archive", help="an archive name that `brokerdeck keys archive PROFILE` lists")


def run(context: AppContext, args: argparse.Namespace) -> int:
    from brokers.core.actions import NextAction
    from brokers.core.errors import BrokerError
    from brokers.core.rotation import RotationStranded

    found = profile_that(
        context, args.profile, lambda c: c.rotates, lambda kinds: f"is not a profile whose keys rotate ({kinds})"
    )
    if found is None:
        return 2
    profile, connector = found
    terminal = Terminal()
    try:
        if args.keys_command == "archive":
            _list_archives(profile, connector.archived_sets(profile, context.vault()))
        elif args.keys_command == "restore":
            print(asyncio.run(connector.restore_archived(profile, context.vault(), args.archive, terminal.warn)))
        else:
            _rotate(context, profile, connector, args, terminal)
    except RotationStranded as exc:
        _stranded(exc)
        return 1
    except BrokerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2 if exc.action == NextAction.FIX_PROFILE else 1
    except (OSError, EOFError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _rotate(
    context: AppContext, profile: Profile, connector: Connector[Any], args: argparse.Namespace, terminal: Terminal
) -> None:
    vault = context.vault()
    if args.step == "status":
        _show(connector.rotation_status(profile, vault))
    elif args.step == "start":
        _show(asyncio.run(connector.rotation_start(profile, vault, terminal.warn, new_dh=args.new_dh)))
    elif args.step == "abort":
        _show(connector.rotation_abort(profile, vault))
    else:
        asked = connector.rotation_status(profile, vault).fields  # none when resuming a confirm that was cut off
        answers = {}
        for field in asked:
            prompt = f"{field.label} [{field.default}]: " if field.default else f"{field.label}: "
            answers[field.name] = terminal.ask(prompt, hidden=field.hidden)
        _show(asyncio.run(connector.rotation_confirm(profile, vault, answers, terminal.warn)))


def _show(status: RotationStatus) -> None:
    """A status as the terminal shows it: the step, how the last rotation ended, what to register, what next."""
    started = f" (started {_when(status.started_at)})" if status.started_at else ""
    cut = ", cut off" if status.interrupted else ""
    print(f"Profile {status.profile}: rotation {status.step.value}{cut}{started}.")
    if status.last_result:
        print(f"Last result: {status.last_result}")
    if status.register:
        print("\nRegister these with the broker:")
    for part in status.register:
        print(f"\n{part.label} (SHA-256 {part.fingerprint}):\n{part.text.rstrip()}")
    if status.register:
        print()
    print(f"Next: {status.next_step}")


def _stranded(error: RotationStranded) -> None:
    """Neither set works: its own headline (red in a terminal), why, and what fixes it."""
    headline = f"{error.headline}."
    if sys.stderr.isatty():
        headline = f"{_RED}{headline}{_PLAIN}"
    print(f"{headline}\nerror: {error.why}\nWhat to do: {error.remedy}", file=sys.stderr)


def _list_archives(profile: Profile, archived: tuple[ArchivedSet, ...]) -> None:
    if not archived:
        print(f"No archived credential sets for {profile.name}.")
        return
    for entry in archived:
        at = _when(entry.archived_at) if entry.archived_at else "unknown time"
        print(f"{entry.archive_id}  archived {at}\n    {entry.summary}")


def _when(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
