"""An MCP server on the SDK's own FastMCP, behind oidc-provider: a peer no part of Brokerdeck wrote the auth of.

    python -m tests.peers.fastmcp_peer --issuer http://127.0.0.1:P1 --port P2

serves Streamable HTTP at http://127.0.0.1:P2/mcp as a pure resource server: FastMCP publishes the RFC 9728
metadata (with pydantic's trailing `/` on the issuer) and checks every bearer token through our verifier,
which validates oidc-provider's JWT access tokens (RFC 9068) against its /jwks: issuer, audience (this URL),
expiry and the `api:read` scope. It prints one JSON line, {"url": …}, once it accepts connections. Two tools,
shaped like a broker's: `get_accounts` (read-only) and `place_equity_order` (a write).
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import jwt
import uvicorn
from mcp.server.auth.provider import AccessToken, TokenVerifier
from mcp.server.auth.settings import AuthSettings
from mcp.server.fastmcp import FastMCP
from mcp.types import ToolAnnotations
from pydantic import BaseModel

SCOPE = "api:read"
PATH = "/mcp"


class Envelope(BaseModel):
    data: dict[str, Any]
    guide: str


class JwtVerifier(TokenVerifier):
    """oidc-provider's JWT access tokens: signed by a key in its JWKS, for this resource, not expired."""

    def __init__(self, issuer: str, resource: str) -> None:
        self._issuer = issuer
        self._resource = resource
        self._keys = jwt.PyJWKClient(f"{issuer}/jwks")

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            key = self._keys.get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token,
                key.key,
                algorithms=["RS256", "PS256", "ES256", "EdDSA"],
                audience=self._resource,
                issuer=self._issuer,
            )
        except jwt.PyJWTError:
            return None
        scopes = str(claims.get("scope", "")).split()
        return AccessToken(
            token=token,
            client_id=str(claims.get("client_id", "")),
            scopes=scopes,
            expires_at=int(claims["exp"]),
            resource=self._resource,
            subject=str(claims.get("sub", "")),
        )


def build(issuer: str, port: int) -> FastMCP:
    url = f"http://127.0.0.1:{port}{PATH}"
    server = FastMCP(
        "third-party-broker",
        token_verifier=JwtVerifier(issuer, url),
        auth=AuthSettings(
            issuer_url=issuer,  # type: ignore[arg-type]  # pydantic turns it into a URL (with a trailing slash)
            resource_server_url=url,  # type: ignore[arg-type]
            required_scopes=[SCOPE],
            validate_token_resource=True,
        ),
        streamable_http_path=PATH,
        host="127.0.0.1",
        port=port,
    )

    @server.tool(annotations=ToolAnnotations(readOnlyHint=True))
    def get_accounts() -> Envelope:
        """List the brokerage accounts this agent may see."""
        accounts = [
            {"account_number": "TP00001111", "type": "cash", "agentic_allowed": True, "state": "active"},
            {"account_number": "TP00002222", "type": "margin", "agentic_allowed": False, "state": "active"},
        ]
        return Envelope(data={"accounts": accounts}, guide="Use the agentic account.")

    @server.tool(annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=True))
    def place_equity_order(account_number: str, symbol: str, side: str, quantity: str) -> Envelope:
        """Place a real equity order."""
        return Envelope(data={"order": {"symbol": symbol, "side": side, "quantity": quantity}}, guide="")

    return server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = build(args.issuer, args.port).streamable_http_app()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=args.port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            return 1
        time.sleep(0.05)
    print(json.dumps({"url": f"http://127.0.0.1:{args.port}{PATH}"}), flush=True)
    thread.join()
    return 0


@contextmanager
def running_fastmcp_peer(issuer: str, port: int) -> Iterator[str]:
    """Start the peer for `issuer` on `port`; yields its MCP URL; stops it afterwards."""
    import subprocess

    process = subprocess.Popen(
        [sys.executable, "-m", "tests.peers.fastmcp_peer", "--issuer", issuer, "--port", str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the FastMCP peer exited with status {process.wait(timeout=10)} before it was ready")
        yield str(json.loads(line)["url"])
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


if __name__ == "__main__":
    sys.exit(main())
