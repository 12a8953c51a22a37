"""Which refresh failures end the sign-in and which are retried: the token endpoint's answers as brokers give them.

Schwab answers a dead refresh token with `unsupported_token_type` (400), and its gateway sometimes answers
with an HTML "Access Denied" page that clears by itself; the first needs a new sign-in, the second must not.
"""

from __future__ import annotations

import dataclasses

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from brokers.core.actions import NextAction
from brokers.oauth2.errors import LoginRequired, OAuthError, TokenRequestFailed
from brokers.oauth2.session import OAuthSession
from brokers.oauth2.store import OAuthStore
from brokers.vault import Vault
from tests.brokers.oauth2.flows import sign_in, with_session
from tests.brokers.oauth2.peer_server import serving
from tests.brokers.oauth2.stand_in import SandboxAuth
from tests.conftest import run_async

pytestmark = pytest.mark.secretservice

ACCESS_DENIED = (
    "<HTML><HEAD><TITLE>Access Denied</TITLE></HEAD><BODY><H1>Access Denied</H1>You don't have permission to "
    'access "http://api.schwabapi.com/v1/oauth/token" on this server.</BODY></HTML>'
)


def refresh_fails(auth: SandboxAuth, vault: Vault) -> OAuthError:
    async def attempt(session: OAuthSession) -> OAuthError:
        with pytest.raises(OAuthError) as failed:
            await session.refresh()
        assert session.facts.last_error_action == (
            NextAction.NONE if failed.type is LoginRequired else NextAction.RETRY
        )
        return failed.value

    return run_async(lambda: with_session(auth.profile, vault, attempt))


@pytest.mark.parametrize("error", ["invalid_grant", "invalid_client", "unauthorized_client", "unsupported_token_type"])
def test_a_refresh_refused_as_a_dead_grant_means_sign_in_again_and_is_not_retried(auth, vault, error):
    run_async(lambda: sign_in(auth.profile, vault))
    auth.settings(token_fault={"status": 400, "error": error})
    failed = refresh_fails(auth, vault)
    assert isinstance(failed, LoginRequired)
    assert failed.action is NextAction.RECONNECT
    record = OAuthStore(vault, auth.profile.name).record()
    assert record.tokens is None
    assert error in record.login_required
    with pytest.raises(LoginRequired):
        run_async(lambda: with_session(auth.profile, vault, lambda s: s.refresh()))
    assert [r["outcome"] for r in auth.grants("refresh_token")] == [error]  # the dead grant was not tried again


@pytest.mark.parametrize(("status", "error"), [(503, "temporarily_unavailable"), (400, "invalid_request")])
def test_a_refresh_refused_for_another_reason_keeps_the_sign_in_for_a_retry(auth, vault, status, error):
    run_async(lambda: sign_in(auth.profile, vault))
    auth.settings(token_fault={"status": status, "error": error})
    failed = refresh_fails(auth, vault)
    assert type(failed) is TokenRequestFailed
    assert failed.action is NextAction.RETRY
    assert OAuthStore(vault, auth.profile.name).record().login_required == ""
    assert run_async(lambda: with_session(auth.profile, vault, lambda s: s.refresh())).access_token


def denied_by_the_gateway(_base: str) -> Starlette:
    async def token(_: Request) -> HTMLResponse:
        return HTMLResponse(ACCESS_DENIED, status_code=403)

    return Starlette(routes=[Route("/v1/oauth/token", token, methods=["POST"])])


def point_token_endpoint(vault: Vault, name: str, url: str) -> str:
    """Make the stored sign-in refresh at `url`; returns where it refreshed before."""
    store = OAuthStore(vault, name)
    record = store.record()
    assert record is not None
    store.save_record(dataclasses.replace(record, server=dataclasses.replace(record.server, token_endpoint=url)))
    return record.server.token_endpoint


def test_an_html_access_denied_page_from_the_token_endpoint_is_retried_later_not_a_sign_in(auth, vault):
    tokens = run_async(lambda: sign_in(auth.profile, vault))
    with serving(denied_by_the_gateway) as gateway:
        real = point_token_endpoint(vault, auth.profile.name, f"{gateway}/v1/oauth/token")
        failed = refresh_fails(auth, vault)
    assert type(failed) is TokenRequestFailed
    assert failed.action is NextAction.RETRY
    assert "HTTP 403" in str(failed)
    assert "Access Denied" not in str(failed)  # a page is not an explanation worth showing
    record = OAuthStore(vault, auth.profile.name).record()
    assert record.login_required == ""
    assert record.tokens.refresh_token == tokens.refresh_token

    point_token_endpoint(vault, auth.profile.name, real)  # the gateway lets requests through again
    assert run_async(lambda: with_session(auth.profile, vault, lambda s: s.refresh())).access_token
    assert [r["outcome"] for r in auth.grants("refresh_token")] == ["ok"]
