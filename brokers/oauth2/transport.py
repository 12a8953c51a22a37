"""The HTTP edge of the engine: one place that turns transport failures and OAuth error bodies into types.

Every request of the engine goes through `send`, so no caller can forget to map a refused connection to
`ServerUnreachable`, and no error message can carry a request body (which may hold a code or a token).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from brokers.core.profiles import is_loopback_host
from brokers.oauth2.errors import InsecureEndpoint, ServerUnreachable

#: how long the engine waits for any one OAuth server response
REQUEST_TIMEOUT_S = 20.0


def new_http_client() -> httpx.AsyncClient:
    """The engine's client: no redirects followed (a 3xx from an OAuth endpoint is an error), no cookies kept."""
    return httpx.AsyncClient(timeout=REQUEST_TIMEOUT_S, follow_redirects=False, headers={"User-Agent": "Brokerdeck"})


def where(url: str) -> str:
    """A URL fit for a message: scheme, host and path, never the query (codes and states live there)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


async def send(client: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> httpx.Response:
    try:
        return await client.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise ServerUnreachable(f"{where(url)} did not answer in time; check the connection and try again") from exc
    except httpx.TransportError as exc:
        raise ServerUnreachable(
            f"cannot reach {where(url)} ({type(exc).__name__}); check the address and the connection, then try again"
        ) from exc


def json_object(response: httpx.Response) -> dict[str, Any] | None:
    """The body as a JSON object, or None when it is anything else."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


@dataclass(frozen=True)
class OAuthErrorBody:
    """An RFC 6749 §5.2 error response, reduced to its two printable fields."""

    error: str
    description: str

    def __str__(self) -> str:
        return f"{self.error}: {self.description}" if self.description else self.error


def error_body(response: httpx.Response) -> OAuthErrorBody:
    body = json_object(response) or {}
    error = body.get("error")
    description = body.get("error_description")
    return OAuthErrorBody(
        error=error if isinstance(error, str) and error else f"HTTP {response.status_code}",
        description=description[:300] if isinstance(description, str) else "",
    )


def require_secure(url: str, what: str) -> str:
    """`url` if it is https, or http on a loopback host; InsecureEndpoint otherwise."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and is_loopback_host(parts.hostname):
        return url
    raise InsecureEndpoint(
        f"the {what} {where(url)} is not an https address; Brokerdeck only talks to authorization servers over "
        "https (plain http is allowed for 127.0.0.1 only). Check the profile's issuer."
    )
