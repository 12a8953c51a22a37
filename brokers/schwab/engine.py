"""A Schwab profile in the OAuth engine's terms: Schwab publishes no discovery document, so its server and
client are stated here once, and the engine's sessions, stores and health work on them unchanged.
"""

from __future__ import annotations

from brokers.oauth2.discovery import ServerMetadata
from brokers.oauth2.profile import OAuth2Profile
from brokers.oauth2.registration import ClientRegistration
from brokers.schwab.profile import SchwabProfile

#: the cheap authenticated call that proves a token (and lists the accounts' hashes)
ACCOUNT_NUMBERS_PATH = "/trader/v1/accounts/accountNumbers"
ACCOUNTS_PATH = "/trader/v1/accounts"


def engine_profile(profile: SchwabProfile) -> OAuth2Profile:
    """The engine's view: Schwab's API host is the issuer, `accountNumbers` the resource its checks ask."""
    return OAuth2Profile(
        name=profile.name,
        label=profile.label,
        origin=profile.origin,
        issuer=profile.api,
        resource=profile.api + ACCOUNT_NUMBERS_PATH,
        client_id=profile.app_key,
        loopback_tls=True,
    )


def server_of(profile: SchwabProfile) -> ServerMetadata:
    """Schwab's endpoints; no PKCE is required there and the app authenticates with HTTP Basic."""
    return ServerMetadata(
        issuer=profile.api,
        authorization_endpoint=profile.api + "/v1/oauth/authorize",
        token_endpoint=profile.api + "/v1/oauth/token",
        token_auth_methods=("client_secret_basic",),
    )


def client_of(profile: SchwabProfile, app_secret: str) -> ClientRegistration:
    """The app as registered at developer.schwab.com: a confidential client with one exact callback."""
    return ClientRegistration(
        issuer=profile.api,
        client_id=profile.app_key,
        redirect_uris=(profile.callback,),
        auth_method="client_secret_basic",
        client_secret=app_secret,
        dynamic=False,
    )
