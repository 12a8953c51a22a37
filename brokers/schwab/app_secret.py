"""The Schwab app secret in the vault: typed once by the trader (`brokerdeck keys init`), or, for the sandbox
profile, fetched from the sandbox's control route the way the sandbox IBKR profile is provisioned.

Blocking (keyring, disk, HTTP): call from a worker thread.
"""

from __future__ import annotations

import httpx

from brokers.core.profiles import ProfileOrigin
from brokers.core.secrets import SecretStore
from brokers.schwab.profile import SchwabProfile

APP_SECRET_KIND = "schwab-app-secret"  # noqa: S105 - the vault entry's name, not a secret
#: the sandbox's control route that hands out its app's secret (no real Schwab host answers it)
SANDBOX_APP_PATH = "/sandbox/schwab/app"


def load_app_secret(vault: SecretStore, profile: SchwabProfile) -> str | None:
    raw = vault.get(profile.name, APP_SECRET_KIND)
    return raw.decode("utf-8") if raw else None


def store_app_secret(vault: SecretStore, profile: SchwabProfile, secret: str) -> None:
    vault.put(profile.name, APP_SECRET_KIND, secret.encode("utf-8"))


def provision_sandbox_secret(vault: SecretStore, profile: SchwabProfile) -> None:
    """For the sandbox's own profile: store its app's current secret when the vault lacks one or holds one the
    sandbox no longer accepts (an older sandbox's, or one replaced by a rotation whose grace period ended).
    A secret the sandbox still accepts is kept: it may be what a rotation just proved. A profile from
    profiles.toml is never touched."""
    if profile.origin != ProfileOrigin.SANDBOX:
        return
    response = httpx.get(profile.api + SANDBOX_APP_PATH, timeout=10)
    response.raise_for_status()
    app = response.json()
    accepted = [str(s) for s in app.get("app_secrets") or [app["app_secret"]]]
    if load_app_secret(vault, profile) not in accepted:
        store_app_secret(vault, profile, str(app["app_secret"]))
