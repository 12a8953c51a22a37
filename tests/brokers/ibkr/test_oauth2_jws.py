"""The OAuth 2.0 messages byte for byte: headers, claims and RS256 signatures, verified with `cryptography`."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from brokers.ibkr import oauth2_jws as jws
from tests.brokers.ibkr.oauth2_keys import shared_oauth2_key

NOW = 1_760_000_000.7


def b64url_decode(part: str) -> bytes:
    assert not set("=+/") & set(part), "JWS parts are unpadded base64url"
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def verified(token: str, key=None) -> tuple[dict, dict]:
    """Header and claims of `token` after checking its RS256 signature with the public key."""
    key = key or shared_oauth2_key()
    header, claims, signature = token.split(".")
    key.public_key().verify(
        b64url_decode(signature), f"{header}.{claims}".encode("ascii"), padding.PKCS1v15(), hashes.SHA256()
    )
    return json.loads(b64url_decode(header)), json.loads(b64url_decode(claims))


def test_the_client_assertion_has_ibkrs_header_claims_and_a_valid_signature():
    token = jws.client_assertion(shared_oauth2_key(), client_id="BDCLIENT1", key_id="main", now=NOW)
    header, claims = verified(token)
    assert header == {"alg": "RS256", "typ": "JWT", "kid": "main"}
    assert claims == {
        "iss": "BDCLIENT1",
        "sub": "BDCLIENT1",
        "aud": "/token",
        "exp": 1_760_000_020,
        "iat": 1_759_999_990,
    }


def test_the_sso_session_jwt_names_the_user_and_ip_and_has_no_audience():
    token = jws.sso_session_jwt(
        shared_oauth2_key(), client_id="BDCLIENT1", key_id="k2", credential="firmuser", ip="203.0.113.7", now=NOW
    )
    header, claims = verified(token)
    assert header == {"alg": "RS256", "typ": "JWT", "kid": "k2"}
    assert claims == {
        "ip": "203.0.113.7",
        "credential": "firmuser",
        "iss": "BDCLIENT1",
        "exp": 1_760_086_400,
        "iat": 1_760_000_000,
    }


def test_a_changed_claim_or_another_key_fails_verification():
    token = jws.client_assertion(shared_oauth2_key(), client_id="BDCLIENT1", key_id="main", now=NOW)
    header, claims, signature = token.split(".")
    forged = json.loads(b64url_decode(claims)) | {"aud": "https://api.ibkr.com/oauth2/api/v1/token"}
    forged_part = jws.b64url(json.dumps(forged, separators=(",", ":")).encode())
    with pytest.raises(InvalidSignature):
        verified(f"{header}.{forged_part}.{signature}")
    with pytest.raises(InvalidSignature):
        verified(token, shared_oauth2_key("other"))


def test_the_token_request_form_uses_the_rfc_7523_fields():
    form = jws.token_request_form("a.b.c", "BDCLIENT1")
    assert form == {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": "a.b.c",
        "scope": "sso-sessions.write",
        "client_id": "BDCLIENT1",
    }


def test_a_test_only_audience_is_the_one_difference():
    wrong = jws.client_assertion(
        shared_oauth2_key(), client_id="C", key_id="main", now=NOW, audience="https://api.ibkr.com/token"
    )
    assert verified(wrong)[1]["aud"] == "https://api.ibkr.com/token"


@pytest.mark.parametrize(
    ("token", "expiry"),
    [
        (jws.sign_jws(shared_oauth2_key(), "main", {"exp": 1_760_000_600}), 1_760_000_600.0),
        (jws.sign_jws(shared_oauth2_key(), "main", {"iat": 1}), None),
        (jws.sign_jws(shared_oauth2_key(), "main", {"exp": True}), None),
        ("opaque-session-token", None),
        ("a.%%%.c", None),
    ],
)
def test_the_expiry_of_an_issued_token_is_read_only_when_it_is_there(token, expiry):
    assert jws.unverified_expiry(token) == expiry
