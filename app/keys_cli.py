"""`brokerdeck keys init PROFILE`: IBKR self-service key setup from a terminal."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from brokers.core.profiles import IbkrProfile

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
        "minting a live session token. Nothing is stored unless that works.",
    )
    init.add_argument("profile", help="an ibkr-oauth1a profile from profiles.toml")
    init.add_argument("--dhparam", type=Path, help="use this dhparam.pem instead of generating DH parameters")
    init.add_argument("--new-keys", action="store_true", help="replace keys already registered with IBKR")


def run(context: AppContext, args: argparse.Namespace) -> int:
    # Crypto and HTTP load only when keys are set up, not for every `brokerdeck` start.
    from brokers.ibkr.errors import IbkrError
    from brokers.ibkr.keys import KeyMaterialError, parse_consumer_key
    from brokers.ibkr.oauth1a import OAuth1aInputError
    from brokers.ibkr.setup import ensure_key_material, portal_instructions, prove_and_store
    from brokers.vault import VaultError

    profile = context.profiles(context.sandbox()).get(args.profile)
    if not isinstance(profile, IbkrProfile):
        what = "is not an ibkr-oauth1a profile" if profile else "is not in profiles.toml"
        print(f"error: profile '{args.profile}' {what} ({context.paths.profiles_file}).", file=sys.stderr)
        return 2
    try:
        dhparam = args.dhparam.read_bytes() if args.dhparam else None
        vault = context.vault()
        if dhparam is None and not args.new_keys and vault.kinds(profile.name) == []:
            print("Generating 2048-bit DH parameters: this can take a few minutes…", file=sys.stderr)
        setup = ensure_key_material(vault, profile, dhparam_pem=dhparam, replace=args.new_keys)
        print(("Created new keys." if setup.created else "Using the keys already stored for this profile.") + "\n")
        print(portal_instructions(profile, setup.keys) + "\n")
        answers = _Answers()
        typed = answers.ask(f"Consumer key [{profile.consumer_key}]: ")
        consumer_key = parse_consumer_key(typed or profile.consumer_key)
        if consumer_key != profile.consumer_key:
            print(
                f"error: the profile says consumer_key = {profile.consumer_key!r}; set it to {consumer_key!r} "
                f"in {context.paths.profiles_file} first, then run this again.",
                file=sys.stderr,
            )
            return 2
        access_token = answers.ask("Access token: ")
        secret = answers.ask("Access token secret: ", hidden=True)
        snapshot = asyncio.run(prove_and_store(vault, profile, setup.keys, access_token, secret))
    except (KeyMaterialError, OAuth1aInputError, VaultError, IbkrError, OSError, EOFError) as exc:
        print(f"error: {_message(exc)}", file=sys.stderr)
        return 1
    expires = datetime.fromtimestamp(snapshot.lst_expires_at or 0).strftime("%Y-%m-%d %H:%M:%S")
    print(f"A live session token was minted and validated (valid until {expires}). Credentials stored.")
    return 0


class _Answers:
    """Prompts on a terminal; reads one line per answer from standard input otherwise."""

    def ask(self, prompt: str, *, hidden: bool = False) -> str:
        if sys.stdin.isatty():
            return (getpass.getpass(prompt) if hidden else input(prompt)).strip()
        print(prompt.rstrip(), flush=True)  # a script driving us waits for the prompt line
        line = sys.stdin.readline()
        if not line:
            raise EOFError(f"standard input ended before the answer to {prompt.strip()!r}")
        return line.strip()


def _message(exc: BaseException) -> str:
    if isinstance(exc, FileNotFoundError):
        return f"cannot read {exc.filename}: no such file"
    return str(exc)
