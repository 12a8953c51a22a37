"""Sandbox-only controls of the OAuth server: its settings, a journal of requests, and switches.

Tests change the server's settings (`settings.py`: lifetimes, refresh token rotation, `iss`, the
metadata document, token-endpoint faults) over `POST /sandbox/oauth2/settings`, and read what the
client sent over `GET /sandbox/oauth2/state`. The journal keeps only facts that are not secret:
whether a state or verifier was sent, never the value, and never a token, code or client secret.

Expiry needs no waiting: `expire-access` ends every access token now, `revoke-all` every grant, and
`POST /sandbox/oauth2/advance` moves the server's clock on by some seconds for everything it has
issued (codes, access tokens, refresh horizons), so a lifetime runs out as it would in that time.
"""

from __future__ import annotations

import json
import math
import time
from collections import deque
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from brokers.sandbox.oauth2.authority import Authority

JOURNAL_LENGTH = 100
MAX_ADVANCE_S = 10 * 365 * 86400.0


class Journal:
    """The last requests to the authorization and token endpoints, as non-secret facts."""

    def __init__(self) -> None:
        self.authorize_requests: deque[dict[str, Any]] = deque(maxlen=JOURNAL_LENGTH)
        self.token_requests: deque[dict[str, Any]] = deque(maxlen=JOURNAL_LENGTH)

    def authorize(self, params: dict[str, str], outcome: str) -> None:
        self.authorize_requests.append(
            {
                "client_id": params.get("client_id"),
                "redirect_uri": params.get("redirect_uri"),
                "resource": params.get("resource"),
                "scope": params.get("scope"),
                "code_challenge_method": params.get("code_challenge_method"),
                "has_state": "state" in params,
                "outcome": outcome,
            }
        )

    @staticmethod
    def token_facts(form: dict[str, str]) -> dict[str, Any]:
        """The record of one token request; the handler fills in `client_id` and `outcome`."""
        return {
            "grant_type": form.get("grant_type"),
            "client_id": form.get("client_id"),
            "redirect_uri": form.get("redirect_uri"),
            "resource": form.get("resource"),
            "scope": form.get("scope"),
            "has_code_verifier": "code_verifier" in form,
            "outcome": None,
        }


def advance_seconds(body: Any) -> float:
    """The `seconds` of an advance request; ValueError says what is wrong with it."""
    if not isinstance(body, dict) or set(body) != {"seconds"}:
        raise ValueError("the body must be a JSON object with just 'seconds'")
    value = body["seconds"]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError("'seconds' must be a number of seconds")
    if not 0 < value <= MAX_ADVANCE_S:
        raise ValueError(f"'seconds' must be more than 0 and at most {MAX_ADVANCE_S:g}")
    return float(value)


def control_routes(authority: Authority, journal: Journal) -> list[Route]:
    """The sandbox-only routes under /sandbox/oauth2/ (never under the issuer's /auth)."""
    settings = authority.settings

    async def update_settings(request: Request) -> JSONResponse:
        try:
            settings.update(json.loads(await request.body()))
        except ValueError as exc:  # json.JSONDecodeError is a ValueError too
            return JSONResponse({"error": "bad_setting", "message": str(exc)}, status_code=400)
        return JSONResponse(settings.describe())

    async def reset(_: Request) -> JSONResponse:
        settings.reset()
        return JSONResponse(settings.describe())

    async def state(_: Request) -> JSONResponse:
        return JSONResponse(
            {
                "registrations": len(authority.clients),
                "authorize_requests": list(journal.authorize_requests),
                "token_requests": list(journal.token_requests),
                "revocations": authority.revocations,
                "active_grants": authority.active_grants(time.time()),
            }
        )

    async def revoke_all(_: Request) -> JSONResponse:
        return JSONResponse({"revoked_grants": authority.revoke_all()})

    async def expire_access(_: Request) -> JSONResponse:
        return JSONResponse({"expired_access_tokens": authority.expire_access(time.time())})

    async def advance(request: Request) -> JSONResponse:
        try:
            seconds = advance_seconds(json.loads(await request.body()))
        except ValueError as exc:
            return JSONResponse({"error": "bad_request", "message": str(exc)}, status_code=400)
        return JSONResponse({"advanced_s": seconds} | authority.advance(seconds, time.time()))

    return [
        Route("/sandbox/oauth2/settings", update_settings, methods=["POST"]),
        Route("/sandbox/oauth2/reset", reset, methods=["POST"]),
        Route("/sandbox/oauth2/state", state, methods=["GET"]),
        Route("/sandbox/oauth2/revoke-all", revoke_all, methods=["POST"]),
        Route("/sandbox/oauth2/expire-access", expire_access, methods=["POST"]),
        Route("/sandbox/oauth2/advance", advance, methods=["POST"]),
    ]
