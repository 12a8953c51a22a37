"""The loopback listener on its own, over real sockets: what it binds, what it serves, when it closes."""

from __future__ import annotations

import socket
import ssl

import httpx
import pytest

from brokers.oauth2.listener import LoopbackListener
from brokers.oauth2.tls import certificate_pem, make_loopback_certificate, server_context
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
