"""Why IBKR refused an OAuth 2.0 step, as typed errors that name the one fix.

The token and SSO-session endpoints answer with RFC 9457 problem details (`title`, `detail`), not the
`{"error": …}` of `/v1/api`; a rate limit or a server error there is the same as anywhere else.
"""

from __future__ import annotations

import json

import httpx

from brokers.core.actions import NextAction
from brokers.ibkr.errors import IbkrAuthError, IbkrError, error_from_response


class IbkrClientRefused(IbkrError):
    """The access token request was refused: client id, key id, key or clock."""

    action = NextAction.SETUP_KEYS


class IbkrScopeMissing(IbkrError):
    """The client may not open SSO sessions: only IBKR can grant the scope."""

    action = NextAction.SETUP_KEYS


class IbkrSsoSessionRefused(IbkrError):
    """The SSO-session request was refused for what the profile says (username, public IP)."""

    action = NextAction.FIX_PROFILE


def problem_text(response: httpx.Response) -> str:
    """The problem's `detail` (else `title`, else `error`), or the start of a body that is not JSON."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text[:200]
    if not isinstance(body, dict):
        return ""
    return str(body.get("detail") or body.get("title") or body.get("error") or "")


def access_token_refusal(response: httpx.Response) -> IbkrError:
    status, text = response.status_code, problem_text(response)
    if status in (400, 401, 403):
        error: IbkrError = IbkrClientRefused(
            f"IBKR refused the access token request ({status}: {text or 'no detail'}). The client id or key id "
            "in the profile, or the private key in the vault, is not what IBKR registered (a new key gets a new "
            "key id), or this computer's clock is off. Compare client_id and key_id in profiles.toml with IBKR's "
            "message; `brokerdeck keys init PROFILE` prints the public key and its fingerprint to compare."
        )
    else:
        return error_from_response(response, "the access token request")
    error.status, error.detail = status, text
    return error


def sso_session_refusal(response: httpx.Response) -> IbkrError:
    status, text = response.status_code, problem_text(response)
    error: IbkrError
    if status == 401:
        error = IbkrAuthError(f"IBKR did not accept the access token for an SSO session (401: {text}). Reconnect.")
    elif status == 403:
        error = IbkrScopeMissing(
            f"IBKR refused to open an SSO session (403: {text or 'insufficient scope'}): this client id lacks the "
            "sso-sessions.write scope. Ask IBKR (api-solutions@interactivebrokers.com) to grant it."
        )
    elif 400 <= status < 429:
        error = IbkrSsoSessionRefused(
            f"IBKR refused to open an SSO session ({status}: {text or 'no detail'}). Check the profile's "
            "credential (the IBKR username the session is for) and public_ip (the address IBKR sees this "
            "computer from) in profiles.toml."
        )
    else:
        return error_from_response(response, "the SSO session request")
    error.status, error.detail = status, text
    return error
