"""`brokerdeck login PROFILE` and `brokerdeck logout PROFILE`: the browser sign-in from a terminal."""

from __future__ import annotations

import argparse
import asyncio
import sys
import webbrowser
from typing import TYPE_CHECKING

from brokers.core.profiles import OAuth2Profile

if TYPE_CHECKING:
    from app.context import AppContext
    from brokers.oauth2.login import LoginFlow
    from brokers.oauth2.tokens import TokenSet


def add_login_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("profile", help="an oauth2 profile from profiles.toml (or the sandbox's)")
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


def add_logout_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("profile", help="an oauth2 profile")


def run_login(context: AppContext, args: argparse.Namespace) -> int:
    profile = _oauth_profile(context, args.profile)
    if profile is None:
        return 2
    from brokers.oauth2.errors import OAuthError  # HTTP and the vault load only for this command
    from brokers.vault import VaultError

    try:
        return asyncio.run(_login(context, profile, manual=args.manual, open_browser=not args.no_browser))
    except KeyboardInterrupt:
        print("\nbrokerdeck login: cancelled; nothing was stored", file=sys.stderr)
        return 130
    except (OAuthError, VaultError) as exc:
        print(f"brokerdeck login: {exc}", file=sys.stderr)
        return 1


def run_logout(context: AppContext, args: argparse.Namespace) -> int:
    profile = _oauth_profile(context, args.profile)
    if profile is None:
        return 2
    from brokers.oauth2.session import OAuthSession
    from brokers.oauth2.store import OAuthStore
    from brokers.oauth2.transport import new_http_client
    from brokers.vault import VaultError

    async def logout() -> str:
        async with new_http_client() as http:
            return await OAuthSession(profile, OAuthStore(context.vault(), profile.name), http).logout()

    try:
        outcome = asyncio.run(logout())
    except VaultError as exc:
        print(f"brokerdeck logout: {exc}", file=sys.stderr)
        return 1
    print(f"Disconnected {profile.name}: {outcome}.")
    return 0


async def _login(context: AppContext, profile: OAuth2Profile, *, manual: bool, open_browser: bool) -> int:
    from brokers.core.timefmt import local_time
    from brokers.oauth2.login import LoginFlow
    from brokers.oauth2.store import OAuthStore
    from brokers.oauth2.transport import new_http_client

    store = OAuthStore(context.vault(), profile.name)
    async with new_http_client() as http:
        flow = LoginFlow(profile, store, http, listen=not manual)
        started = await flow.start()
        _say(f"Sign in to {profile.display_name}: open this address in a browser and approve Brokerdeck:")
        print(started.url, flush=True)
        if open_browser and not webbrowser.open(started.url):
            _say("(no browser could be opened here; open the address above yourself)")
        if manual:
            _say(f"Then copy the address the browser was sent to (it starts with {started.redirect_uri}) and paste it:")
            tokens = await _finish_with_paste(flow)
        else:
            _say(f"Waiting for the browser to return to {started.redirect_uri} (Ctrl+C cancels)…")
            try:
                tokens = await flow.finish()
            except asyncio.CancelledError:
                flow.cancel()
                raise
    expiry = f"valid until {local_time(tokens.expires_at)}" if tokens.expires_at else "with no announced expiry"
    renewal = "; renewed silently from now on" if tokens.refresh_token else "; no refresh token was issued"
    print(f"Connected {profile.name}: access token {expiry}{renewal}.")
    return 0


async def _finish_with_paste(flow: LoginFlow) -> TokenSet:
    """Read pasted addresses from standard input until one is accepted or the login ends."""
    from brokers.oauth2.errors import OAuthError

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
            except OAuthError as exc:
                _say(f"That address cannot be used: {exc}")
                if not finish.done():
                    _say("Paste the redirected address again:")
        return await finish
    finally:
        loop.remove_reader(sys.stdin.fileno())


def _oauth_profile(context: AppContext, name: str) -> OAuth2Profile | None:
    profiles = context.profiles(context.sandbox())
    profile = profiles.get(name)
    if isinstance(profile, OAuth2Profile):
        return profile
    if profile is None:
        known = ", ".join(p.name for p in profiles.profiles if isinstance(p, OAuth2Profile)) or "none"
        problems = " (profiles.toml has errors: run `brokerdeck status`)" if profiles.errors else ""
        print(f"brokerdeck: no profile named {name!r}{problems}; oauth2 profiles: {known}", file=sys.stderr)
    else:
        print(
            f"brokerdeck: {name!r} is a {profile.kind} profile; `login` signs in oauth2 profiles "
            "(IBKR profiles use `brokerdeck keys init`)",
            file=sys.stderr,
        )
    return None


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
