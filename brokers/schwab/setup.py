"""`brokerdeck keys init` for a Schwab profile: the app secret, typed once (never echoed), into the vault."""

from __future__ import annotations

import asyncio
import dataclasses
import re

from brokers.core.connector import Dialogue
from brokers.core.secrets import SecretStore
from brokers.oauth2.errors import OAuthError
from brokers.oauth2.store import OAuthStore
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
    await asyncio.to_thread(_store, vault, profile, secret)
    return (
        f"The app secret of {profile.name} is stored in the vault. "
        f"Press Connect, or run `brokerdeck login {profile.name}`."
    )


def _store(vault: SecretStore, profile: SchwabProfile, secret: str) -> None:
    """Blocking: keep the secret, and renew a stored sign-in with it (its refreshes authenticate the app)."""
    store_app_secret(vault, profile, secret)
    tokens = OAuthStore(vault, profile.name)
    record = tokens.record()
    if record is not None and record.client.client_secret != secret:
        tokens.save_record(dataclasses.replace(record, client=client_of(profile, secret)))
