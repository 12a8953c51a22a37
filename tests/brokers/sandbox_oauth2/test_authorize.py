"""The authorization endpoint and the consent page: what is refused, and how (redirect or page)."""

from __future__ import annotations

import re

import pytest

from tests.brokers.sandbox_oauth2.oauth_helpers import REDIRECT, OAuthPeer, pkce, query_of


def assert_refused_page(response) -> None:
    """A 400 HTML page and no redirect: the redirect target could not be trusted."""
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")


def assert_redirected_error(peer: OAuthPeer, response, error: str, state: str = "s1") -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT + "?")
    query = query_of(location)
    assert (query["error"], query["state"], query["iss"]) == (error, state, peer.issuer)
    assert query["error_description"]
    assert "code" not in query
    return query


def test_the_consent_page_has_the_form_the_browser_drives(peer: OAuthPeer) -> None:
    client = peer.register(client_name="Brokerdeck <desk> & co")
    response = peer.authorize(client["client_id"], pkce()[1], scope="read trade")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    page = response.text
    assert "<title>Sandbox Broker — sign in</title>" in page
    assert "Brokerdeck &lt;desk&gt; &amp; co" in page
    assert "<desk>" not in page
    assert "<li>read</li>" in page
    assert "<li>trade</li>" in page
    assert "127.0.0.1:8765" in page
    assert re.search(r'<form method="post" action="/auth/authorize/decision">', page)
    assert re.search(r'<input id="username" name="username"[^>]*value="trader"', page)
    assert re.search(r'<input id="password" name="password" type="password"[^>]*value="sandbox"', page)
    assert '<button id="approve" name="decision" value="allow">Allow</button>' in page
    assert '<button id="deny" name="decision" value="deny">Deny</button>' in page
    assert "<script" not in page
    assert "http" not in page.split("</head>")[0], "the page must load nothing from elsewhere"


def test_allow_redirects_with_code_state_and_iss(peer: OAuthPeer) -> None:
    client = peer.register()
    location = peer.sign_in(peer.authorize(client["client_id"], pkce()[1], state="xyz"))
    query = query_of(location)
    assert location.startswith(REDIRECT + "?")
    assert set(query) == {"code", "state", "iss"}
    assert (query["state"], query["iss"]) == ("xyz", peer.issuer)
    assert len(query["code"]) >= 43


def test_deny_redirects_access_denied_with_state_and_iss(peer: OAuthPeer) -> None:
    client = peer.register()
    response = peer.decide(peer.authorize(client["client_id"], pkce()[1], state="s1"), "deny")
    assert_redirected_error(peer, response, "access_denied")


@pytest.mark.parametrize(
    ("params", "error", "says"),
    [
        ({"code_challenge": None}, "invalid_request", "PKCE is required"),
        ({"code_challenge_method": "plain"}, "invalid_request", "S256"),
        ({"code_challenge_method": None}, "invalid_request", "S256"),
        ({"code_challenge": "too-short"}, "invalid_request", "43"),
        ({"code_challenge": "A" * 42 + "="}, "invalid_request", "43"),
        ({"response_type": "token"}, "unsupported_response_type", "code"),
        ({"response_type": None}, "unsupported_response_type", "code"),
        ({"resource": "https://other.example/api"}, "invalid_target", "only"),
        ({"resource": "/api"}, "invalid_target", "absolute"),
        ({"scope": "read admin"}, "invalid_scope", "admin"),
        ({"scope": "read  trade"}, "invalid_scope", "single spaces"),
    ],
)
def test_bad_requests_are_redirected_back_with_an_error(peer: OAuthPeer, params: dict, error: str, says: str) -> None:
    client = peer.register()
    base = {"code_challenge": pkce()[1], "state": "s1"}
    query = assert_redirected_error(peer, peer.authorize(client["client_id"], **(base | params)), error)
    assert says in query["error_description"]


def test_a_resource_with_a_fragment_is_an_invalid_target(peer: OAuthPeer) -> None:
    client = peer.register()
    response = peer.authorize(client["client_id"], pkce()[1], state="s1", resource=peer.resource + "#x")
    assert "fragment" in assert_redirected_error(peer, response, "invalid_target")["error_description"]


def test_a_repeated_parameter_is_an_invalid_request(peer: OAuthPeer) -> None:
    client = peer.register()
    url = str(peer.authorize(client["client_id"], pkce()[1], state="s1").request.url) + "&scope=read"
    assert_redirected_error(peer, peer.http.get(url), "invalid_request")


def test_an_unregistered_redirect_or_client_gets_a_page_never_a_redirect(peer: OAuthPeer) -> None:
    client = peer.register()
    challenge = pkce()[1]
    assert_refused_page(peer.authorize(client["client_id"], challenge, redirect_uri="http://127.0.0.1:8765/cb/"))
    assert_refused_page(peer.authorize(client["client_id"], challenge, redirect_uri="http://127.0.0.1:8765/other"))
    assert_refused_page(peer.authorize(client["client_id"], challenge, redirect_uri="https://evil.example/cb"))
    assert_refused_page(peer.authorize(client["client_id"], challenge, redirect_uri=None))
    assert_refused_page(peer.authorize("nobody", challenge))
    # Even a request that would also fail on PKCE is refused without a redirect.
    assert_refused_page(peer.authorize(client["client_id"], None, redirect_uri="https://evil.example/cb"))
    assert [r["outcome"] for r in peer.state()["authorize_requests"]] == ["refused_page"] * 6


def test_a_loopback_redirect_may_use_any_port_unless_the_setting_is_off(peer: OAuthPeer) -> None:
    client = peer.register(redirect_uris=[REDIRECT, "http://[::1]:8765/cb"])
    challenge = pkce()[1]
    assert peer.authorize(client["client_id"], challenge, redirect_uri="http://127.0.0.1:54321/cb").status_code == 200
    assert peer.authorize(client["client_id"], challenge, redirect_uri="http://127.0.0.1/cb").status_code == 200
    assert peer.authorize(client["client_id"], challenge, redirect_uri="http://[::1]:1234/cb").status_code == 200
    assert_refused_page(peer.authorize(client["client_id"], challenge, redirect_uri="http://localhost:54321/cb"))
    assert_refused_page(peer.authorize(client["client_id"], challenge, redirect_uri="https://127.0.0.1:54321/cb"))
    assert_refused_page(peer.authorize(client["client_id"], challenge, redirect_uri="http://127.0.0.1:54321/cb?x"))
    assert peer.settings(any_port_loopback=False)["any_port_loopback"] is False
    assert_refused_page(peer.authorize(client["client_id"], challenge, redirect_uri="http://127.0.0.1:54321/cb"))
    assert peer.authorize(client["client_id"], challenge).status_code == 200


def test_the_code_goes_to_the_port_the_client_asked_for(peer: OAuthPeer) -> None:
    client = peer.register()
    page = peer.authorize(client["client_id"], pkce()[1], redirect_uri="http://127.0.0.1:54321/cb")
    assert peer.sign_in(page).startswith("http://127.0.0.1:54321/cb?code=")


def test_a_redirect_uri_with_a_query_gets_the_parameters_appended(peer: OAuthPeer) -> None:
    client = peer.register(redirect_uris=["http://127.0.0.1:8765/cb?profile=a"])
    page = peer.authorize(client["client_id"], pkce()[1], redirect_uri="http://127.0.0.1:8765/cb?profile=a")
    location = peer.sign_in(page)
    assert location.startswith("http://127.0.0.1:8765/cb?profile=a&code=")
    assert query_of(location)["profile"] == "a"


def test_iss_can_be_omitted_or_replaced(peer: OAuthPeer) -> None:
    client = peer.register()
    peer.settings(omit_iss=True)
    assert "iss" not in query_of(peer.sign_in(peer.authorize(client["client_id"], pkce()[1])))
    peer.settings(omit_iss=False, iss_override="https://evil.example")
    assert query_of(peer.sign_in(peer.authorize(client["client_id"], pkce()[1])))["iss"] == "https://evil.example"
    peer.settings(iss_override=None)
    assert query_of(peer.sign_in(peer.authorize(client["client_id"], pkce()[1])))["iss"] == peer.issuer


def test_the_sign_in_form_needs_a_username_and_password_and_works_once(peer: OAuthPeer) -> None:
    client = peer.register()
    page = peer.authorize(client["client_id"], pkce()[1])
    again = peer.decide(page, password="")
    assert again.status_code == 400
    assert "Enter your username and password." in again.text
    assert 'id="approve"' in again.text
    assert peer.decide(page).status_code == 302
    used = peer.decide(page)
    assert used.status_code == 400
    assert "location" not in used.headers
    unknown = peer.http.post(
        f"{peer.issuer}/authorize/decision", data={"request_id": "nope", "username": "u", "password": "p"}
    )
    assert (unknown.status_code, "location" in unknown.headers) == (400, False)


def test_a_client_cannot_ask_for_more_scope_than_it_registered(peer: OAuthPeer) -> None:
    client = peer.register(scope="read")
    response = peer.authorize(client["client_id"], pkce()[1], state="s1", scope="read trade")
    assert_redirected_error(peer, response, "invalid_scope")
    page = peer.authorize(client["client_id"], pkce()[1], scope=None)
    assert "<li>read</li>" in page.text
    assert "<li>trade</li>" not in page.text
