"""Schwab's browser sign-in end to end: the https return, the app secret, and what is refused before the browser."""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import pytest

from brokers.core.actions import NextAction
from brokers.core.health import ConnectionState, CredentialHealth
from brokers.oauth2.errors import LoginRequired
from brokers.oauth2.store import OAuthStore
from brokers.schwab.app_secret import APP_SECRET_KIND
from brokers.schwab.profile import SchwabProfile
from brokers.schwab.sign_in import CallbackUnusable
from tests.brokers.schwab.flows import CONNECTOR, sign_in, with_engine_session
from tests.conftest import REPO_ROOT, run_async

pytestmark = pytest.mark.secretservice

DAY = 86400.0


def test_sign_in_returns_over_https_to_the_exact_callback_and_stores_a_seven_day_horizon(schwab, vault):
    started, signed = run_async(lambda: sign_in(schwab.profile, vault))

    assert started.redirect_uri == schwab.profile.callback
    query = parse_qs(urlsplit(started.url).query)
    assert query["client_id"] == [schwab.profile.app_key]
    assert query["redirect_uri"] == [schwab.profile.callback]
    assert "not private" in started.notice
    assert "127.0.0.1" in started.notice
    assert signed.renews
    record = OAuthStore(vault, schwab.profile.name).record()
    assert record is not None
    assert record.tokens is not None
    assert record.client.auth_method == "client_secret_basic"
    assert record.tokens.refresh_expires_at == pytest.approx(record.tokens.authorized_at + 7 * DAY)
    assert [r["outcome"] for r in schwab.grants("authorization_code")] == ["ok"]
    # the sandbox profile's secret came from the sandbox, never typed
    assert vault.get(schwab.profile.name, APP_SECRET_KIND) == schwab.app()["app_secret"].encode()


def test_a_denied_sign_in_stores_nothing(schwab, vault):
    with pytest.raises(Exception, match="denied"):
        run_async(lambda: sign_in(schwab.profile, vault, "deny"))
    assert OAuthStore(vault, schwab.profile.name).record() is None
    assert schwab.grants("authorization_code") == []


def test_a_taken_callback_port_is_refused_before_the_browser_opens(schwab, vault):
    port = urlsplit(schwab.profile.callback).port
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        flow = CONNECTOR.sign_in(schwab.profile, vault)
        with pytest.raises(CallbackUnusable, match=f"port {port}") as refused:
            run_async(flow.start)
    assert refused.value.action == NextAction.FIX_PROFILE
    assert "register another Callback URL" in str(refused.value)


@pytest.mark.parametrize(
    ("callback", "said"),
    [
        ("https://localhost:{port}/schwab/callback", "127.0.0.1 only"),
        ("https://[::1]:{port}/schwab/callback", "127.0.0.1 only"),
        ("https://127.0.0.1:{port}/schwab/callback/", "trailing '/'"),
    ],
)
def test_a_callback_brokerdeck_cannot_serve_is_refused_before_the_browser_opens(schwab, vault, callback, said):
    port = urlsplit(schwab.profile.callback).port
    profile = dataclasses.replace(schwab.profile, callback=callback.format(port=port))
    with pytest.raises(CallbackUnusable, match=said):
        run_async(CONNECTOR.sign_in(profile, vault).start)
    with socket.socket() as free:
        free.bind(("127.0.0.1", port))  # no listener was left behind


def test_keys_init_stores_the_app_secret_from_stdin_without_echoing_it(home, vault):
    home.profiles_file.parent.mkdir(parents=True, exist_ok=True)
    home.profiles_file.write_text(
        '[profiles.my-schwab]\nkind = "schwab"\napp_key = "MyAppKey123"\ncallback = "https://127.0.0.1:8182/callback"\n'
    )
    secret = "s3cretAppSecretValue"
    done = subprocess.run(
        [sys.executable, "-m", "app", "keys", "init", "my-schwab"],
        cwd=REPO_ROOT,
        input=secret + "\n",
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "App Secret for my-schwab" in done.stdout
    assert "is stored in the vault" in done.stdout
    assert secret not in done.stdout + done.stderr
    assert vault.get("my-schwab", APP_SECRET_KIND) == secret.encode()


def test_a_profile_from_the_file_needs_its_app_secret_before_it_can_connect():
    profile = SchwabProfile(name="my-schwab", app_key="K1", callback="https://127.0.0.1:8182/cb")
    assert CONNECTOR.required_secrets(profile) == frozenset({APP_SECRET_KIND})
    assert "brokerdeck keys init my-schwab" in CONNECTOR.setup_hint(profile)
    health = CredentialHealth(
        profile="my-schwab",
        label="my-schwab",
        kind="schwab",
        origin="profiles.toml",
        state=ConnectionState.NOT_CONNECTED,
        reason="keys not set up yet",
        next_action=NextAction.SETUP_KEYS,
        hint="",
    )
    (offer,) = CONNECTOR.offers(profile, health)
    assert offer.command == "brokerdeck keys init my-schwab"


def test_a_replaced_app_secret_is_what_renewals_use_from_then_on(schwab, vault):
    run_async(lambda: sign_in(schwab.profile, vault))
    done = subprocess.run(
        [sys.executable, "-m", "app", "keys", "init", schwab.profile.name, "--new-keys"],
        cwd=REPO_ROOT,
        input="NotTheSandboxSecret1\n",
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr

    with pytest.raises(LoginRequired, match="invalid_client"):
        run_async(lambda: with_engine_session(schwab.profile, vault, lambda s: s.refresh()))
    assert [r["outcome"] for r in schwab.grants("refresh_token")] == ["invalid_client"]
