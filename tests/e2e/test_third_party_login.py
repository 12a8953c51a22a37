"""Brokerdeck against an OAuth server it did not write (oidc-provider), set up as a new user would.

Only a profile in profiles.toml and `brokerdeck login`: discovery, dynamic registration, PKCE, the
loopback callback in a real browser, the token exchange, then a silent refresh and a logout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from brokers.oauth2.profile import OAuth2Profile
from brokers.oauth2.session import OAuthSession
from brokers.oauth2.store import OAuthStore
from brokers.oauth2.transport import new_http_client
from brokers.registry import REGISTRY
from tests.browser import Browser
from tests.conftest import REPO_ROOT, run_async, run_cli
from tests.peers.oidc_provider import OidcProviderPeer

pytestmark = [pytest.mark.e2e, pytest.mark.secretservice]


def test_login_refresh_and_logout_against_oidc_provider(home, vault, oidc_provider: OidcProviderPeer, browser: Browser):
    home.config_dir.mkdir(parents=True)
    home.profiles_file.write_text(
        f"""\
[profiles.peer]
kind = "oauth2"
label = "Independent OAuth server"
issuer = "{oidc_provider.issuer}"
resource = "{oidc_provider.resource}"
scopes = ["api:read", "offline_access"]
"""
    )
    login = subprocess.Popen(
        [sys.executable, "-m", "app", "login", "peer", "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
        env=dict(os.environ),
    )
    assert login.stdout is not None
    url = login.stdout.readline().strip()
    assert url.startswith(oidc_provider.issuer)
    final = browser.approve_oidc_provider(url)
    assert "/callback/peer?" in final
    out, err = login.communicate(timeout=60)
    assert login.returncode == 0, err
    assert "Connected peer" in out

    status = json.loads(run_cli("status", "--json").stdout)
    peer = next(p for p in status["profiles"] if p["profile"] == "peer")
    assert peer["state"] == "ACTIVE"
    assert peer["expires_at"] is not None

    profile = REGISTRY.schema.load(home.profiles_file).get("peer")
    assert isinstance(profile, OAuth2Profile)
    before = OAuthStore(vault, "peer").record().tokens

    async def refresh_then_logout() -> tuple[str, str]:
        async with new_http_client() as http:
            session = OAuthSession(profile, OAuthStore(vault, "peer"), http)
            renewed = await session.refresh()
            return renewed.refresh_token, await session.logout()

    rotated, outcome = run_async(refresh_then_logout)
    assert rotated != before.refresh_token  # oidc-provider rotates refresh tokens
    assert "revoked" in outcome
    assert vault.kinds("peer") == []
