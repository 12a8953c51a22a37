"""The loopback listener on its own, over real sockets: what it binds, what it serves, when it closes."""

from __future__ import annotations

import asyncio
import socket
import ssl
from html.parser import HTMLParser

import httpx
import pytest

from brokers.oauth2.errors import AuthorizationDenied
from brokers.oauth2.listener import LoopbackListener
from brokers.oauth2.tls import certificate_pem, make_loopback_certificate, server_context
from tests.brokers.oauth2.flows import sign_in
from tests.brokers.oauth2.stand_in import approve
from tests.conftest import run_async


def accept_all(received: list[dict[str, str]]):
    def handler(params: dict[str, str]) -> str | None:
        received.append(params)
        return None

    return handler


def test_item02_it_binds_the_loopback_address_only_and_on_an_ephemeral_port():
    async def scenario() -> tuple[str, int, str]:
        listener = LoopbackListener("/callback/p", accept_all([]))
        port = await listener.start()
        try:
            host = listener._server.sockets[0].getsockname()[0]
            return host, port, listener.redirect_uri
        finally:
            await listener.close()

    host, port, redirect = run_async(scenario)
    assert host == "127.0.0.1"
    assert port > 0
    assert redirect == f"http://127.0.0.1:{port}/callback/p"


def test_item02_it_can_listen_on_ipv6_loopback_too():
    if not socket.has_ipv6:
        pytest.skip("this machine has no IPv6")

    async def scenario() -> tuple[str, int]:
        received: list[dict[str, str]] = []
        listener = LoopbackListener("/callback/p", accept_all(received), host="::1")
        try:
            await listener.start()
        except OSError:
            pytest.skip("::1 is not configured here")
        try:
            async with httpx.AsyncClient() as http:
                response = await http.get(listener.redirect_uri, params={"code": "c", "state": "s"})
            return listener.redirect_uri, response.status_code
        finally:
            await listener.close()

    redirect, status = run_async(scenario)
    assert redirect.startswith("http://[::1]:")
    assert status == 200


def test_item04_the_port_is_closed_after_close():
    async def scenario() -> int:
        listener = LoopbackListener("/callback/p", accept_all([]))
        port = await listener.start()
        await listener.close()
        assert not listener.listening
        return port

    port = run_async(scenario)
    with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
        probe.connect(("127.0.0.1", port))


async def _until(condition, what: str) -> None:
    """Yield to the loop until `condition()` holds (the listener works on the same loop as the test)."""
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"never happened: {what}")


async def _closed_by_listener(reader: asyncio.StreamReader) -> bool:
    """True when the listener closed its side: EOF, or a reset when it dropped unread bytes."""
    try:
        return await reader.read() == b""
    except ConnectionResetError:
        return True


@pytest.fixture
def patient_listener(monkeypatch):
    """The listener never gives up on a slow request by itself: only close() can end a waiting connection."""
    monkeypatch.setattr("brokers.oauth2.listener.READ_TIMEOUT_S", 3600.0)


def _check_close_ends_a_waiting_connection(partial_request: bytes, *, tls: ssl.SSLContext | None = None) -> None:
    async def scenario() -> tuple[int, bool, bool]:
        listener = LoopbackListener("/callback/p", accept_all([]), tls=tls)
        port = await listener.start()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)  # plain TCP, even to a TLS listener
        try:
            if partial_request:
                writer.write(partial_request)
                await writer.drain()
            await _until(lambda: listener.open_connections == 1, "the listener took the connection")
            server_side = next(iter(listener._connections.values())).writer.transport
            await listener.close()
            server_side_closed = server_side.is_closing()
            # Unbounded on purpose: if the listener left its side open this read hangs and run_async fails.
            return listener.open_connections, server_side_closed, await _closed_by_listener(reader)
        finally:
            writer.close()
            await writer.wait_closed()

    open_connections, server_side_closed, client_saw_close = run_async(scenario, timeout=60)
    assert open_connections == 0
    assert server_side_closed
    assert client_saw_close


@pytest.mark.usefixtures("patient_listener")
def test_close_ends_a_speculative_preconnect_that_never_sends_a_request():
    """Browsers open spare connections ahead of need; one still idle when the login ends must not outlive it."""
    _check_close_ends_a_waiting_connection(b"")


@pytest.mark.usefixtures("patient_listener")
def test_close_ends_a_connection_whose_request_is_half_sent():
    _check_close_ends_a_waiting_connection(b"GET /callback/p?code=c&state=s HTTP/1.1\r\nHost: 127.0.0.1\r\n")


@pytest.mark.usefixtures("patient_listener")
def test_close_ends_a_tls_connection_that_never_starts_its_handshake():
    _check_close_ends_a_waiting_connection(b"", tls=server_context(make_loopback_certificate()))


def test_close_lets_a_page_being_answered_finish():
    received: list[dict[str, str]] = []

    async def scenario() -> tuple[bytes, int]:
        listener = LoopbackListener("/callback/p", accept_all(received))
        port = await listener.start()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(b"GET /callback/p?code=c&state=s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            await writer.drain()
            await _until(lambda: bool(received), "the callback was handed on")
            await listener.close()
            return await reader.read(), listener.open_connections
        finally:
            writer.close()
            await writer.wait_closed()

    page, open_connections = run_async(scenario, timeout=60)
    assert page.startswith(b"HTTP/1.1 200 OK\r\n")
    assert page.endswith(b"</html>\n")
    assert open_connections == 0


def test_item11_other_paths_and_methods_are_refused_and_not_handed_on():
    async def scenario() -> tuple[list[int], list[dict[str, str]]]:
        received: list[dict[str, str]] = []
        listener = LoopbackListener("/callback/mine", accept_all(received))
        port = await listener.start()
        base = f"http://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient() as http:
                statuses = [
                    (await http.get(f"{base}/callback/other?code=x&state=y")).status_code,
                    (await http.get(f"{base}/favicon.ico")).status_code,
                    (await http.post(f"{base}/callback/mine?code=x&state=y")).status_code,
                    (await http.get(f"{base}/callback/mine?code=x&code=y&state=z")).status_code,
                ]
            return statuses, received
        finally:
            await listener.close()

    statuses, received = run_async(scenario)
    assert statuses == [404, 404, 405, 400]
    assert received == []


def test_item12_the_result_page_is_escaped_static_and_never_redirects():
    hostile = '<script>alert(1)</script>"><a href="https://evil.example">'

    def refuse(params: dict[str, str]) -> str | None:
        return f"refused: {params.get('error_description', '')}"

    async def scenario() -> httpx.Response:
        listener = LoopbackListener("/callback/p", refuse)
        port = await listener.start()
        try:
            async with httpx.AsyncClient(follow_redirects=False) as http:
                return await http.get(
                    f"http://127.0.0.1:{port}/callback/p",
                    params={"error": "x", "error_description": hostile, "redirect_uri": "https://evil.example/"},
                )
        finally:
            await listener.close()

    response = run_async(scenario)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "<script>" not in response.text
    assert "&lt;script&gt;" in response.text
    assert "<a " not in response.text  # the page holds no link: nothing from the query can lead elsewhere
    assert response.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in response.headers["content-security-policy"]


def test_a_fixed_port_that_is_taken_raises_with_its_errno():
    async def scenario() -> None:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            listener = LoopbackListener("/callback/p", accept_all([]), port=taken.getsockname()[1])
            with pytest.raises(OSError, match="in use"):
                await listener.start()

    run_async(scenario)


def test_tls_listener_serves_its_self_signed_certificate(tmp_path):
    bundle = make_loopback_certificate()
    trust = tmp_path / "cert.pem"
    trust.write_bytes(certificate_pem(bundle))
    assert b"PRIVATE KEY" not in trust.read_bytes()

    async def scenario() -> tuple[str, int, list[dict[str, str]]]:
        received: list[dict[str, str]] = []
        listener = LoopbackListener("/callback/p", accept_all(received), tls=server_context(bundle))
        await listener.start()
        try:
            async with httpx.AsyncClient(verify=ssl.create_default_context(cafile=str(trust))) as http:
                response = await http.get(listener.redirect_uri, params={"code": "c", "state": "s"})
            return listener.redirect_uri, response.status_code, received
        finally:
            await listener.close()

    redirect, status, received = run_async(scenario)
    assert redirect.startswith("https://127.0.0.1:")
    assert status == 200
    assert received == [{"code": "c", "state": "s"}]


class _PageText(HTMLParser):
    """The title and the paragraphs of a page, as the trader reads them."""

    def __init__(self) -> None:
        super().__init__()
        self.title = ""
        self.paragraphs: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("title", "p"):
            self._in = tag
            if tag == "p":
                self.paragraphs.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "title":
            self.title += data
        elif self._in == "p":
            self.paragraphs[-1] += data


def page_text(html: str) -> _PageText:
    parser = _PageText()
    parser.feed(html)
    return parser


@pytest.mark.secretservice
def test_the_page_after_deny_says_once_what_happened_and_what_to_do_in_the_app(auth, vault):
    """The sandbox's consent page, Deny, and the page the app's listener answers the browser with."""
    pages: list[httpx.Response] = []

    def deny(started):
        pages.append(approve(started.url, "deny"))

    with pytest.raises(AuthorizationDenied):
        run_async(lambda: sign_in(auth.profile, vault, deny))
    (page,) = pages
    assert page.status_code == 400
    text = page_text(page.text)
    assert text.title == "Sign-in did not complete"
    assert text.paragraphs == [
        "Access was denied on the broker's page.",
        "Close this tab and return to Brokerdeck to try again.",
    ]
    words = " ".join(text.paragraphs).lower()
    assert words.count("denied") == 1
    assert words.count("again") == 1
    assert "press connect" not in words  # the browser has no Connect button; the app says what to press


def test_a_refused_callback_page_adds_what_to_do_once_to_what_happened():
    def refuse(params: dict[str, str]) -> str | None:
        return "the response belongs to another sign-in"

    async def scenario() -> httpx.Response:
        listener = LoopbackListener("/callback/p", refuse)
        port = await listener.start()
        try:
            async with httpx.AsyncClient() as http:
                return await http.get(f"http://127.0.0.1:{port}/callback/p", params={"code": "c", "state": "s"})
        finally:
            await listener.close()

    text = page_text(run_async(scenario).text)
    assert text.paragraphs == [
        "The response belongs to another sign-in.",
        "Close this tab and return to Brokerdeck to try again.",
    ]
