"""Finding the authorization server: RFC 9728 resource metadata, then RFC 8414 server metadata.

Discovery is where a desktop client is most easily fooled, so every document is checked the way the
RFCs require: the resource metadata must describe exactly the resource asked for, the server metadata
must name exactly the issuer its URL was built from, every endpoint must be https (loopback aside),
and a server that does not offer S256 PKCE is refused outright.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from brokers.oauth2.errors import DiscoveryError, IssuerMismatch, PkceUnsupported, ResourceMismatch
from brokers.oauth2.transport import json_object, require_secure, send, where

_RESOURCE_METADATA = re.compile(r'resource_metadata\s*=\s*"([^"]+)"')


@dataclass(frozen=True)
class ServerMetadata:
    """The parts of an authorization server's RFC 8414 metadata the engine uses."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    registration_endpoint: str = ""
    revocation_endpoint: str = ""
    code_challenge_methods: tuple[str, ...] = ()
    iss_parameter_supported: bool = False
    scopes_supported: tuple[str, ...] = ()
    token_auth_methods: tuple[str, ...] = ("client_secret_basic",)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ServerMetadata:
        tuples = ("code_challenge_methods", "scopes_supported", "token_auth_methods")
        fields: dict[str, Any] = {
            k: tuple(v) if k in tuples else v for k, v in data.items() if k in cls.__dataclass_fields__
        }
        return cls(**fields)


@dataclass(frozen=True)
class Discovery:
    """Where to log in, and for which resource (empty when the profile names none)."""

    server: ServerMetadata
    resource: str = ""
    resource_scopes: tuple[str, ...] = ()


def well_known_url(issuer: str, suffix: str) -> str:
    """RFC 8414 §3.1: insert `/.well-known/<suffix>` between the host and the issuer's path."""
    parts = urlsplit(issuer)
    return f"{parts.scheme}://{parts.netloc}/.well-known/{suffix}{parts.path.rstrip('/')}"


def server_metadata_urls(issuer: str) -> list[str]:
    """RFC 8414 first, then OpenID Connect discovery in its inserted and appended forms."""
    urls = [well_known_url(issuer, "oauth-authorization-server"), well_known_url(issuer, "openid-configuration")]
    appended = issuer.rstrip("/") + "/.well-known/openid-configuration"
    return urls if appended in urls else [*urls, appended]


def resource_metadata_urls(resource: str) -> list[str]:
    """RFC 9728 §3.1: the path-inserted well-known URL, then the host's root one."""
    urls = [well_known_url(resource, "oauth-protected-resource")]
    parts = urlsplit(resource)
    root = f"{parts.scheme}://{parts.netloc}/.well-known/oauth-protected-resource"
    return urls if root in urls else [*urls, root]


async def discover(client: httpx.AsyncClient, issuer: str, resource: str = "") -> Discovery:
    """Check the resource (when given) and load the issuer's metadata; every mismatch is an error."""
    resource_scopes: tuple[str, ...] = ()
    if resource:
        require_secure(resource, "resource")
        document = await _resource_metadata(client, resource)
        if document is not None:
            resource_scopes = _check_resource(document, resource, issuer)
    server = await fetch_server_metadata(client, issuer)
    return Discovery(server=server, resource=resource, resource_scopes=resource_scopes)


async def fetch_server_metadata(client: httpx.AsyncClient, issuer: str) -> ServerMetadata:
    require_secure(issuer, "issuer")
    for url in server_metadata_urls(issuer):
        response = await send(client, "GET", url, headers={"Accept": "application/json"})
        if 400 <= response.status_code < 500:
            continue  # this well-known form is not served here; try the next one
        if response.status_code != 200:
            raise DiscoveryError(f"{where(url)} answered HTTP {response.status_code}; try again later")
        document = json_object(response)
        if document is None:
            raise DiscoveryError(f"{where(url)} did not return a JSON metadata document; check the issuer")
        return parse_server_metadata(document, issuer)
    raise DiscoveryError(
        f"no authorization server metadata at {issuer}: none of {', '.join(server_metadata_urls(issuer))} answered. "
        "Check the profile's issuer: it must be the server's exact issuer identifier."
    )


def parse_server_metadata(document: dict[str, Any], issuer: str) -> ServerMetadata:
    """Validate a metadata document fetched for `issuer` (RFC 8414 §3.3, MCP's PKCE rule)."""
    found = document.get("issuer")
    if found != issuer:
        raise IssuerMismatch(
            f"the metadata fetched for {issuer} names the issuer {found!r}; the two must be identical, so it "
            "is not used. If the server really is that issuer, put exactly that in the profile."
        )
    endpoints = {}
    for name in ("authorization_endpoint", "token_endpoint"):
        value = document.get(name)
        if not isinstance(value, str) or not value:
            raise DiscoveryError(f"the metadata of {issuer} has no {name}; this server cannot do a browser login")
        endpoints[name] = require_secure(value, name.replace("_", " "))
    for name in ("registration_endpoint", "revocation_endpoint"):
        value = document.get(name)
        endpoints[name] = require_secure(value, name.replace("_", " ")) if isinstance(value, str) and value else ""
    methods = _strings(document.get("code_challenge_methods_supported"))
    if "S256" not in methods:
        raise PkceUnsupported(
            f"{issuer} does not list S256 in code_challenge_methods_supported, so a login could be intercepted; "
            "Brokerdeck refuses to log in there. Ask the provider to enable PKCE (S256)."
        )
    return ServerMetadata(
        issuer=issuer,
        code_challenge_methods=methods,
        iss_parameter_supported=document.get("authorization_response_iss_parameter_supported") is True,
        scopes_supported=_strings(document.get("scopes_supported")),
        token_auth_methods=_strings(document.get("token_endpoint_auth_methods_supported")) or ("client_secret_basic",),
        **endpoints,
    )


async def _resource_metadata(client: httpx.AsyncClient, resource: str) -> dict[str, Any] | None:
    """The resource's metadata document: from its 401 challenge when it gives one, else the well-known URLs."""
    probe = await send(client, "GET", resource)
    urls = resource_metadata_urls(resource)
    if probe.status_code == 401:
        match = _RESOURCE_METADATA.search(probe.headers.get("www-authenticate", ""))
        if match:
            urls = [require_secure(match.group(1), "resource metadata URL")]
    for url in urls:
        response = await send(client, "GET", url, headers={"Accept": "application/json"})
        if 400 <= response.status_code < 500:
            continue
        document = json_object(response) if response.status_code == 200 else None
        if document is None:
            raise DiscoveryError(f"{where(url)} did not return resource metadata (HTTP {response.status_code})")
        return document
    return None  # the resource publishes no metadata: the profile's issuer is used as configured


def _check_resource(document: dict[str, Any], resource: str, issuer: str) -> tuple[str, ...]:
    found = document.get("resource")
    if found != resource:
        raise ResourceMismatch(
            f"the metadata of {resource} describes the resource {found!r}; the two must be identical (RFC 9728), so "
            "it is not used. Check the profile's resource."
        )
    servers = _strings(document.get("authorization_servers"))
    if servers and not any(names_issuer(server, issuer) for server in servers):
        raise IssuerMismatch(
            f"{resource} accepts tokens from {', '.join(servers)}, not from the profile's issuer {issuer}; "
            "set the profile's issuer to one of those."
        )
    return _strings(document.get("scopes_supported"))


def names_issuer(entry: str, issuer: str) -> bool:
    """Does an `authorization_servers` entry of resource metadata name `issuer`? Identical strings, with one allowance.

    A root issuer written with and without its lone `/` is the same server (RFC 3986 §6.2.3): resource
    metadata published with the MCP Python SDK always writes `https://as.example/` (its URL type adds the
    `/`) for an authorization server whose own issuer is `https://as.example`. The MCP SDK client allows
    exactly this, and so does Brokerdeck; an issuer with a path, and every other difference, must match
    byte for byte. The server's own metadata is never matched loosely (`parse_server_metadata`)."""
    if entry == issuer:
        return True
    shorter, longer = sorted((entry, issuer), key=len)
    parts = urlsplit(shorter)
    return bool(parts.netloc) and longer == f"{shorter}/" and shorter == f"{parts.scheme}://{parts.netloc}"


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()
