"""A refused app secret never loses the sign-in: when Schwab ends the old secret's grace period and a running
session renews with it, the refresh token stays in the vault (blocked, unused), the health says the secret was
refused and how to fix it, and a new secret proven by a rotation's confirm or `keys init --new-keys` connects
the profile again without a browser. A dead refresh token (invalid_grant) still ends the sign-in."""

from __future__ import annotations

import dataclasses
import time

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from brokers.core.actions import NextAction
from brokers.core.health import ConnectionState, CredentialHealth
from brokers.core.rotation import RotationStep
from brokers.oauth2.errors import ClientRefused, LoginRequired
from brokers.oauth2.store import OAuthStore
from brokers.oauth2.tokens import TokenRecord
from brokers.schwab.app_secret import APP_SECRET_KIND
from brokers.schwab.setup import SecretRefused
from tests.brokers.oauth2.peer_server import serving
from tests.brokers.schwab.flows import CONNECTOR, live_session, sign_in, until, with_engine_session
from tests.conftest import run_async

pytestmark = pytest.mark.secretservice


class Terminal:
    """The trader at `brokerdeck keys init`: types the given answers, in order."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.said: list[str] = []

    def say(self, text: str) -> None:
        self.said.append(text)

    def warn(self, text: str) -> None:
        self.said.append(text)

    def ask(self, prompt: str, *, hidden: bool = False) -> str:
        assert hidden, "an app secret is never echoed"
        return self.answers.pop(0)


def _record(vault, schwab) -> TokenRecord:
    record = OAuthStore(vault, schwab.profile.name).record()
    assert record is not None
    return record


def _secret(vault, schwab) -> str:
    raw = vault.get(schwab.profile.name, APP_SECRET_KIND)
    assert raw is not None
    return raw.decode()


def _refused_while_running(schwab, vault) -> CredentialHealth:
    """A window's session renews with the secret Schwab no longer accepts; its health once it has found out."""
    schwab.expire_access()  # the next request gets a 401 and renews

    async def renew(session) -> CredentialHealth:
        return await until(
            lambda: h if (h := session.health(time.time())) and h.state == ConnectionState.FAILED else None,
            "the refused renewal",
        )

    return run_async(lambda: live_session(schwab.profile, vault, renew))


def _grace_ended_after_a_new_secret(schwab, vault) -> tuple[str, str]:
    """Signed in, Schwab issued a new secret and ended the old one's grace: (the kept refresh token, the new secret)."""
    run_async(lambda: sign_in(schwab.profile, vault))
    kept = _record(vault, schwab).tokens
    assert kept is not None
    new = schwab.new_secret()
    schwab.end_grace()
    return kept.refresh_token, new


def _connects_without_a_browser(schwab, vault) -> None:
    health = run_async(
        lambda: live_session(
            schwab.profile,
            vault,
            lambda s: until(lambda: h if s.settled and (h := s.health(time.time())) else None, "the proof"),
        )
    )
    assert health.state == ConnectionState.ACTIVE, health.reason
    assert "accepted it" in health.reason  # proven at Schwab's accountNumbers
    assert len(schwab.grants("authorization_code")) == 1  # the one sign-in from the start: no browser since


def test_a_refused_secret_keeps_the_refresh_token_and_a_rotation_connects_again_without_a_browser(schwab, vault):
    refresh_token, new = _grace_ended_after_a_new_secret(schwab, vault)
    staged = run_async(lambda: CONNECTOR.rotation_start(schwab.profile, vault, lambda _: None, new_dh=False))
    assert staged.step == RotationStep.STAGED

    health = _refused_while_running(schwab, vault)

    assert health.next_action == NextAction.ROTATE_KEYS
    assert health.reason.startswith("Sign-in blocked: the app secret was refused")
    assert "invalid_client" in health.reason
    assert "Sign-in needed" not in health.reason
    assert "brokerdeck keys rotate sandbox-schwab start" in health.hint
    assert "brokerdeck keys init sandbox-schwab --new-keys" in health.hint
    (client,) = [item for item in health.items if item.name == "client"]
    assert client.state == ConnectionState.FAILED
    fix = next(o for o in CONNECTOR.offers(schwab.profile, health) if o.action == health.next_action)
    assert fix.label == "Rotate keys…"
    record = _record(vault, schwab)
    assert record.tokens is not None
    assert record.tokens.refresh_token == refresh_token  # kept: only the secret was refused
    assert record.login_required == ""
    assert "invalid_client" in record.client_refused
    stored = CONNECTOR.stored_health(schwab.profile, vault, ())(time.time())  # the same after a restart
    assert (stored.state, stored.next_action) == (ConnectionState.FAILED, NextAction.ROTATE_KEYS)

    with pytest.raises(ClientRefused):  # nothing uses the tokens until a secret proves: Schwab is not asked again
        run_async(lambda: with_engine_session(schwab.profile, vault, lambda s: s.access_token()))
    assert [r["outcome"] for r in schwab.grants("refresh_token")] == ["invalid_client"]

    done = run_async(lambda: CONNECTOR.rotation_confirm(schwab.profile, vault, {"app_secret": new}, lambda _: None))

    assert done.step == RotationStep.IDLE
    assert _secret(vault, schwab) == new
    record = _record(vault, schwab)
    assert record.client_refused == ""
    assert record.client.client_secret == new
    assert record.tokens is not None
    assert record.tokens.refresh_token == refresh_token
    assert schwab.grants("refresh_token")[-1] == {
        "grant_type": "refresh_token",
        "outcome": "ok",
        "app_secret": "current",
    }
    _connects_without_a_browser(schwab, vault)


def test_a_blocked_session_asks_to_be_run_again_once_a_rotation_elsewhere_proved_the_new_secret(schwab, vault):
    _, new = _grace_ended_after_a_new_secret(schwab, vault)
    run_async(lambda: CONNECTOR.rotation_start(schwab.profile, vault, lambda _: None, new_dh=False))
    schwab.expire_access()
    restarts: list[str] = []

    async def scenario(session) -> None:
        await until(
            lambda: True if (h := session.health(time.time())) and h.state == ConnectionState.FAILED else None,
            "the refused renewal",
        )
        await CONNECTOR.rotation_confirm(schwab.profile, vault, {"app_secret": new}, lambda _: None)
        session.recheck()  # what the window does when the vault changed
        await until(lambda: True if restarts else None, "the restart")

    run_async(lambda: live_session(schwab.profile, vault, scenario, restart=lambda: restarts.append("restart")))
    assert restarts == ["restart"]
    _connects_without_a_browser(schwab, vault)


def test_keys_init_new_keys_proves_the_current_secret_with_the_kept_sign_in(schwab, vault):
    refresh_token, new = _grace_ended_after_a_new_secret(schwab, vault)
    old = _secret(vault, schwab)
    _refused_while_running(schwab, vault)

    def keys_init(typed: str) -> str:
        return run_async(
            lambda: CONNECTOR.setup_keys(schwab.profile, vault, Terminal(typed), dhparam_pem=None, replace=True)
        )

    with pytest.raises(SecretRefused, match=r"refused this app secret too \(invalid_client.*nothing was stored"):
        keys_init("StillNotTheSecret42")
    assert _secret(vault, schwab) == old
    assert "invalid_client" in _record(vault, schwab).client_refused  # still blocked, still kept

    said = keys_init(new)

    assert "without a new sign-in" in said
    assert _secret(vault, schwab) == new
    record = _record(vault, schwab)
    assert record.client_refused == ""
    assert record.client.client_secret == new
    assert record.tokens is not None
    assert record.tokens.refresh_token == refresh_token
    _connects_without_a_browser(schwab, vault)


def answering(error: str):
    """A token endpoint that refuses every request with `error`, as Schwab's JSON error."""

    def build(_base: str) -> Starlette:
        async def token(_: Request) -> JSONResponse:
            return JSONResponse({"error": error, "error_description": "refused by the test's peer"}, status_code=400)

        return Starlette(routes=[Route("/v1/oauth/token", token, methods=["POST"])])

    return build


def _refresh_at(vault, schwab, url: str) -> LoginRequired:
    """Renew the stored sign-in at `url` instead of the sandbox; how it failed."""
    store = OAuthStore(vault, schwab.profile.name)
    record = _record(vault, schwab)
    store.save_record(dataclasses.replace(record, server=dataclasses.replace(record.server, token_endpoint=url)))
    with pytest.raises(LoginRequired) as failed:
        run_async(lambda: with_engine_session(schwab.profile, vault, lambda s: s.refresh()))
    return failed.value


@pytest.mark.parametrize("error", ["invalid_client", "unauthorized_client"])
def test_either_client_error_on_a_refresh_keeps_the_tokens_of_schwabs_confidential_app(schwab, vault, error):
    run_async(lambda: sign_in(schwab.profile, vault))
    with serving(answering(error)) as peer:
        failed = _refresh_at(vault, schwab, f"{peer}/v1/oauth/token")
    assert isinstance(failed, ClientRefused)
    record = _record(vault, schwab)
    assert record.tokens is not None
    assert record.tokens.refresh_token
    assert error in record.client_refused
    assert record.login_required == ""


def test_invalid_grant_still_ends_the_sign_in(schwab, vault):
    run_async(lambda: sign_in(schwab.profile, vault))
    with serving(answering("invalid_grant")) as peer:
        failed = _refresh_at(vault, schwab, f"{peer}/v1/oauth/token")
    assert not isinstance(failed, ClientRefused)
    record = _record(vault, schwab)
    assert record.tokens is None
    assert "invalid_grant" in record.login_required
    assert record.client_refused == ""
    health = CONNECTOR.stored_health(schwab.profile, vault, ())(time.time())
    assert (health.state, health.next_action) == (ConnectionState.SIGN_IN_NEEDED, NextAction.RECONNECT)
