"""The `schwab` connector: Charles Schwab's Trader API on the generic OAuth engine.

Schwab differs from a discoverable OAuth server in what this package states: fixed endpoints, a
confidential app (key in the profile, secret in the vault from `brokerdeck keys init`), an exact https
callback on 127.0.0.1, and a refresh token that ends 7 days after the sign-in. Health, renewal, sign-out
and the connection panel's actions are the engine's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from brokers.core.actions import ActionOffer, ActionRoute, NextAction
from brokers.core.connector import Connector, ConnectorSession, Dialogue, SessionEnv
from brokers.core.health import CredentialHealth, HealthAt
from brokers.core.profiles import ProfileOrigin
from brokers.core.rotation_policy import rotation_offer
from brokers.oauth2.connector import OAuth2Connector
from brokers.schwab.app_secret import APP_SECRET_KIND
from brokers.schwab.profile import SchwabProfile

if TYPE_CHECKING:
    from brokers.core.credential_notes import CredentialNote
    from brokers.core.rotation import ArchivedSet, Progress, RotationStatus
    from brokers.core.secrets import BlobCheck, SecretStore
    from brokers.oauth2.profile import OAuth2Profile
    from brokers.schwab.rotation import SchwabRotation
    from brokers.schwab.sign_in import SchwabSignIn

_ENGINE = OAuth2Connector()


class SchwabConnector(Connector[SchwabProfile]):
    profile_class = SchwabProfile
    title = "Charles Schwab Trader API (OAuth 2.0)"
    signs_in = True
    sets_up_keys = True
    rotates = True  # the app secret (brokers/schwab/rotation.py)

    def required_secrets(self, profile: SchwabProfile) -> frozenset[str]:
        # The sandbox's profile gets its secret at sign-in from the sandbox itself.
        return frozenset() if profile.origin == ProfileOrigin.SANDBOX else frozenset({APP_SECRET_KIND})

    def setup_hint(self, profile: SchwabProfile) -> str:
        if APP_SECRET_KIND in self.required_secrets(profile):
            return f"Run `brokerdeck keys init {profile.name}` once to store the app secret from developer.schwab.com."
        return _ENGINE.setup_hint(_engine(profile))

    def stored_health(self, profile: SchwabProfile, vault: SecretStore, checks: Sequence[BlobCheck]) -> HealthAt:
        from brokers.oauth2.connector import stored_sign_in
        from brokers.oauth2.health import oauth2_health

        facts = stored_sign_in(vault, _engine(profile))
        return lambda now: oauth2_health(profile, facts, now, live=False)

    def credential_checks(
        self, profile: SchwabProfile, vault: SecretStore, checks: Sequence[BlobCheck]
    ) -> tuple[CredentialNote, ...]:
        """The sign-in's 7-day horizon and the https listener's certificate. The app secret has no rotation policy:
        no lifetime is known for it, so it is replaced when the trader decides, not on a schedule."""
        from brokers.oauth2.connector import stored_sign_in
        from brokers.oauth2.sign_in_notes import sign_in_notes

        engine = _engine(profile)
        return sign_in_notes(engine, stored_sign_in(vault, engine), vault, checks)

    def published_health(self, profile: SchwabProfile, facts: Mapping[str, Any]) -> HealthAt | None:
        from brokers.oauth2.health import oauth2_health
        from brokers.oauth2.session import SessionFacts

        published = SessionFacts.from_json(facts)
        if published is None:
            return None
        return lambda now: oauth2_health(profile, published, now, live=True)

    def offers(self, profile: SchwabProfile, health: CredentialHealth) -> tuple[ActionOffer, ...]:
        if health.next_action == NextAction.SETUP_KEYS:
            command = f"brokerdeck keys init {profile.name}"
            copy = ActionOffer(
                NextAction.SETUP_KEYS,
                "Copy setup command",
                ActionRoute.COMMAND,
                tooltip=f"Copies `{command}`: run it in a terminal to store the app secret",
                command=command,
            )
            return (copy,)
        if health.next_action == NextAction.ROTATE_KEYS:  # the app secret was refused: a new one proves
            return (rotation_offer(profile.name), *_ENGINE.offers(_engine(profile), health))
        return _ENGINE.offers(_engine(profile), health)

    def open_session(self, profile: SchwabProfile, env: SessionEnv) -> ConnectorSession:
        from brokers.schwab.session import SchwabLiveSession

        return SchwabLiveSession(profile, env)

    def sign_in(self, profile: SchwabProfile, vault: SecretStore, *, listen: bool = True) -> SchwabSignIn:
        from brokers.schwab.sign_in import SchwabSignIn

        return SchwabSignIn(profile, vault, listen=listen)

    async def sign_out(self, profile: SchwabProfile, vault: SecretStore) -> str:
        return await _ENGINE.sign_out(_engine(profile), vault)

    async def setup_keys(
        self,
        profile: SchwabProfile,
        vault: SecretStore,
        dialogue: Dialogue,
        *,
        dhparam_pem: bytes | None,
        replace: bool,
    ) -> str:
        from brokers.schwab.setup import store_secret_from

        return await store_secret_from(dialogue, profile, vault, replace=replace)

    def rotation_status(self, profile: SchwabProfile, vault: SecretStore) -> RotationStatus:
        return _rotation(profile, vault).status()

    async def rotation_start(
        self, profile: SchwabProfile, vault: SecretStore, progress: Progress, *, new_dh: bool
    ) -> RotationStatus:
        return await _rotation(profile, vault).start(progress)

    async def rotation_confirm(
        self, profile: SchwabProfile, vault: SecretStore, answers: dict[str, str], progress: Progress
    ) -> RotationStatus:
        return await _rotation(profile, vault).confirm(answers, progress)

    def rotation_abort(self, profile: SchwabProfile, vault: SecretStore) -> RotationStatus:
        return _rotation(profile, vault).abort()

    def archived_sets(self, profile: SchwabProfile, vault: SecretStore) -> tuple[ArchivedSet, ...]:
        return _rotation(profile, vault).archived()

    async def restore_archived(
        self, profile: SchwabProfile, vault: SecretStore, archive_id: str, progress: Progress
    ) -> str:
        return await _rotation(profile, vault).restore(archive_id, progress)


def _rotation(profile: SchwabProfile, vault: SecretStore) -> SchwabRotation:
    from brokers.schwab.rotation import SchwabRotation

    return SchwabRotation(profile, vault)


def _engine(profile: SchwabProfile) -> OAuth2Profile:
    from brokers.schwab.engine import engine_profile

    return engine_profile(profile)
