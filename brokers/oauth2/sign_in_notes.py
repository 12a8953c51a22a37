"""What the scheduled credential check notes about an OAuth profile: how long its sign-in lasts without a
browser (a refresh horizon the server announced, such as Schwab's 7 days), and when the loopback listener's
certificate ends, where the profile serves its redirect over https. Blocking (keyring, disk).
"""

from __future__ import annotations

from collections.abc import Sequence

from brokers.core.actions import NextAction
from brokers.core.credential_notes import CredentialNote, Due
from brokers.core.secrets import BlobCheck, SecretStore
from brokers.oauth2.health import horizon_warning_from, sign_in_hint
from brokers.oauth2.profile import OAuth2Profile
from brokers.oauth2.session import SessionFacts
from brokers.oauth2.store import TLS_KIND, OAuthStore
from brokers.oauth2.tls import certificate_expires_at

CERTIFICATE = "loopback TLS certificate"


def sign_in_notes(
    profile: OAuth2Profile, facts: SessionFacts, vault: SecretStore, checks: Sequence[BlobCheck]
) -> tuple[CredentialNote, ...]:
    """The notes for `profile` (in the engine's terms) whose stored sign-in `facts` describe."""
    horizon = _horizon(profile, facts)
    certificate = _certificate(profile, vault, checks) if profile.loopback_tls else None
    return tuple(note for note in (horizon, certificate) if note is not None)


def _horizon(profile: OAuth2Profile, facts: SessionFacts) -> CredentialNote | None:
    """The refresh token's horizon, counted from the browser sign-in (refreshes do not move it)."""
    if not facts.connected or facts.login_required or not facts.has_refresh_token or facts.refresh_expires_at is None:
        return None
    return CredentialNote(
        "refresh token",
        Due.SIGN_IN,
        written_at=facts.authorized_at,
        due_at=facts.refresh_expires_at,
        warn_from=horizon_warning_from(facts),
        action=NextAction.RECONNECT,
        hint=sign_in_hint(profile, NextAction.RECONNECT),
    )


def _certificate(profile: OAuth2Profile, vault: SecretStore, checks: Sequence[BlobCheck]) -> CredentialNote | None:
    """The listener's certificate; the next sign-in replaces one that is about to end (`tls.needs_renewal`)."""
    bundle = OAuthStore(vault, profile.name).tls_material()
    if bundle is None:
        return None  # made at the first sign-in
    try:
        expires_at = certificate_expires_at(bundle)
    except ValueError:
        return None  # unreadable: the next sign-in replaces it
    written_at = next((check.written_at for check in checks if check.kind == TLS_KIND), None)
    return CredentialNote(
        CERTIFICATE,
        Due.EXPIRY,
        written_at=written_at,
        due_at=expires_at,
        hint="Brokerdeck makes a new one at the next sign-in; the browser warns about it once more.",
    )
