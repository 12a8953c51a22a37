"""Credentials never reach a log line, however they are passed."""

from __future__ import annotations

import io
import logging

import pytest

from brokers.core.redaction import MASK, RedactingFilter, redact

SECRETS = {
    "query": (
        "GET /cb?code=SplxlOBeZQQYbYS6WxSbIA&state=af0ifjsldkj&iss=https://as",
        "SplxlOBeZQQYbYS6WxSbIA",
    ),
    "json": ('{"access_token": "2YotnFZFEjr1zCsicMWpAA", "expires_in": 3600}', "2YotnFZFEjr1zCsicMWpAA"),
    "form": ("grant_type=refresh_token&refresh_token=tGzv3JOkF0XG5Qx2TlKWIA", "tGzv3JOkF0XG5Qx2TlKWIA"),
    "header": ("Authorization: Bearer mF_9.B5f-4.1JqM", "mF_9.B5f-4.1JqM"),
    "oauth1": ('OAuth realm="limited_poa", oauth_signature="abc%2Bdef"', "abc%2Bdef"),
    "jwt": ("id eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", "eyJhbGciOiJSUzI1NiJ9"),
    "pem": ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "MIIEow"),
    "lst": (
        "lst 8bV6bL0Un9bhB2qvu2yD5bIvq3FcrPlqzTwZxy0MO5Q= ok",
        "8bV6bL0Un9bhB2qvu2yD5bIvq3FcrPlqzTwZxy0MO5Q=",
    ),
    "hex": ("prime 00f4c0ac1c6a120cffbea9ad3b2e8d8a1c2b4d6f", "00f4c0ac1c6a120cffbea9ad3b2e8d8a1c2b4d6f"),
    "password": ("password = 'hunter2'", "hunter2"),
    "form_code_first": ("code=SplxlOBeZQQYbYS6WxSbIA&grant_type=authorization_code", "SplxlOBeZQQYbYS6WxSbIA"),
    "json_code": ('{"code": "SplxlOBeZQ", "state": "af0"}', "SplxlOBeZQ"),
    "oauth_token": ("oauth_token=kyusb0d2ob3bhyr", "kyusb0d2ob3bhyr"),
    "client_secret": ("client_id=brokerdeck&client_secret=s3cr3tvalue", "s3cr3tvalue"),
    "basic": ("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "QWxhZGRpbjpvcGVuIHNlc2FtZQ"),
    "basic_letters": ("Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
    "header_dict": ("{'Authorization': 'Bearer mF_9.B5f-4.1JqM', 'Accept': 'json'}", "mF_9.B5f-4.1JqM"),
    "header_word": ("Authorization: Bearer abcdef", "abcdef"),
    "oauth1_header": (
        'Authorization: OAuth realm="limited_poa", oauth_token="tok3n", oauth_signature="abc%2Bdef"',
        "abc%2Bdef",
    ),
}


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_secret_shapes_are_masked(name):
    text, secret = SECRETS[name]
    cleaned = redact(text)
    assert secret not in cleaned
    assert MASK in cleaned


@pytest.mark.parametrize(
    "text",
    [
        'File "/work/main/brokers/sandbox/endpoints_and_more_words.py", line 3, in read',
        "HTTP 401 from /iserver/auth/status, status_code=401",
        "consumer_key=TESTCONS1 realm=limited_poa",
        "profile 'ibkr-paper' is ACTIVE until 2026-11-22T15:00:00+00:00",
        "OAuth sign-in for sandbox-oauth2 ended: access was denied on the broker's page; press Connect to try again",
        "OAuth profile sandbox-oauth2: access token refreshed",
        "Interactive Brokers (Client Portal Web API, OAuth 1.0a self-service keys)",
        "the server refused the Bearer token; Basic auth is not offered",
        "the broker answered error code=400",
    ],
)
def test_ordinary_text_stays_readable(text):
    assert redact(text) == text


def test_log_filter_redacts_arguments_and_tracebacks():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("test-redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("token response %s", {"refresh_token": "tGzv3JOkF0XG5Qx2TlKWIA"})
        try:
            raise ValueError("bad Authorization: Bearer mF_9.B5f-4.1JqM")
        except ValueError:
            logger.exception("request failed")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert "tGzv3JOkF0XG5Qx2TlKWIA" not in output
    assert "mF_9.B5f-4.1JqM" not in output
    assert "request failed" in output
    assert "ValueError" in output


def logged(logger_name: str, message: str, *args: object) -> str:
    """What a handler with the filter writes for one record, as `name: message`."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning(message, *args)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    return stream.getvalue().rstrip("\n")


def test_the_sign_in_line_that_was_eaten_whole_survives():
    """The login controller's "OAuth sign-in for %s ended: %s" once came out as "OAuth [REDACTED]"."""
    error = "access was denied on the broker's page; press Connect to try again"
    line = logged("app.login_controller", "OAuth sign-in for %s ended: %s", "sandbox-oauth2", error)
    assert line == f"app.login_controller: OAuth sign-in for sandbox-oauth2 ended: {error}"
    assert logged("app.login_controller", "OAuth profile %s signed in", "sandbox-oauth2") == (
        "app.login_controller: OAuth profile sandbox-oauth2 signed in"
    )


def test_a_sentence_keeps_its_words_and_loses_only_its_secret():
    line = logged(
        "app.login_controller",
        "OAuth sign-in for %s ended: the redirect %s was refused (Authorization: Bearer %s)",
        "sandbox-oauth2",
        "http://127.0.0.1:53121/callback/sandbox-oauth2?code=SplxlOBeZQQYbYS6WxSbIA&state=af0ifjsldkj",
        "mF_9.B5f-4.1JqM",
    )
    assert line == (
        "app.login_controller: OAuth sign-in for sandbox-oauth2 ended: the redirect "
        f"http://127.0.0.1:53121/callback/sandbox-oauth2?code={MASK}&state={MASK} was refused "
        f"(Authorization: {MASK})"
    )
