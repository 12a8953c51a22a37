"""The desktop-client checklist (reference §4), one test per item, against the sandbox over real HTTP.

Item 17's resource metadata as MCP servers publish it comes from a small peer (metadata_peer.py).

Items 2, 4 and 12 (the listener itself) are in test_listener.py; 25 and 26 concern the MCP transport
of the broker connectors, not this engine. Test names carry the item number.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import socket
import sys
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from brokers.oauth2.discovery import parse_server_metadata, server_metadata_urls, well_known_url
from brokers.oauth2.errors import (
    AuthorizationDenied,
    CallbackRejected,
    InsecureEndpoint,
    IssuerMismatch,
    LoginRequired,
    LoginTimeout,
    PkceUnsupported,
    RegistrationError,
    ResourceMismatch,
    StateMismatch,
)
from brokers.oauth2.login import LoginFlow
from brokers.oauth2.pkce import VERIFIER_ALPHABET, Pkce, s256_challenge
from brokers.oauth2.registration import parse_registration
from brokers.oauth2.store import OAuthStore
from brokers.oauth2.transport import new_http_client
from tests.brokers.oauth2.flows import browser, sign_in, with_session
from tests.brokers.oauth2.metadata_peer import discovered, metadata_peer, spell
from tests.brokers.oauth2.peer_server import serving
from tests.brokers.oauth2.stand_in import approve, consent, follow
from tests.conftest import run_async

pytestmark = pytest.mark.secretservice


@contextlib.contextmanager
def occupied(port: int) -> Iterator[None]:
    """Another program listening on `port` (SO_REUSEADDR: the port may still be in TIME_WAIT)."""
    with socket.socket() as busy:
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        busy.bind(("127.0.0.1", port))
        busy.listen()
        yield


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


# ---- RFC 8252 -----------------------------------------------------------------------------------


def test_item01_the_window_opens_the_system_browser_and_never_an_embedded_view(qapp):
    from PySide6.QtCore import QObject, QUrl, Slot
    from PySide6.QtGui import QDesktopServices

    import app.gui  # the whole window, every view and controller it builds
    from app import login_controller

    class SystemBrowser(QObject):
        """Stands in for the desktop's browser: Qt hands it what `QDesktopServices.openUrl` opens."""

        def __init__(self) -> None:
            super().__init__()
            self.opened: list[str] = []

        @Slot(QUrl)
        def open_url(self, url: QUrl) -> None:
            self.opened.append(url.toEncoded().data().decode("ascii"))

    urls = [
        "http://127.0.0.1:8765/auth/authorize?response_type=code&client_id=c1&state=s%2B1"
        "&redirect_uri=http%3A%2F%2F127.0.0.1%3A51234%2Fcallback%2Fsandbox",
        "https://auth.example.com/authorize?response_type=code&client_id=c2&code_challenge_method=S256",
    ]
    browser = SystemBrowser()
    for scheme in ("http", "https"):
        QDesktopServices.setUrlHandler(scheme, browser, "open_url")
    try:
        assert [login_controller.open_in_system_browser(url) for url in urls] == [True, True]
    finally:
        for scheme in ("http", "https"):
            QDesktopServices.unsetUrlHandler(scheme)
    assert browser.opened == urls
    assert app.gui.run_gui  # imported for its imports: nothing in the app pulls in a web view
    assert [name for name in sys.modules if "QtWebEngine" in name] == []


def test_item03_an_ephemeral_port_is_used_then_kept_with_the_registration(auth, vault):
    first = run_async(lambda: sign_in(auth.profile, vault))
    second = run_async(lambda: sign_in(auth.profile, vault))
    assert first.access_token != second.access_token
    ports = [urlsplit(r["redirect_uri"]).port for r in auth.state()["authorize_requests"]]
    assert len(ports) == 2
    assert ports[0] == ports[1] != 0  # the registered port is bound again when it is free
    assert auth.state()["registrations"] == 1


def test_item03_a_fixed_port_from_the_profile_is_used(auth, vault):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    fixed = dataclasses.replace(auth.profile, redirect_port=port)
    run_async(lambda: sign_in(fixed, vault))
    assert urlsplit(auth.state()["authorize_requests"][-1]["redirect_uri"]).port == port


def test_item03_a_server_without_the_any_port_rule_gets_a_fresh_registration(auth, vault):
    auth.settings(any_port_loopback=False)
    run_async(lambda: sign_in(auth.profile, vault))
    port = urlsplit(OAuthStore(vault, auth.profile.name).registration().redirect_uris[0]).port
    run_async(lambda: sign_in(auth.profile, vault))  # the registered port is free: reused, no new registration
    assert auth.state()["registrations"] == 1
    with occupied(port):
        run_async(lambda: sign_in(auth.profile, vault))
    assert auth.state()["registrations"] == 2


def test_item04_the_port_is_closed_after_success_denial_and_timeout(auth, vault):
    ports: list[int] = []

    def remember(decision: str):
        def act(started):
            ports.append(urlsplit(started.redirect_uri).port)
            return approve(started.url, decision)

        return act

    run_async(lambda: sign_in(auth.profile, vault, remember("allow")))
    with pytest.raises(AuthorizationDenied):
        run_async(lambda: sign_in(auth.profile, vault, remember("deny")))
    with pytest.raises(LoginTimeout):
        run_async(
            lambda: sign_in(auth.profile, vault, lambda s: ports.append(urlsplit(s.redirect_uri).port), timeout_s=0.3)
        )
    assert len(ports) == 3
    for port in ports:
        with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
            probe.connect(("127.0.0.1", port))


def test_item05_item08_every_authorization_request_uses_s256_pkce(auth, vault):
    urls: list[str] = []
    run_async(lambda: sign_in(auth.profile, vault, lambda s: (urls.append(s.url), approve(s.url))[1]))
    params = query(urls[0])
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43
    token = auth.grants("authorization_code")[-1]
    assert token["has_code_verifier"] is True
    assert token["outcome"] == "ok"  # the sandbox checked the verifier against the challenge


def test_item06_item09_a_foreign_missing_or_reused_state_is_refused(auth, vault):
    async def scenario() -> tuple[list[int], bool]:
        async with new_http_client() as http:
            flow = LoginFlow(auth.profile, OAuthStore(vault, auth.profile.name), http)
            started = await flow.start()
            finish = asyncio.ensure_future(flow.finish())
            location = await asyncio.to_thread(consent, started.url)
            forged = location.replace(query(location)["state"], "forged-state")
            statuses = [(await asyncio.to_thread(follow, forged)).status_code]
            with pytest.raises(StateMismatch):
                await finish
            return statuses, OAuthStore(vault, auth.profile.name).record() is None

    statuses, nothing_stored = run_async(scenario)
    assert statuses == [400]
    assert nothing_stored

    async def missing_then_reused() -> None:
        async with new_http_client() as http:
            flow = LoginFlow(auth.profile, OAuthStore(vault, auth.profile.name), http, listen=False)
            started = await flow.start()
            location = await asyncio.to_thread(consent, started.url)
            without_state = location.replace("state=" + query(location)["state"], "state=")
            with pytest.raises(StateMismatch, match="no state"):
                flow.submit_pasted(without_state)
            flow.submit_pasted(location)
            await flow.finish()
            with pytest.raises(Exception, match="already ended"):
                flow.submit_pasted(location)

    run_async(missing_then_reused)


def test_item06_states_are_fresh_and_high_entropy_per_request(auth, vault):
    async def two_states() -> list[str]:
        states = []
        async with new_http_client() as http:
            for _ in range(2):
                flow = LoginFlow(auth.profile, OAuthStore(vault, auth.profile.name), http)
                states.append(query((await flow.start()).url)["state"])
                flow.cancel()
                with pytest.raises(Exception, match="cancelled"):
                    await flow.finish()
        return states

    first, second = run_async(two_states)
    assert first != second
    assert len(first) >= 43


def test_item07_item14_a_public_client_using_only_the_code_and_refresh_grants(auth, vault):
    urls: list[str] = []
    run_async(lambda: sign_in(auth.profile, vault, lambda s: (urls.append(s.url), approve(s.url))[1]))
    run_async(lambda: with_session(auth.profile, vault, lambda s: s.refresh()))
    registration = OAuthStore(vault, auth.profile.name).registration()
    assert registration.auth_method == "none"
    assert registration.client_secret == ""  # nothing confidential is shipped or stored
    assert query(urls[0])["response_type"] == "code"  # never the implicit grant
    assert {r["grant_type"] for r in auth.state()["token_requests"]} == {"authorization_code", "refresh_token"}


def test_item10_the_redirect_uri_is_byte_identical_in_authorize_and_token(auth, vault):
    run_async(lambda: sign_in(auth.profile, vault))
    authorize = auth.state()["authorize_requests"][-1]
    token = auth.grants("authorization_code")[-1]
    assert authorize["redirect_uri"] == token["redirect_uri"]
    assert token["outcome"] == "ok"  # the sandbox compares them byte for byte


def test_item11_a_code_delivered_to_another_profiles_callback_is_refused(auth, vault):
    other = dataclasses.replace(auth.profile, name="second-broker")

    async def scenario() -> int:
        async with new_http_client() as http:
            mine = LoginFlow(auth.profile, OAuthStore(vault, auth.profile.name), http)
            theirs = LoginFlow(other, OAuthStore(vault, other.name), http)
            started_mine, started_theirs = await mine.start(), await theirs.start()
            assert urlsplit(started_mine.redirect_uri).path != urlsplit(started_theirs.redirect_uri).path
            finish_theirs = asyncio.ensure_future(theirs.finish())
            location = await asyncio.to_thread(consent, started_mine.url)
            misdelivered = location.replace(urlsplit(location).netloc, urlsplit(started_theirs.redirect_uri).netloc)
            misdelivered = misdelivered.replace(urlsplit(location).path, urlsplit(started_theirs.redirect_uri).path)
            status = (await asyncio.to_thread(follow, misdelivered)).status_code
            with pytest.raises(StateMismatch):
                await finish_theirs
            mine.cancel()
            with pytest.raises(Exception, match="cancelled"):
                await mine.finish()
            return status

    assert run_async(scenario) == 400
    assert OAuthStore(vault, other.name).record() is None


def test_item11_item20_a_response_naming_another_issuer_is_refused(auth, vault):
    auth.settings(iss_override="https://other-broker.example")
    with pytest.raises(IssuerMismatch, match="mix-up"):
        run_async(lambda: sign_in(auth.profile, vault))
    assert auth.grants("authorization_code") == []  # the code was never redeemed


def test_item13_concurrent_stale_requests_cause_one_refresh(auth, vault):
    run_async(lambda: sign_in(auth.profile, vault))
    auth.expire_access()

    async def use(session) -> list[str]:
        await session.load()
        stale = dataclasses.replace(session._record.tokens, expires_at=0.0)
        session._record = dataclasses.replace(session._record, tokens=stale)
        return await asyncio.gather(*(session.access_token() for _ in range(5)))

    tokens = run_async(lambda: with_session(auth.profile, vault, use))
    assert len(set(tokens)) == 1
    assert len(auth.grants("refresh_token")) == 1


def test_item13_the_rotated_refresh_token_is_stored_before_the_access_token_is_used(auth, vault, monkeypatch):
    run_async(lambda: sign_in(auth.profile, vault))
    before = OAuthStore(vault, auth.profile.name).record().tokens
    store_writes: list[str] = []
    real_save = OAuthStore.save_record

    def failing_save(self, record):
        store_writes.append(record.tokens.refresh_token)
        raise OSError("disk full")

    async def use(session) -> None:
        await session.load()
        with monkeypatch.context() as patch:
            patch.setattr(OAuthStore, "save_record", failing_save)
            with pytest.raises(OSError, match="disk full"):
                await session.refresh()
        monkeypatch.setattr(OAuthStore, "save_record", real_save)
        await session.access_token()  # writes the held record first, without a second refresh

    run_async(lambda: with_session(auth.profile, vault, use))
    after = OAuthStore(vault, auth.profile.name).record().tokens
    assert store_writes == [after.refresh_token]
    assert after.refresh_token != before.refresh_token
    assert len(auth.grants("refresh_token")) == 1


@pytest.mark.parametrize("rotation", ["rotate", "same", "omit"])
def test_item13_all_three_rotation_cases_keep_the_chain_alive(auth, vault, rotation):
    auth.settings(rotation=rotation)
    first = run_async(lambda: sign_in(auth.profile, vault))

    async def refresh_twice(session) -> tuple[str, str]:
        await session.load()
        a = (await session.refresh()).refresh_token
        b = (await session.refresh()).refresh_token
        return a, b

    a, b = run_async(lambda: with_session(auth.profile, vault, refresh_twice))
    if rotation == "rotate":
        assert len({first.refresh_token, a, b}) == 3
    else:
        assert first.refresh_token == a == b
    assert OAuthStore(vault, auth.profile.name).record().tokens.refresh_token == b
    assert [r["outcome"] for r in auth.grants("refresh_token")] == ["ok", "ok"]


def test_item15_tokens_travel_in_the_header_and_never_reach_logs_urls_or_errors(auth, vault, caplog):
    caplog.set_level(logging.DEBUG)
    tokens = run_async(lambda: sign_in(auth.profile, vault))

    async def use(session) -> tuple[int, str]:
        answer = await session.request("GET", auth.account_url)
        auth.revoke_all()  # the trader revokes the app at the broker
        with pytest.raises(LoginRequired) as dead:
            await session.request("GET", auth.account_url)
        return answer.status_code, str(dead.value)

    status, error_text = run_async(lambda: with_session(auth.profile, vault, use))
    assert status == 200  # the sandbox accepts bearer tokens only in the Authorization header
    assert "invalid_grant" in error_text
    everything = caplog.text + error_text + repr(tokens) + str(auth.state())
    for secret in (tokens.access_token, tokens.refresh_token):
        assert secret not in everything


# ---- RFC 8414 / RFC 9728 ------------------------------------------------------------------------


def test_item16_the_well_known_url_is_path_inserted(auth, vault):
    assert well_known_url(auth.profile.issuer, "oauth-authorization-server") == (
        f"{auth.base}/.well-known/oauth-authorization-server/auth"
    )
    assert server_metadata_urls("https://a.example/tenant/")[0] == (
        "https://a.example/.well-known/oauth-authorization-server/tenant"
    )
    assert httpx.get(f"{auth.base}/.well-known/oauth-authorization-server", timeout=10).status_code == 404
    assert run_async(lambda: sign_in(auth.profile, vault)).access_token  # only the inserted form is served


@pytest.mark.parametrize("served", ["trailing-slash", "other-host"])
def test_item17_metadata_naming_another_issuer_is_not_used(auth, vault, served):
    """The server's own metadata is compared byte for byte: no allowance at all here."""
    wrong = (
        auth.profile.issuer + "/"
        if served == "trailing-slash"
        else auth.profile.issuer.replace("127.0.0.1", "localhost")
    )
    auth.settings(issuer_override=wrong)
    with pytest.raises(IssuerMismatch, match="identical"):
        run_async(lambda: sign_in(auth.profile, vault))
    assert auth.state()["registrations"] == 0


def test_item17_an_mcp_sdk_resource_naming_its_root_server_with_a_trailing_slash_is_accepted():
    """The MCP SDK writes the root issuer `http://127.0.0.1:<port>` as `.../` in its resource metadata."""
    with serving(metadata_peer("{base}")) as base:
        published = httpx.get(f"{base}/.well-known/oauth-protected-resource/mcp", timeout=10).json()
        assert published["authorization_servers"] == [f"{base}/"]
        assert run_async(lambda: discovered(base, base)) == base


@pytest.mark.parametrize(
    ("listed", "issuer"),
    [
        pytest.param("{base}/", "{base}", id="root-listed-with-slash"),
        pytest.param("{base}", "{base}/", id="root-listed-without-slash"),
        pytest.param("{base}", "{base}", id="root-identical"),
        pytest.param("{base}/tenant", "{base}/tenant", id="path-identical"),
    ],
)
def test_item17_the_resource_may_name_a_root_issuer_with_or_without_its_slash(listed, issuer):
    with serving(metadata_peer(issuer, [listed])) as base:
        assert run_async(lambda: discovered(base, issuer)) == spell(issuer, base)


@pytest.mark.parametrize(
    ("listed", "issuer"),
    [
        pytest.param("{base}/tenant/", "{base}/tenant", id="path-listed-with-an-added-slash"),
        pytest.param("{base}/tenant", "{base}/tenant/", id="path-listed-without-its-slash"),
        pytest.param("{base}//", "{base}", id="root-listed-with-two-slashes"),
        pytest.param("{base}/", "{base}/tenant", id="root-listed-for-a-path-issuer"),
        pytest.param("{localhost}/", "{base}", id="other-host"),
        pytest.param("{https}/", "{base}", id="other-scheme"),
        pytest.param("{BASE}/", "{base}", id="other-case"),
    ],
)
def test_item17_every_other_difference_between_the_listed_and_the_profiles_issuer_is_refused(listed, issuer):
    with serving(metadata_peer(issuer, [listed])) as base, pytest.raises(IssuerMismatch, match="accepts tokens from"):
        run_async(lambda: discovered(base, issuer))


def test_item18_resource_metadata_for_another_resource_is_refused(auth, vault):
    auth.resource_settings(resource_override=auth.profile.resource + "/other")
    with pytest.raises(ResourceMismatch):
        run_async(lambda: sign_in(auth.profile, vault))


def test_item18_the_resource_names_its_authorization_server(auth, vault):
    auth.resource_settings(authorization_servers_override=["https://elsewhere.example/auth"])
    with pytest.raises(IssuerMismatch, match=r"elsewhere\.example"):
        run_async(lambda: sign_in(auth.profile, vault))


def test_item19_plain_http_endpoints_off_loopback_are_refused(auth):
    document = httpx.get(well_known_url(auth.profile.issuer, "oauth-authorization-server"), timeout=10).json()
    assert parse_server_metadata(document, auth.profile.issuer).token_endpoint.startswith("http://127.0.0.1")
    for endpoint in ("authorization_endpoint", "token_endpoint", "revocation_endpoint"):
        tampered = document | {endpoint: "http://broker.example/oauth"}
        with pytest.raises(InsecureEndpoint):
            parse_server_metadata(tampered, auth.profile.issuer)


# ---- RFC 9207, 8707, 7591, 7636 -----------------------------------------------------------------


def test_item20_a_missing_iss_is_refused_when_the_server_promises_it(auth, vault):
    auth.settings(omit_iss=True)
    with pytest.raises(IssuerMismatch, match="promises"):
        run_async(lambda: sign_in(auth.profile, vault))


def test_item20_the_pasted_url_gets_the_same_iss_check(auth, vault):
    auth.settings(iss_override="https://other-broker.example")

    async def scenario() -> None:
        async with new_http_client() as http:
            flow = LoginFlow(auth.profile, OAuthStore(vault, auth.profile.name), http, listen=False)
            started = await flow.start()
            location = await asyncio.to_thread(consent, started.url)
            with pytest.raises(IssuerMismatch):
                flow.submit_pasted(location)
            with pytest.raises(IssuerMismatch):
                await flow.finish()

    run_async(scenario)


def test_item21_the_resource_goes_on_authorize_token_and_refresh(auth, vault):
    run_async(lambda: sign_in(auth.profile, vault))
    run_async(lambda: with_session(auth.profile, vault, lambda s: s.refresh()))
    state = auth.state()
    assert state["authorize_requests"][-1]["resource"] == auth.profile.resource
    assert [r["resource"] for r in state["token_requests"]] == [auth.profile.resource] * 2
    assert [r["outcome"] for r in state["token_requests"]] == ["ok", "ok"]


def test_item22_a_registration_answer_is_checked_before_use():
    redirect = "http://127.0.0.1:5000/callback/p"
    with pytest.raises(RegistrationError, match="client_id"):
        parse_registration({"redirect_uris": [redirect]}, "https://as.example", redirect, 0)
    with pytest.raises(RegistrationError, match="other redirect"):
        parse_registration(
            {"client_id": "c", "redirect_uris": ["http://127.0.0.1:1/x"]}, "https://as.example", redirect, 0
        )
    with pytest.raises(RegistrationError, match="private_key_jwt"):
        parse_registration({"client_id": "c", "token_endpoint_auth_method": "private_key_jwt"}, "i", redirect, 0)
    with pytest.raises(RegistrationError, match="client_secret_basic"):
        parse_registration({"client_id": "c", "token_endpoint_auth_method": "client_secret_basic"}, "i", redirect, 0)
    issued = parse_registration(
        {
            "client_id": "c",
            "client_secret": "s",
            "token_endpoint_auth_method": "client_secret_post",
            "client_secret_expires_at": 100,
        },
        "i",
        redirect,
        0,
    )
    assert not issued.usable_for("i", redirect, now=200)  # its secret has expired: register again


def test_item22_the_registration_is_stored_in_the_vault_and_reused(auth, vault):
    run_async(lambda: sign_in(auth.profile, vault))
    run_async(lambda: sign_in(auth.profile, vault))
    stored = OAuthStore(vault, auth.profile.name).registration()
    assert stored.dynamic
    assert stored.auth_method == "none"
    assert auth.state()["registrations"] == 1
    assert "oauth-client" in vault.kinds(auth.profile.name)


def test_item23_the_verifier_is_43_to_128_unreserved_characters_from_the_csprng():
    verifiers = {Pkce().verifier for _ in range(50)}
    assert len(verifiers) == 50
    assert all(43 <= len(v) <= 128 and set(v) <= VERIFIER_ALPHABET for v in verifiers)
    # RFC 7636 appendix B
    assert (
        s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


@pytest.mark.parametrize("methods", [None, ["plain"]])
def test_item24_a_server_without_s256_is_refused(auth, vault, methods):
    auth.settings(pkce_methods=methods)
    with pytest.raises(PkceUnsupported, match="S256"):
        run_async(lambda: sign_in(auth.profile, vault))
    assert auth.state()["authorize_requests"] == []


# ---- refresh and expiry -------------------------------------------------------------------------


def test_item27_a_dead_refresh_token_means_login_required_not_a_loop(auth, vault):
    run_async(lambda: sign_in(auth.profile, vault))
    auth.revoke_all()

    async def twice(session) -> None:
        for _ in range(2):
            with pytest.raises(LoginRequired):
                await session.refresh()

    run_async(lambda: with_session(auth.profile, vault, twice))
    assert [r["outcome"] for r in auth.grants("refresh_token")] == ["invalid_grant"]  # one try, not a loop
    record = OAuthStore(vault, auth.profile.name).record()
    assert record.tokens is None
    assert "invalid_grant" in record.login_required


def test_item27_the_refresh_horizon_ends_in_login_required(auth, vault):
    auth.settings(refresh_ttl_s=1)
    tokens = run_async(lambda: sign_in(auth.profile, vault))
    assert tokens.refresh_expires_at is not None

    auth.advance(1)  # the horizon's second passes on the server

    async def after_horizon(session) -> None:
        with pytest.raises(LoginRequired):
            await session.refresh()

    run_async(lambda: with_session(auth.profile, vault, after_horizon))


def test_item28_after_a_restart_the_first_call_refreshes_without_a_browser(auth, vault, monkeypatch):
    run_async(lambda: sign_in(auth.profile, vault))
    auth.expire_access()
    monkeypatch.setattr(LoginFlow, "start", lambda *a: pytest.fail("a browser login was started"))

    async def first_call(session) -> int:
        stale = OAuthStore(vault, auth.profile.name).record()
        stale_record = dataclasses.replace(stale, tokens=dataclasses.replace(stale.tokens, expires_at=1.0))
        OAuthStore(vault, auth.profile.name).save_record(stale_record)  # as if the app slept past expiry
        return (await session.request("GET", auth.account_url)).status_code

    assert run_async(lambda: with_session(auth.profile, vault, first_call)) == 200
    assert [r["outcome"] for r in auth.grants("refresh_token")] == ["ok"]


def test_logout_revokes_at_the_server_then_wipes_the_vault(auth, vault):
    tokens = run_async(lambda: sign_in(auth.profile, vault))
    outcome = run_async(lambda: with_session(auth.profile, vault, lambda s: s.logout()))
    assert "revoked" in outcome
    assert vault.kinds(auth.profile.name) == []
    assert auth.state()["revocations"] == 2
    answer = httpx.get(auth.account_url, headers={"Authorization": f"Bearer {tokens.access_token}"}, timeout=10)
    assert answer.status_code == 401


def test_a_denied_consent_says_so_and_stores_nothing(auth, vault):
    with pytest.raises(AuthorizationDenied, match="denied"):
        run_async(lambda: sign_in(auth.profile, vault, browser("deny")))
    assert OAuthStore(vault, auth.profile.name).record() is None


def test_a_pasted_address_for_another_place_is_refused_and_the_login_keeps_waiting(auth, vault):
    async def scenario() -> str:
        async with new_http_client() as http:
            flow = LoginFlow(auth.profile, OAuthStore(vault, auth.profile.name), http, listen=False)
            started = await flow.start()
            location = await asyncio.to_thread(consent, started.url)
            with pytest.raises(CallbackRejected, match="whole address"):
                flow.submit_pasted(location.split("?")[0])
            with pytest.raises(CallbackRejected, match="callback"):
                flow.submit_pasted(location.replace("/callback/", "/elsewhere/"))
            flow.submit_pasted("  " + location + "\n")
            return (await flow.finish()).access_token

    assert run_async(scenario)


def test_a_sign_in_from_another_issuer_is_never_sent_to_the_new_one(auth, vault):
    run_async(lambda: sign_in(auth.profile, vault))
    moved = dataclasses.replace(auth.profile, issuer=auth.profile.issuer.replace("/auth", "/other"))

    async def use(session) -> None:
        with pytest.raises(LoginRequired, match="now names"):
            await session.access_token()

    run_async(lambda: with_session(moved, vault, use))
    assert auth.grants("refresh_token") == []  # nothing went to either server
    assert "now names" in OAuthStore(vault, moved.name).sign_in_for(moved.issuer).login_required
    assert OAuthStore(vault, auth.profile.name).sign_in_for(auth.profile.issuer).tokens is not None
