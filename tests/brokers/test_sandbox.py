"""The sandbox server, its CLI and its endpoints file, over real HTTP on loopback."""

from __future__ import annotations

import argparse
import json
import os
import signal
import stat
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.sandbox import sandbox_profiles
from brokers.core.profiles import ProfileOrigin
from brokers.ibkr.profile import IbkrProfile
from brokers.oauth2.profile import OAuth2Profile
from brokers.registry import REGISTRY
from brokers.sandbox.cli import add_arguments
from brokers.sandbox.control import ControlService
from brokers.sandbox.endpoints import SandboxEndpoints, read_endpoints, write_endpoints
from brokers.sandbox.market import DEFAULT_INSTRUMENTS, MAX_BOOK_LEVELS
from brokers.sandbox.server import SandboxServer
from brokers.sandbox.services import SandboxContext
from tests.conftest import run_async
from tests.waiting import until

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_WAIT_S = 15.0
AAPL = DEFAULT_INSTRUMENTS[0].conid


class EchoService:
    """A second service, to see that each emulator gets its own port and its own routes."""

    name = "echo"

    def build_app(self, context: SandboxContext) -> Starlette:
        async def whoami(_: Request) -> JSONResponse:
            return JSONResponse({"service": self.name, "peers": context.services})

        return Starlette(routes=[Route("/whoami", whoami)])

    def profiles(self, urls: Mapping[str, str]) -> list[dict[str, Any]]:
        table = {"name": "sandbox-ibkr", "kind": "ibkr-oauth1a", "base_url": urls[self.name]}
        return [table | {"consumer_key": "TESTCONS1"}]


def endpoints_of(seed: int = 1, pid: int | None = None) -> SandboxEndpoints:
    return SandboxEndpoints(
        pid=os.getpid() if pid is None else pid,
        seed=seed,
        started_at="2026-01-01T00:00:00+00:00",
        services={"control": "http://127.0.0.1:1"},
    )


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


# ---- the command line, as a real process ---------------------------------------------------


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_cli_serves_until_a_signal_then_exits_0_and_removes_the_file(
    tmp_path: Path, stop_signal: signal.Signals
) -> None:
    endpoints_file = tmp_path / "endpoints.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "brokers.sandbox", "--seed", "5", "--endpoints-file", str(endpoints_file)],
        cwd=REPO_ROOT,
        env={**os.environ, "BROKERDECK_HOME": str(tmp_path / "home")},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        endpoints = until(
            lambda: read_endpoints(endpoints_file) or proc.poll() is not None,
            STARTUP_WAIT_S,
            message="the sandbox to write its endpoints file (or exit)",
        )
        assert isinstance(endpoints, SandboxEndpoints), f"the sandbox did not start: {proc.poll()=}"
        assert endpoints.pid == proc.pid
        assert endpoints.seed == 5
        assert stat.S_IMODE(endpoints_file.stat().st_mode) == 0o600
        control = endpoints.services["control"]
        health = httpx.get(f"{control}/health", timeout=10)
        assert health.status_code == 200
        assert health.json()["status"] == "ok"
        assert health.json()["seed"] == 5

        proc.send_signal(stop_signal)
        out, err = proc.communicate(timeout=STARTUP_WAIT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert not endpoints_file.exists()
    assert ["control", control] in [line.split() for line in out.splitlines()]
    assert f"endpoints file: {endpoints_file}" in out.splitlines()


def test_the_sandbox_modules_import_no_qt_and_the_endpoints_reader_no_server() -> None:
    probe = (
        "import sys, brokers.sandbox.endpoints;"
        "server = {'uvicorn', 'starlette'} & set(sys.modules);"
        "assert not server, server;"
        "import brokers.sandbox.__main__, brokers.sandbox.server;"
        "qt = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'qasync', 'pyqtgraph', 'shiboken6')];"
        "assert not qt, qt"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


# ---- the server, in this process -----------------------------------------------------------


def test_context_manager_serves_and_publishes_then_cleans_up(tmp_path: Path) -> None:
    endpoints_file = tmp_path / "sandbox" / "endpoints.json"

    async def scenario() -> None:
        handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        async with SandboxServer(seed=7, endpoints_path=endpoints_file) as sb:
            assert {sig: signal.getsignal(sig) for sig in handlers} == handlers, "the host's signals were taken"
            assert read_endpoints(endpoints_file) == sb.endpoints
            assert [p["name"] for p in sb.endpoints.profiles] == [
                "sandbox-ibkr",
                "sandbox-ibkr-oauth2",
                "sandbox-oauth2",
                "sandbox-schwab",
                "sandbox-robinhood",
            ]
            control = sb.endpoints.services["control"]
            async with httpx.AsyncClient(base_url=control, timeout=10) as client:
                health = (await client.get("/health")).json()
                instruments = (await client.get("/market/instruments")).json()
        assert health["seed"] == 7
        assert health["uptime_s"] >= 0
        assert [i["conid"] for i in instruments] == [i.conid for i in DEFAULT_INSTRUMENTS]
        assert not endpoints_file.exists()

    run_async(scenario)


def test_each_service_gets_its_own_port_and_only_its_own_routes() -> None:
    async def scenario() -> None:
        async with SandboxServer(emulators=(ControlService(), EchoService())) as sb:
            services = sb.endpoints.services
            assert set(services) == {"control", "echo"}
            assert httpx.URL(services["control"]).port != httpx.URL(services["echo"]).port
            assert all(httpx.URL(url).host == "127.0.0.1" for url in services.values())
            async with httpx.AsyncClient(timeout=10) as client:
                echo = await client.get(f"{services['echo']}/whoami")
                assert echo.json() == {"service": "echo", "peers": services}
                assert (await client.get(f"{services['echo']}/health")).status_code == 404
                assert (await client.get(f"{services['control']}/whoami")).status_code == 404
                assert (await client.get(f"{services['control']}/health")).status_code == 200
            profiles = sandbox_profiles(sb.endpoints, REGISTRY.schema).profiles
        assert [(p.name, p.origin) for p in profiles] == [("sandbox-ibkr", ProfileOrigin.SANDBOX)]
        assert isinstance(profiles[0], IbkrProfile)
        assert profiles[0].base_url == services["echo"]

    run_async(scenario)


NON_LOOPBACK_HOSTS = ["0.0.0.0", "::", "192.168.1.10", "example.com", "localhost"]  # noqa: S104


@pytest.mark.parametrize("host", NON_LOOPBACK_HOSTS)
def test_non_loopback_hosts_and_duplicate_service_names_are_refused(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        SandboxServer(host=host)
    with pytest.raises(ValueError, match="unique"):
        SandboxServer(emulators=(ControlService(), ControlService()))


def test_stopping_keeps_an_endpoints_file_that_another_sandbox_has_taken_over(tmp_path: Path) -> None:
    endpoints_file = tmp_path / "endpoints.json"
    other = endpoints_of(seed=99)

    async def scenario() -> None:
        async with SandboxServer(endpoints_path=endpoints_file):
            write_endpoints(endpoints_file, other)

    run_async(scenario)
    assert read_endpoints(endpoints_file) == other


def test_market_book_answers_and_rejects_bad_requests() -> None:
    async def scenario() -> None:
        async with (
            SandboxServer(seed=3) as sb,
            httpx.AsyncClient(base_url=sb.endpoints.services["control"], timeout=10) as client,
        ):
            first = await client.get(f"/market/book/{AAPL}", params={"levels": 5})
            second = await client.get(f"/market/book/{AAPL}")
            unknown = await client.get("/market/book/1")
            not_a_number = await client.get("/market/book/AAPL")
            bad_levels = [
                await client.get(f"/market/book/{AAPL}", params={"levels": levels})
                for levels in ("0", str(MAX_BOOK_LEVELS + 1), "ten", "-3")
            ]
        assert first.status_code == 200
        book = first.json()
        assert book["symbol"] == "AAPL"
        assert len(book["bids"]) == len(book["asks"]) == 5
        assert book["bids"][0]["price"] < book["asks"][0]["price"]
        assert len(second.json()["bids"]) == 10
        assert second.json()["seq"] > book["seq"], "each request should advance the market"
        for response in (unknown, not_a_number):
            assert response.status_code == 404
            assert response.json()["error"] == "unknown_conid"
        for response in bad_levels:
            assert response.status_code == 400
            assert response.json()["error"] == "bad_levels"

    run_async(scenario)


def test_the_instruments_option_sizes_the_market_every_service_sees() -> None:
    parser = argparse.ArgumentParser(exit_on_error=False)
    add_arguments(parser)
    for bad in ("0", "1001", "ten"):
        with pytest.raises(argparse.ArgumentError):
            parser.parse_args(["--instruments", bad])
    count = parser.parse_args(["--instruments", "100"]).instruments

    async def scenario() -> list[dict[str, Any]]:
        async with (
            SandboxServer(emulators=(ControlService(),), instruments=count) as sb,
            httpx.AsyncClient(base_url=sb.endpoints.services["control"], timeout=10) as client,
        ):
            return list((await client.get("/market/instruments")).json())

    listed = run_async(scenario)
    assert parser.parse_args([]).instruments == len(DEFAULT_INSTRUMENTS)
    assert len(listed) == 100
    assert [i["symbol"] for i in listed[-2:]] == ["SYN0094", "SYN0095"]


# ---- the endpoints file --------------------------------------------------------------------


def test_endpoints_round_trip_through_the_file(tmp_path: Path) -> None:
    path = tmp_path / "endpoints.json"
    endpoints = endpoints_of(seed=4)
    write_endpoints(path, endpoints)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_endpoints(path) == endpoints
    assert SandboxEndpoints.from_json(endpoints.to_json()) == endpoints


def test_read_endpoints_ignores_a_file_left_by_a_dead_sandbox(tmp_path: Path) -> None:
    path = tmp_path / "endpoints.json"
    write_endpoints(path, endpoints_of(pid=dead_pid()))
    assert read_endpoints(path) is None


@pytest.mark.parametrize(
    "content",
    [
        b"not json at all",
        b"\xff\xfe\x00",
        b"[]",
        b'{"pid": "1", "seed": 1, "started_at": "x", "services": {}}',
        b'{"pid": 1, "seed": 1, "started_at": "x", "services": {"control": 5}}',
        b'{"pid": 1, "seed": 1, "started_at": "x", "services": {}, "profiles": [{"kind": "oauth2"}]}',
    ],
)
def test_read_endpoints_ignores_garbage_and_a_missing_file(tmp_path: Path, content: bytes) -> None:
    assert read_endpoints(tmp_path / "nothing-here.json") is None
    path = tmp_path / "endpoints.json"
    path.write_bytes(content.replace(b'"pid": 1,', f'"pid": {os.getpid()},'.encode()))
    assert read_endpoints(path) is None


def test_sandbox_profiles_are_built_from_the_tables_with_origin_sandbox() -> None:
    tables = (
        {"name": "sandbox-ibkr", "kind": "ibkr-oauth1a", "base_url": "http://127.0.0.1:1", "consumer_key": "C1"},
        {"name": "sandbox-oauth", "kind": "oauth2", "issuer": "http://127.0.0.1:2", "scopes": ["offline_access"]},
        {"name": "from-the-future", "kind": "telepathy"},
        {"name": "odd-field", "kind": "oauth2", "issuer": "http://127.0.0.1:2", "colour": "blue"},
    )
    endpoints = SandboxEndpoints(pid=1, seed=1, started_at="x", services={}, profiles=tables)
    text = endpoints.to_json()
    assert json.loads(text)["profiles"][1]["scopes"] == ["offline_access"]
    profiles = sandbox_profiles(SandboxEndpoints.from_json(text), REGISTRY.schema).profiles
    assert [type(p) for p in profiles] == [IbkrProfile, OAuth2Profile]
    assert all(p.origin is ProfileOrigin.SANDBOX for p in profiles)
    ibkr, oauth = profiles
    assert isinstance(ibkr, IbkrProfile)
    assert (ibkr.name, ibkr.base_url, ibkr.consumer_key) == ("sandbox-ibkr", "http://127.0.0.1:1", "C1")
    assert isinstance(oauth, OAuth2Profile)
    assert oauth.scopes == ("offline_access",)
