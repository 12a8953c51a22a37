"""`brokerdeck login PROFILE` and `brokerdeck logout PROFILE`: the browser sign-in from a terminal.

Which kinds sign in, and how, is each connector's business: a kind whose connector has no browser sign-in
is refused with what its connector says to do instead. A profile that a running window has connected is
signed in again only when the trader confirms it (or passes --force): the new tokens replace the stored ones.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import webbrowser
from typing import TYPE_CHECKING, Any

from app.missing_profile import explain_missing

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from app.context import AppContext
    from brokers.core.connector import Connector, SignedIn, SignInFlow
    from brokers.core.health import CredentialHealth
    from brokers.core.profiles import Profile
    from brokers.core.registry import Registry
    from brokers.core.secrets import SecretStore

    #: what `login` or `logout` does once the profile, its connector and the vault are at hand
    type SigningWork = Callable[[Profile, Connector[Any], SecretStore], Coroutine[Any, Any, int]]


def kinds_epilog(registry: Registry) -> str:
    """Which kinds `login` signs in, and which it refuses (they connect another way)."""
    signs_in = [c.kind for c in registry.connectors if c.signs_in]
    refused = [c.kind for c in registry.connectors if not c.signs_in]
    return (
        f"Signs in profiles of the kinds: {', '.join(signs_in) or 'none'}. "
        f"Refuses the kinds that connect another way: {', '.join(refused) or 'none'}."
    )


def add_login_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("profile", help="a profile from profiles.toml (or the sandbox's) that signs in in a browser")
    parser.add_argument(
        "--manual",
        action="store_true",
        help="for a browser that cannot reach this machine's 127.0.0.1: paste the address it was sent to",
    )
    parser.add_argument(
        "--no-browser",
        action="store_true",
        help="do not open a browser; print the address to open and wait for the sign-in to return here",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="sign in even when a running Brokerdeck window has the profile connected (its tokens are replaced)",
    )


def add_logout_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("profile", help="a profile that signed in with `brokerdeck login`")


def run_login(context: AppContext, args: argparse.Namespace) -> int:
    async def login(profile: Profile, connector: Connector[Any], vault: SecretStore) -> int:
        flow = connector.sign_in(profile, vault, listen=not args.manual)
        return await _login(profile, flow, manual=args.manual, open_browser=not args.no_browser)

    def confirmed(profile: Profile) -> bool:
        return args.force or _confirm_beside_the_window(context, profile)

    return _run(context, args.profile, "login", login, confirmed)


def run_logout(context: AppContext, args: argparse.Namespace) -> int:
    async def logout(profile: Profile, connector: Connector[Any], vault: SecretStore) -> int:
        outcome = await connector.sign_out(profile, vault)
        print(f"Disconnected {profile.name}: {outcome}.")
        return 0

    return _run(context, args.profile, "logout", logout)


def _run(
    context: AppContext,
    name: str,
    command: str,
    work: SigningWork,
    confirmed: Callable[[Profile], bool] = lambda _profile: True,
) -> int:
    """`work` for the profile `name` when its connector signs in and the trader agrees; the exit code."""
    found = _signing_in(context, name, command)
    if found is None:
        return 2
    from brokers.core.errors import BrokerError  # HTTP and the vault load only for these commands

    profile, connector = found
    if not confirmed(profile):
        return 1
    try:
        return asyncio.run(work(profile, connector, context.vault()))
    except KeyboardInterrupt:
        print(f"\nbrokerdeck {command}: cancelled; nothing was stored", file=sys.stderr)
        return 130
    except BrokerError as exc:
        print(f"brokerdeck {command}: {exc}", file=sys.stderr)
        return 1


async def _login(profile: Profile, flow: SignInFlow, *, manual: bool, open_browser: bool) -> int:
    from brokers.core.timefmt import local_time

    started = await flow.start()
    if started.notice:
        _say(started.notice)
    _say(f"Sign in to {profile.display_name}: open this address in a browser and approve Brokerdeck:")
    print(started.url, flush=True)
    if open_browser and not webbrowser.open(started.url):
        _say("(no browser could be opened here; open the address above yourself)")
    if manual:
        _say(f"Then copy the address the browser was sent to (it starts with {started.redirect_uri}) and paste it:")
        signed = await _finish_with_paste(flow)
    else:
        _say(f"Waiting for the browser to return to {started.redirect_uri} (Ctrl+C cancels)…")
        try:
            signed = await flow.finish()
        except asyncio.CancelledError:
            flow.cancel()
            raise
    expiry = f"valid until {local_time(signed.expires_at)}" if signed.expires_at else "with no announced expiry"
    renewal = "; renewed silently from now on" if signed.renews else "; no refresh token was issued"
    print(f"Connected {profile.name}: access token {expiry}{renewal}.")
    return 0


async def _finish_with_paste(flow: SignInFlow) -> SignedIn:
    """Read pasted addresses from standard input until one is accepted or the sign-in ends."""
    from brokers.core.errors import BrokerError

    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str] = asyncio.Queue()

    def readable() -> None:
        line = sys.stdin.readline()
        lines.put_nowait(line)
        if not line:
            loop.remove_reader(sys.stdin.fileno())

    loop.add_reader(sys.stdin.fileno(), readable)
    finish = asyncio.ensure_future(flow.finish())
    try:
        while not finish.done():
            reader = asyncio.ensure_future(lines.get())
            await asyncio.wait({reader, finish}, return_when=asyncio.FIRST_COMPLETED)
            if not reader.done():
                reader.cancel()
                break
            line = reader.result()
            if not line:
                flow.cancel()
                break
            if not line.strip():
                continue
            try:
                flow.submit_pasted(line)
            except BrokerError as exc:
                _say(f"That address cannot be used: {exc}")
                if not finish.done():
                    _say("Paste the redirected address again:")
        return await finish
    finally:
        loop.remove_reader(sys.stdin.fileno())


def _confirm_beside_the_window(context: AppContext, profile: Profile) -> bool:
    """True unless a running window has `profile` connected and the trader does not confirm a second sign-in.

    Asks on a terminal; anywhere else (a script, a pipe) it refuses and says how to insist.
    """
    health = _connected_in_window(context, profile)
    if health is None:
        return True
    _say(
        f"The Brokerdeck window that is running has {profile.name} connected ({health.reason.rstrip('.')}). "
        "Signing in here as well replaces the tokens stored for it."
    )
    if not sys.stdin.isatty():
        print(
            f"brokerdeck login: {profile.name} was not signed in again; run `brokerdeck login {profile.name} --force` "
            "to do it anyway",
            file=sys.stderr,
        )
        return False
    print("Sign in again anyway? [y/N] ", end="", file=sys.stderr, flush=True)
    if sys.stdin.readline().strip().lower() in ("y", "yes"):
        return True
    _say(f"{profile.name} was not signed in again; the window keeps it connected.")
    return False


def _connected_in_window(context: AppContext, profile: Profile) -> CredentialHealth | None:
    """The health a running window publishes for `profile`, when it says the profile is connected and well."""
    from brokers.core.health import Severity
    from brokers.core.profiles import ProfileSet

    health_at = context.published_sessions(ProfileSet(profiles=(profile,))).get(profile.name)
    if health_at is None:
        return None
    health = health_at(time.time())
    return health if health.severity == Severity.OK else None


def _signing_in(context: AppContext, name: str, command: str) -> tuple[Profile, Connector[Any]] | None:
    """The profile `name` and its connector, when that connector signs in; else says why not, on stderr."""
    sandbox = context.sandbox()
    profiles = context.profiles(sandbox)
    profile = profiles.get(name)
    registry = context.registry
    if profile is None and (why := explain_missing(name, profiles, sandbox)):
        print(f"brokerdeck: {why}", file=sys.stderr)
        return None
    if profile is None:
        signing = [p.name for p in profiles.profiles if registry.of(p).signs_in]
        problems = " (profiles.toml has errors: run `brokerdeck status`)" if profiles.errors else ""
        known = ", ".join(signing) or "none"
        print(f"brokerdeck: no profile named {name!r}{problems}; profiles that sign in: {known}", file=sys.stderr)
        return None
    connector = registry.of(profile)
    if not connector.signs_in:
        print(
            f"brokerdeck: {name!r} is a {profile.kind} profile ({connector.title}), which does not sign in "
            f"through `{command}`: "
            f"{connector.setup_hint(profile)} {kinds_epilog(registry)}",
            file=sys.stderr,
        )
        return None
    return profile, connector


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
