"""The Robinhood connector against an MCP server nobody here wrote the auth of, set up as a new user would.

The server is the SDK's own FastMCP (tests/peers/fastmcp_peer.py) as a resource server behind oidc-provider:
its RFC 9728 metadata names the issuer in pydantic's form (a trailing `/`), its tokens are oidc-provider's
JWTs. Only a profile (its URL, and its issuer since that is not the MCP URL here), `brokerdeck login`,
`brokerdeck mcp tools` and `brokerdeck mcp call`; the scope comes from the server's resource metadata.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.browser import Browser
from tests.conftest import REPO_ROOT, run_cli
from tests.peers.fastmcp_peer import free_port, running_fastmcp_peer
from tests.peers.oidc_provider import OidcProviderPeer

pytestmark = [pytest.mark.e2e, pytest.mark.secretservice]


def test_sign_in_list_tools_and_read_accounts_from_a_fastmcp_server_behind_oidc_provider(home, vault, browser: Browser):
    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    with OidcProviderPeer(extra_resource=url) as provider, running_fastmcp_peer(provider.issuer, port):
        home.config_dir.mkdir(parents=True)
        home.profiles_file.write_text(
            f'[profiles.elsewhere]\nkind = "robinhood-mcp"\nurl = "{url}"\nissuer = "{provider.issuer}"\n'
        )
        login = subprocess.Popen(
            [sys.executable, "-m", "app", "login", "elsewhere", "--no-browser"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO_ROOT,
            env=dict(os.environ),
        )
        assert login.stdout is not None
        address = login.stdout.readline().strip()
        if not address.startswith(provider.issuer):
            login.kill()
            pytest.fail(f"no sign-in address: {login.communicate(timeout=10)[1]}")
        browser.approve_oidc_provider(address)
        out, err = login.communicate(timeout=60)
        assert login.returncode == 0, err
        assert "Connected elsewhere" in out

        tools = run_cli("mcp", "tools", "elsewhere")
        assert tools.returncode == 0, tools.stderr
        listed = {line.split()[0]: line for line in tools.stdout.splitlines() if line.strip()}
        assert "read-only" in listed["get_accounts"]
        assert "write" in listed["place_equity_order"]

        call = run_cli("mcp", "call", "elsewhere", "get_accounts")
        assert call.returncode == 0, call.stderr
        accounts = json.loads(call.stdout)["data"]["accounts"]
        assert [a["account_number"] for a in accounts if a["agentic_allowed"]] == ["TP00001111"]

        write = run_cli("mcp", "call", "elsewhere", "place_equity_order", '{"symbol": "AAPL"}')
        assert write.returncode != 0
        assert "trading mode" in write.stderr
