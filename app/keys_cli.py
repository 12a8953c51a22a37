"""`brokerdeck keys init PROFILE`: IBKR key setup (OAuth 1.0a self-service or OAuth 2.0) from a terminal.

`keys rotate|archive|restore` are the rotation commands (`rotation_cli.py`)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from app import rotation_cli
from app.missing_profile import profile_that
from app.terminal import Terminal

if TYPE_CHECKING:
    from app.context import AppContext


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    init = actions.add_parser(
        "init",
        help="create IBKR self-service keys, print what to register, then store and prove the portal's tokens",
        description="Create (or reuse) the signature and encryption keys and DH parameters of an IBKR profile, "
        "print their public halves for IBKR's self-service portal, then read the consumer key, access token "
        "and access token secret (from the terminal, or one per line on standard input) and prove them by "
        "minting a live session token. Nothing is stored unless that works. For an IBKR OAuth 2.0 profile: "
        "create (or reuse) a 3072-bit key, print the public key to send IBKR, then prove the profile's client "
        "id and key id by getting an access token. For a Schwab profile: read the app secret (hidden, or one "
        "line on standard input) and store it in the vault.",
    )
    init.add_argument(
        "profile", help="a profile with keys to set up (ibkr-oauth1a, ibkr-oauth2, schwab) from profiles.toml"
    )
    init.add_argument("--dhparam", type=Path, help="use this dhparam.pem instead of generating DH parameters")
    init.add_argument("--new-keys", action="store_true", help="replace keys (or a Schwab app secret) already stored")
    rotation_cli.add_arguments(actions.add_parser)


def run(context: AppContext, args: argparse.Namespace) -> int:
    if args.keys_command in rotation_cli.COMMANDS:
        return rotation_cli.run(context, args)
    # Crypto and HTTP load only when keys are set up, not for every `brokerdeck` start.
    from brokers.core.actions import NextAction
    from brokers.core.errors import BrokerError

    found = profile_that(context, args.profile, lambda c: c.sets_up_keys, lambda kinds: f"is not an {kinds} profile")
    if found is None:
        return 2
    profile, connector = found
    try:
        dhparam = args.dhparam.read_bytes() if args.dhparam else None
        setup = connector.setup_keys(profile, context.vault(), Terminal(), dhparam_pem=dhparam, replace=args.new_keys)
        print(asyncio.run(setup))
    except BrokerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2 if exc.action == NextAction.FIX_PROFILE else 1
    except (OSError, EOFError) as exc:
        print(f"error: {_message(exc)}", file=sys.stderr)
        return 1
    return 0


def _message(exc: BaseException) -> str:
    if isinstance(exc, FileNotFoundError):
        return f"cannot read {exc.filename}: no such file"
    return str(exc)
