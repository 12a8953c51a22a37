"""IBKR failures as types, each with a message that tells the trader what to do.

IBKR reports most problems as an HTTP status plus a terse `error` string; `error_from_response`
turns the known ones into these types so the health view can name the one action that fixes them.
"""

from __future__ import annotations

import json

import httpx

from brokers.core.actions import NextAction
from brokers.core.errors import BrokerError


class IbkrError(BrokerError):
    """Base class; `str(error)` is a complete sentence for the trader, `action` what fixes it.

    `status` and `detail` are IBKR's HTTP status and error text when the error came from an answer."""

    action = NextAction.RETRY
    status: int | None = None
    detail: str = ""


class IbkrUnreachable(IbkrError):
    action = NextAction.RETRY


class IbkrInvalidConsumer(IbkrError):
    action = NextAction.SETUP_KEYS


class IbkrAccessTokenInvalid(IbkrError):
    action = NextAction.SETUP_KEYS


class IbkrLiveSessionTokenInvalid(IbkrError):
    action = NextAction.SETUP_KEYS


class IbkrAuthError(IbkrError):
    action = NextAction.RECONNECT


class IbkrBrokerageSessionFailed(IbkrError):
    action = NextAction.RECONNECT


class IbkrPaperGone(IbkrError):
    action = NextAction.FIX_PROFILE


class IbkrNoBridge(IbkrError):
    action = NextAction.RECONNECT


class IbkrRateLimited(IbkrError):
    action = NextAction.RETRY

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class IbkrServerError(IbkrError):
    action = NextAction.RETRY


def error_from_response(response: httpx.Response, what: str) -> IbkrError:
    """The typed error for a failed IBKR response; `what` names the request in the message."""
    error = _typed_error(response, what)
    error.status, error.detail = response.status_code, _error_text(response)
    return error


def _typed_error(response: httpx.Response, what: str) -> IbkrError:
    status = response.status_code
    text = _error_text(response)
    path = response.request.url.path if response.request else ""
    if status == 401 and "invalid consumer" in text:
        return IbkrInvalidConsumer(
            "IBKR does not accept this consumer key (invalid consumer). New self-service keys become active "
            "only after IBKR's weekend restart, about 24 h; if it persists, check the consumer key in the "
            "profile against IBKR's self-service portal."
        )
    if status == 401 and "no access secret key" in text.lower():
        return IbkrAccessTokenInvalid(
            "IBKR has no access token secret for this access token. Generate a new access token in IBKR's "
            "self-service portal, then run `brokerdeck keys init PROFILE` again with it."
        )
    if status == 401:
        return IbkrAuthError(
            f"IBKR refused {what} (401: {text or 'not authorized'}). Reconnect; if it keeps failing, generate a "
            "new access token in IBKR's self-service portal and run `brokerdeck keys init PROFILE` with it."
        )
    if status == 410 and path.endswith("/ssodh/init"):
        return IbkrPaperGone(
            "IBKR answered 410 Gone when opening the brokerage session. This is known for paper accounts on "
            "api.ibkr.com: set the profile's base_url to https://1.api.ibkr.com/v1/api (or 2.api.ibkr.com) "
            "and reconnect."
        )
    if status == 500 and "sso dh token" in text:
        return IbkrBrokerageSessionFailed(
            "IBKR could not open the brokerage session (failed to generate sso dh token). Log out of other "
            "IBKR sessions for this user (TWS, Client Portal, mobile), wait a minute, then reconnect."
        )
    if status == 400 and "no bridge" in text:
        return IbkrNoBridge(
            "There is no brokerage session (IBKR says: no bridge). Reconnect to open one; right after "
            "opening, IBKR may need a few seconds before /iserver requests work."
        )
    if status == 429:
        retry_after = _retry_after(response)
        return IbkrRateLimited(
            f"IBKR is limiting request rates (429) for {what}. Asking again too soon keeps this IP address in "
            "IBKR's penalty box (up to 10 minutes), so Brokerdeck waits before the next request.",
            retry_after,
        )
    if status >= 500:
        return IbkrServerError(f"IBKR failed to answer {what} ({status}: {text or 'server error'}). Retrying.")
    return IbkrError(
        f"IBKR refused {what} ({status}: {text or 'no detail'}). Brokerdeck retries; if it keeps failing, "
        "check the profile's base_url and account against IBKR's portal."
    )


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text[:200]
    if isinstance(body, dict):
        return str(body.get("error") or body.get("message") or "")
    return ""


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(1.0, float(response.headers.get("Retry-After", "1")))
    except ValueError:
        return 1.0
