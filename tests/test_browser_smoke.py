"""The headless browser: local pages, screenshots, a consent click, life beside the Qt loop, redacted errors."""

from __future__ import annotations

import asyncio
import struct
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, urlsplit

import pytest

from brokers.oauth2.listener import LoopbackListener
from tests.browser import (
    Browser,
    BrowserError,
    browser,
    chromium_available,
    is_loopback_callback,
    redact_text,
    redact_url,
)
from tests.peers.loopback import LoopbackCatcher, loopback_catcher

__all__ = ["browser", "loopback_catcher"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The sandbox consent page's shape: prefilled #username and #password, and #approve / #deny buttons.
CONSENT_PAGE = """<!doctype html><title>Consent</title>
<form method="post" action="/decision?{query}">
<input id="username" name="username" value="trader"><input id="password" name="password" type="password" value="x">
<button id="approve" name="decision" value="allow">Allow</button>
<button id="deny" name="decision" value="deny">Deny</button>
</form>"""


@pytest.fixture
def consent_server() -> Iterator[str]:
    """A stand-in consent page: GET /authorize shows the form, its POST redirects to `redirect_uri` (303)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = CONSENT_PAGE.format(query=urlsplit(self.path).query).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            query = parse_qs(urlsplit(self.path).query)
            form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
            outcome = "code=the-code" if form["decision"] == ["allow"] else "error=access_denied"
            self.send_response(303)
            self.send_header("Location", f"{query['redirect_uri'][0]}?{outcome}&state={query['state'][0]}")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/authorize"
    server.shutdown()
    server.server_close()
    thread.join()


def test_chromium_is_installed() -> None:
    assert chromium_available()


def test_opens_a_local_page_and_takes_a_png_screenshot(
    browser: Browser, loopback_catcher: LoopbackCatcher, tmp_path: Path
) -> None:
    browser.goto(loopback_catcher.url("/hello?x=1"))

    assert browser.current_url() == loopback_catcher.url("/hello?x=1")
    assert "/hello?x=1" in loopback_catcher.paths
    shot = browser.screenshot(tmp_path / "page.png")
    data = shot.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    # The first chunk is IHDR: width and height of the viewport.
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert width > 0
    assert height > 0


def test_calls_run_on_the_browser_thread_and_futures_work(browser: Browser, loopback_catcher: LoopbackCatcher) -> None:
    browser.goto(loopback_catcher.url("/callback/smoke"))

    future = browser.submit(lambda page: (threading.current_thread().name, page.inner_text("body")))
    thread_name, text = future.result()

    assert thread_name.startswith("browser")
    assert thread_name != threading.current_thread().name
    assert text == "ok"


@pytest.mark.parametrize(("decision", "outcome"), [("allow", "code=the-code"), ("deny", "error=access_denied")])
def test_approve_sandbox_clicks_and_follows_the_redirect(
    browser: Browser,
    loopback_catcher: LoopbackCatcher,
    consent_server: str,
    decision: Literal["allow", "deny"],
    outcome: str,
) -> None:
    redirect_uri = loopback_catcher.url("/callback/sandbox")
    url = f"{consent_server}?redirect_uri={redirect_uri}&state=st1"

    final_url = browser.approve_sandbox(url, decision)

    assert final_url == f"{redirect_uri}?{outcome}&state=st1"
    assert loopback_catcher.wait_for("/callback/sandbox") == f"/callback/sandbox?{outcome}&state=st1"


def test_a_future_completes_while_the_qt_loop_serves_the_page(browser: Browser, qloop, qtbot) -> None:
    """The app's way: its loopback listener runs on the main thread's qasync loop, the test waits on a Future.

    Chromium may open spare connections that never carry a request; closing the listener ends them too, so
    none is left to be collected later (in whatever thread) as an unclosed socket.
    """
    received: list[dict[str, str]] = []

    def accept(params: dict[str, str]) -> str | None:
        received.append(params)
        return None

    listener = LoopbackListener("/callback/qt", accept)
    starting = asyncio.ensure_future(listener.start())
    qtbot.waitUntil(starting.done, timeout=5000)
    starting.result()
    url = f"{listener.redirect_uri}?code=c&state=s"
    try:
        future = browser.submit(lambda page: (page.goto(url), page.inner_text("body"))[1])
        qtbot.waitUntil(future.done, timeout=30000)

        assert "You can close this tab and return to Brokerdeck." in future.result()
        assert received == [{"code": "c", "state": "s"}]
    finally:
        closing = asyncio.ensure_future(listener.close())
        qtbot.waitUntil(closing.done, timeout=10000)
        closing.result()
    assert listener.open_connections == 0


def test_a_failed_step_names_the_page_without_its_query(browser: Browser, loopback_catcher: LoopbackCatcher) -> None:
    """Not an approval page: the error names the page but never the query string (it may hold a code)."""
    url = loopback_catcher.url("/not-an-authorization-page?code=SECRET-CODE&state=s")

    with pytest.raises(BrowserError) as failure:
        browser.approve_oidc_provider(url)

    message = str(failure.value)
    assert loopback_catcher.url("/not-an-authorization-page") in message
    assert "SECRET-CODE" not in message


def test_a_step_that_times_out_names_the_step_and_the_page(loopback_catcher: LoopbackCatcher) -> None:
    url = loopback_catcher.url("/no-consent-here?code=SECRET-CODE")

    with Browser(step_timeout=2) as short, pytest.raises(BrowserError) as failure:
        short.approve_sandbox(url)

    message = str(failure.value)
    assert "wait for the sandbox consent page (#approve) failed" in message
    assert f"page: {loopback_catcher.url('/no-consent-here')}\n" in message
    assert "SECRET-CODE" not in message


def test_url_helpers() -> None:
    assert redact_url("http://127.0.0.1:5/callback/x?code=abc#frag") == "http://127.0.0.1:5/callback/x"
    assert redact_text('navigating to "http://127.0.0.1:5/a?code=abc", waiting') == (
        'navigating to "http://127.0.0.1:5/a", waiting'
    )
    assert is_loopback_callback("http://127.0.0.1:5/callback/x?code=abc")
    assert is_loopback_callback("https://127.0.0.1:5/callback/x")
    assert not is_loopback_callback("http://127.0.0.1.example.com/callback/x")
    assert not is_loopback_callback("http://127.0.0.1:5/interaction/abc")
