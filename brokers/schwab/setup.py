"""`brokerdeck keys init` for a Schwab profile: the app secret, typed once (never echoed), into the vault.

When Schwab refused the stored secret on a renewal (the sign-in is kept but blocked, session.py), the secret
typed here is proven first by renewing that sign-in with it: accepted, the profile connects again without a
browser; refused, nothing is stored and the kept sign-in waits for the right secret.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import time

from brokers.core.connector import Dialogue
from brokers.core.secrets import SecretStore
from brokers.oauth2.errors import ClientRefused, LoginRequired, OAuthError
from brokers.oauth2.refresh_lock import refresh_lock
from brokers.oauth2.store import OAuthStore
from brokers.oauth2.tokens import TokenRecord, refresh_tokens
from brokers.oauth2.transport import new_http_client
from brokers.schwab.app_secret import load_app_secret, store_app_secret
from brokers.schwab.engine import client_of
from brokers.schwab.profile import SchwabProfile

SECRET_SHAPE = re.compile(r"[A-Za-z0-9._~+/=-]{8,256}")


class SecretRefused(OAuthError):
    """What was typed cannot be an app secret."""


async def store_secret_from(dialogue: Dialogue, profile: SchwabProfile, vault: SecretStore, *, replace: bool) -> str:
    """Ask for the app secret and store it; a stored one is kept unless `replace`."""
    stored = await asyncio.to_thread(load_app_secret, vault, profile)
    if stored and not replace:
        return (
            f"The vault already holds the app secret of {profile.name}; "
            f"run `brokerdeck keys init {profile.name} --new-keys` to enter a new one."
        )
    dialogue.say(
        f"Open your app at developer.schwab.com (App Key {profile.app_key}) and copy its App Secret. "
        f"Its Callback URL must be exactly {profile.callback}"
    )
    secret = dialogue.ask(f"App Secret for {profile.name}: ", hidden=True).strip()
    if not SECRET_SHAPE.fullmatch(secret):
        raise SecretRefused(
            "that does not look like a Schwab App Secret (8 or more letters and digits, no spaces)",
            f"run `brokerdeck keys init {profile.name}` again and paste the App Secret",
        )
    store = OAuthStore(vault, profile.name)
    record = await asyncio.to_thread(store.record)
    if record is not None and record.client_refused and record.tokens is not None:
        dialogue.warn("Renewing the kept Schwab sign-in with this app secret…")
        return await _prove_blocked(store, profile, secret)
    await asyncio.to_thread(_store, vault, profile, secret)
    return (
        f"The app secret of {profile.name} is stored in the vault. "
        f"Press Connect, or run `brokerdeck login {profile.name}`."
    )


async def _prove_blocked(store: OAuthStore, profile: SchwabProfile, secret: str) -> str:
    """Renew the sign-in a refused secret blocked with `secret`, under the refresh lock (a window may wait on it);
    store the secret with the renewed tokens only when Schwab accepts it."""
    async with new_http_client() as http, refresh_lock(store.refresh_lock_path()):
        record = await asyncio.to_thread(store.record)
        if record is None or record.tokens is None or not record.client_refused:
            await asyncio.to_thread(_store, store.vault, profile, secret)  # it changed meanwhile: a plain store
            return f"The app secret of {profile.name} is stored in the vault."
        client = client_of(profile, secret)
        try:
            renewed = await refresh_tokens(http, record.server, client, record.tokens, time.time())
        except ClientRefused as exc:
            raise SecretRefused(
                f"Schwab refused this app secret too ({exc.reply or exc.what}); nothing was stored and the kept "
                "sign-in still waits for the right one",
                f"copy the App Secret of app {profile.app_key} exactly as developer.schwab.com shows it and run "
                f"`brokerdeck keys init {profile.name} --new-keys` again",
            ) from exc
        except LoginRequired as exc:  # the secret authenticated, but the refresh token itself has ended
            dead = TokenRecord(record.server, client, tokens=None, login_required=exc.what)
            await asyncio.to_thread(_store_with, store, profile, secret, dead)
            return (
                f"The app secret of {profile.name} is stored, but the kept sign-in has ended ({exc.what}). "
                f"Press Reconnect, or run `brokerdeck login {profile.name}`."
            )
        renewed_record = TokenRecord(record.server, client, tokens=renewed)
        await asyncio.to_thread(_store_with, store, profile, secret, renewed_record)
    return (
        f"Schwab accepted the app secret of {profile.name}: it is stored in the vault and renewed the kept "
        "sign-in, so the profile connects again without a new sign-in."
    )


def _store_with(store: OAuthStore, profile: SchwabProfile, secret: str, record: TokenRecord) -> None:
    """Blocking: the proven secret with what its renewal gave (the tokens first: they are what is hard to get)."""
    store.save_record(record)
    store_app_secret(store.vault, profile, secret)


def _store(vault: SecretStore, profile: SchwabProfile, secret: str) -> None:
    """Blocking: keep the secret, and renew a stored sign-in with it (its refreshes authenticate the app)."""
    store_app_secret(vault, profile, secret)
    tokens = OAuthStore(vault, profile.name)
    record = tokens.record()
    if record is not None and record.client.client_secret != secret:
        tokens.save_record(dataclasses.replace(record, client=client_of(profile, secret)))
