"""The `ibkr-oauth2` connector: IBKR's OAuth 2.0 for firms, on the same session, stream and orders as OAuth 1.0a.

Only how the credentials load (a private key in the vault, identifiers in the profile), how a sandbox
profile is set up and what `keys init` does differ from the OAuth 1.0a connector.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from brokers.core.connector import ConnectorSession, Dialogue, NotOffered, SessionEnv
from brokers.ibkr import vault_entries
from brokers.ibkr.connector import IbkrConnectorBase, IbkrLiveSession
from brokers.ibkr.oauth2_profile import IbkrOAuth2Profile

if TYPE_CHECKING:
    from brokers.core.secrets import SecretStore
    from brokers.ibkr.auth import IbkrAuth


class IbkrOAuth2Connector(IbkrConnectorBase[IbkrOAuth2Profile]):
    profile_class = IbkrOAuth2Profile
    title = "Interactive Brokers (Client Portal Web API, OAuth 2.0 for firms)"
    aged_entries = vault_entries.OAUTH2_AGED

    def required_secrets(self, profile: IbkrOAuth2Profile) -> frozenset[str]:
        return vault_entries.OAUTH2_REQUIRED

    def open_session(self, profile: IbkrOAuth2Profile, env: SessionEnv) -> ConnectorSession:
        return IbkrLiveSession(
            profile,
            env,
            load=lambda vault: _load_auth(vault, profile),
            provision=lambda vault, service_url: _provision_sandbox(vault, profile, service_url),
        )

    async def setup_keys(
        self,
        profile: IbkrOAuth2Profile,
        vault: SecretStore,
        dialogue: Dialogue,
        *,
        dhparam_pem: bytes | None,
        replace: bool,
    ) -> str:
        from brokers.ibkr.oauth2_setup import keys_init_oauth2

        if dhparam_pem is not None:
            raise NotOffered(
                f"{profile.name} is an ibkr-oauth2 profile: IBKR's OAuth 2.0 uses no DH parameters; run the "
                "command again without --dhparam."
            )
        return await keys_init_oauth2(vault, profile, dialogue, replace=replace)


def _load_auth(vault: SecretStore, profile: IbkrOAuth2Profile) -> IbkrAuth | None:
    from brokers.ibkr.oauth2_auth import OAuth2Auth
    from brokers.ibkr.oauth2_credentials import load_oauth2_credentials

    credentials = load_oauth2_credentials(vault, profile)
    return None if credentials is None else OAuth2Auth(credentials)


def _provision_sandbox(vault: SecretStore, profile: IbkrOAuth2Profile, service_url: str) -> None:
    from brokers.ibkr.oauth2_sandbox_setup import provision_sandbox_ibkr_oauth2

    provision_sandbox_ibkr_oauth2(vault, profile, service_url)
