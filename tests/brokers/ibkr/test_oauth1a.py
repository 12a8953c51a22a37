"""IBKR's OAuth 1.0a dialect against independent published vectors and a server written from the spec."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import time
from pathlib import Path
from urllib.parse import quote, unquote, unquote_plus

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import event, given, settings
from hypothesis import strategies as st

from brokers.ibkr import oauth1a
from brokers.ibkr.oauth1a import OAuth1aInputError

# RFC 3526 group 14; a test below checks it against the prime of the published vectors.
from brokers.ibkr.sandbox_setup import RFC3526_GROUP14_PRIME as RFC3526_P14

VECTORS = json.loads((Path(__file__).parent / "vectors" / "oauth1a-vectors.json").read_text("utf-8"))
DH_CASES = {case["name"]: case for case in VECTORS["diffieHellman"]}
LST_URL = "https://api.ibkr.com/v1/api/oauth/live_session_token"


@pytest.fixture(scope="module")
def rsa_keys() -> dict[str, rsa.RSAPrivateKey]:
    """Generated once per module: 2048-bit generation is slow."""
    return {name: rsa.generate_private_key(65537, 2048) for name in ("signature", "encryption", "other")}


def parse_authorization(header: str) -> dict[str, str]:
    """The server's view of an Authorization header, written independently of the client code."""
    assert header.startswith("OAuth ")
    fields = {}
    for part in header.removeprefix("OAuth ").split(", "):
        match = re.fullmatch(r'([a-z_]+)="([^"]*)"', part)
        assert match, part
        fields[match.group(1)] = match.group(2)
    return fields


def java_style_k_bytes(k: int) -> bytes:
    """K as IBKR's published Python sample encodes it: hex, even length, a zero byte when bits % 8 == 0."""
    hex_k = format(k, "x")
    raw = bytes.fromhex(hex_k if len(hex_k) % 2 == 0 else "0" + hex_k)
    return bytes(1) + raw if k.bit_length() % 8 == 0 else raw


@pytest.mark.parametrize(
    ("value", "expected"),
    [(255, "00ff"), (127, "7f"), (256, "0100"), (65535, "00ffff"), (0, "00"), (128, "0080"), (15, "0f")],
)
def test_java_bigint_bytes(value, expected):
    assert oauth1a.java_bigint_bytes(value).hex() == expected
    with pytest.raises(ValueError, match="non-negative"):
        oauth1a.java_bigint_bytes(-value - 1)


def test_the_vectors_use_the_rfc3526_group():
    assert all(int(case["primeHex"], 16) == RFC3526_P14 and case["generator"] == 2 for case in DH_CASES.values())


@pytest.mark.parametrize("name", sorted(DH_CASES))
def test_dh_challenge_matches_the_vectors(name):
    case = DH_CASES[name]
    challenge = oauth1a.dh_challenge(int(case["clientPrivateHex"], 16), int(case["primeHex"], 16), case["generator"])
    assert challenge == case["clientChallengeHex"]


def test_dh_challenge_is_bare_lowercase_hex():
    assert oauth1a.dh_challenge(4, 1_000_003) == "10"
    assert oauth1a.dh_challenge(1, 1_000_003, generator=171) == "ab"


def test_new_dh_secret_is_fresh_and_256_bits_at_most():
    secrets = {oauth1a.new_dh_secret() for _ in range(20)}
    assert len(secrets) == 20
    assert all(1 < secret < 2**256 for secret in secrets)


@pytest.mark.parametrize("name", sorted(DH_CASES))
def test_live_session_token_matches_the_vectors(name):
    case = DH_CASES[name]
    shared = pow(int(case["serverResponseHex"], 16), int(case["clientPrivateHex"], 16), int(case["primeHex"], 16))
    assert shared.bit_length() == case["sharedSecretBitLength"]
    lst = oauth1a.compute_live_session_token(
        case["primeHex"], case["clientPrivateHex"], case["serverResponseHex"], case["prependHex"]
    )
    assert lst == case["liveSessionToken"]


@pytest.mark.parametrize("name", sorted(DH_CASES))
def test_live_session_token_of_the_vectors_validates(name):
    case = DH_CASES[name]
    assert oauth1a.validate_live_session_token(
        case["liveSessionToken"], case["liveSessionTokenSignature"], case["consumerKey"]
    )
    assert oauth1a.validate_live_session_token(
        case["liveSessionToken"], case["liveSessionTokenSignature"].upper(), case["consumerKey"]
    )
    assert not oauth1a.validate_live_session_token(
        case["liveSessionToken"], case["liveSessionTokenSignature"], "OTHERCONS"
    )
    assert not oauth1a.validate_live_session_token(
        base64.b64encode(bytes(20)).decode(), case["liveSessionTokenSignature"], case["consumerKey"]
    )
    assert not oauth1a.validate_live_session_token("not base64!", case["liveSessionTokenSignature"], "TESTCONS")


def test_the_vectors_cover_both_encodings_of_k():
    """One shared secret fills whole bytes (sign byte added), one does not: both paths are pinned."""
    whole_bytes = set()
    for case in DH_CASES.values():
        shared = pow(int(case["serverResponseHex"], 16), int(case["clientPrivateHex"], 16), int(case["primeHex"], 16))
        whole_bytes.add(shared.bit_length() % 8 == 0)
    assert whole_bytes == {True, False}


@pytest.mark.parametrize("name", sorted(DH_CASES))
def test_dropping_the_sign_byte_breaks_exactly_the_padded_vector(name):
    case = DH_CASES[name]
    shared = pow(int(case["serverResponseHex"], 16), int(case["clientPrivateHex"], 16), int(case["primeHex"], 16))
    unsigned = shared.to_bytes((shared.bit_length() + 7) // 8, "big")
    digest = hmac.new(unsigned, bytes.fromhex(case["prependHex"]), hashlib.sha1).digest()
    matches = base64.b64encode(digest).decode() == case["liveSessionToken"]
    assert matches is (shared.bit_length() % 8 != 0)


def test_base_string_matches_the_vector():
    vector = VECTORS["baseString"]
    base = oauth1a.base_string(vector["method"], vector["url"], vector["params"])
    assert base == vector["expected"]
    assert unquote(base.split("&")[2]) == vector["normalizedParams"]


@pytest.mark.parametrize(("raw", "encoded"), sorted(VECTORS["percentEncoding"].items()))
def test_percent_encoding_matches_the_vectors(raw, encoded):
    assert oauth1a.base_string("GET", raw, {}) == f"GET&{encoded}&"
    assert oauth1a.base_string("GET", "u", {"k": raw}) == f"GET&u&{quote('k=', safe='')}{encoded}"


def test_base_string_puts_the_prepend_raw_in_front_without_a_separator():
    base = oauth1a.base_string("post", "https://api.ibkr.com/x", {"b": "2", "a": "1"}, prepend="deadbeef")
    assert base == "deadbeefPOST&https%3A%2F%2Fapi.ibkr.com%2Fx&a%3D1%26b%3D2"


def test_base_string_leaves_the_query_out():
    url = "https://api.ibkr.com/v1/api/iserver/marketdata/snapshot"
    params = {"oauth_token": "t"}
    assert oauth1a.base_string("GET", f"{url}?conids=265598&fields=31,84", params) == oauth1a.base_string(
        "GET", url, params
    )


def test_rsa_signature_verifies_with_the_public_key(rsa_keys):
    key = rsa_keys["signature"]
    base = oauth1a.base_string("POST", LST_URL, {"a": "1"}, prepend="00ff")
    signature = oauth1a.rsa_sha256_signature(key, base)
    assert re.fullmatch(r"[A-Za-z0-9%]+", signature)
    raw = base64.b64decode(unquote_plus(signature))
    key.public_key().verify(raw, base.encode(), padding.PKCS1v15(), hashes.SHA256())


def test_hmac_signature_is_form_encoded_base64_of_hmac_sha256():
    lst = base64.b64encode(os.urandom(20)).decode()
    signature = oauth1a.hmac_sha256_signature(lst, "GET&u&p")
    expected = hmac.new(base64.b64decode(lst), b"GET&u&p", hashlib.sha256).digest()
    assert base64.b64decode(unquote_plus(signature)) == expected
    assert not set("+/=") & set(signature)


def test_authorization_header_has_realm_first_then_sorted_quoted_params():
    header = oauth1a.authorization_header({"oauth_token": "tok", "oauth_consumer_key": "TESTCONS1"}, "limited_poa")
    assert header == 'OAuth realm="limited_poa", oauth_consumer_key="TESTCONS1", oauth_token="tok"'


def test_oauth_params_defaults_and_overrides():
    before = int(time.time())
    params = oauth1a.oauth_params("TESTCONS1", "tok", "HMAC-SHA256")
    after = time.time()
    assert set(params) == {
        "oauth_consumer_key",
        "oauth_nonce",
        "oauth_signature_method",
        "oauth_timestamp",
        "oauth_token",
    }
    assert re.fullmatch(r"[A-Za-z0-9]{16}", params["oauth_nonce"])
    assert re.fullmatch(r"\d{10}", params["oauth_timestamp"])
    assert before <= int(params["oauth_timestamp"]) <= after  # the time it was made, in whole seconds
    fixed = oauth1a.oauth_params("C", "T", "RSA-SHA256", nonce="n0nce", timestamp=1714489440)
    assert fixed["oauth_nonce"] == "n0nce"
    assert fixed["oauth_timestamp"] == "1714489440"


def test_lst_request_headers_verify_as_the_server_would(rsa_keys):
    key, secret = rsa_keys["signature"], oauth1a.new_dh_secret()
    headers = oauth1a.lst_request_headers(
        LST_URL,
        consumer_key="TESTCONS1",
        access_token="e84c11dc149cb96ee5bb",
        prepend="518c3b7a",
        signature_key=key,
        realm="limited_poa",
        dh_prime=RFC3526_P14,
        dh_secret=secret,
    )
    assert headers["Accept"] == "*/*"
    assert headers["User-Agent"] == "brokerdeck"
    fields = parse_authorization(headers["Authorization"])
    assert fields.pop("realm") == "limited_poa"
    signature = fields.pop("oauth_signature")
    assert fields["oauth_signature_method"] == "RSA-SHA256"
    assert int(fields["diffie_hellman_challenge"], 16) == pow(2, secret, RFC3526_P14)
    base = "518c3b7a" + oauth1a.base_string("POST", LST_URL, fields)
    key.public_key().verify(
        base64.b64decode(unquote_plus(signature)), base.encode(), padding.PKCS1v15(), hashes.SHA256()
    )


def test_signed_request_headers_sign_the_url_without_its_query():
    lst = base64.b64encode(os.urandom(20)).decode()
    url = "https://api.ibkr.com/v1/api/iserver/marketdata/snapshot"
    headers = oauth1a.signed_request_headers(
        "get", f"{url}?conids=265598", consumer_key="TESTCONS1", access_token="tok", live_session_token=lst, realm="r"
    )
    fields = parse_authorization(headers["Authorization"])
    assert fields.pop("realm") == "r"
    signature = fields.pop("oauth_signature")
    assert fields["oauth_signature_method"] == "HMAC-SHA256"
    assert "diffie_hellman_challenge" not in fields
    base = "GET&" + quote(url, safe="") + "&" + quote("&".join(f"{k}={v}" for k, v in sorted(fields.items())), safe="")
    expected = hmac.new(base64.b64decode(lst), base.encode(), hashlib.sha256).digest()
    assert base64.b64decode(unquote_plus(signature)) == expected


def test_decrypt_prepend_round_trips_and_tolerates_line_breaks(rsa_keys):
    key = rsa_keys["encryption"]
    plain = os.urandom(32)
    secret = base64.b64encode(key.public_key().encrypt(plain, padding.PKCS1v15())).decode()
    wrapped = "\n".join(secret[i : i + 64] for i in range(0, len(secret), 64))
    assert oauth1a.decrypt_prepend(key, secret) == plain.hex()
    assert oauth1a.decrypt_prepend(key, f"  {wrapped}\n") == plain.hex()


def test_decrypt_prepend_with_a_wrong_key_says_so(rsa_keys):
    plain = os.urandom(20)
    secret = base64.b64encode(rsa_keys["encryption"].public_key().encrypt(plain, padding.PKCS1v15())).decode()
    with pytest.raises(OAuth1aInputError, match="does not decrypt with this encryption key: it was issued for another"):
        oauth1a.decrypt_prepend(rsa_keys["other"], secret)
    with pytest.raises(OAuth1aInputError, match="copied incompletely"):
        oauth1a.decrypt_prepend(rsa_keys["encryption"], secret[:340])
    assert issubclass(OAuth1aInputError, ValueError)


def test_decrypt_prepend_refuses_garbled_base64(rsa_keys):
    with pytest.raises(OAuth1aInputError, match="not valid base64: copy it again"):
        oauth1a.decrypt_prepend(rsa_keys["encryption"], "abc$def")


@settings(max_examples=150, deadline=None, database=None)
@given(
    client_secret=st.integers(min_value=2, max_value=2**256 - 1),
    server_secret=st.integers(min_value=2, max_value=2**256 - 1),
    secret_plain=st.binary(min_size=20, max_size=32),
)
def test_a_full_dh_round_trip_yields_a_validating_lst(client_secret, server_secret, secret_plain):
    challenge = int(oauth1a.dh_challenge(client_secret, RFC3526_P14), 16)
    # The server side, from the spec: B = g^b, K = A^b, LST = HMAC-SHA1(K as Java bytes, secret).
    response = pow(2, server_secret, RFC3526_P14)
    shared = pow(challenge, server_secret, RFC3526_P14)
    server_lst = hmac.new(java_style_k_bytes(shared), secret_plain, hashlib.sha1).digest()
    server_signature = hmac.new(server_lst, b"TESTCONS1", hashlib.sha1).hexdigest()

    lst = oauth1a.compute_live_session_token(
        format(RFC3526_P14, "x"), format(client_secret, "x"), format(response, "x"), secret_plain.hex()
    )
    assert lst == base64.b64encode(server_lst).decode()
    assert oauth1a.validate_live_session_token(lst, server_signature, "TESTCONS1")
    event(f"K fills whole bytes: {shared.bit_length() % 8 == 0}")
    if shared.bit_length() % 8 == 0:
        unsigned = java_style_k_bytes(shared)[1:]
        wrong = base64.b64encode(hmac.new(unsigned, secret_plain, hashlib.sha1).digest()).decode()
        assert wrong != lst
        assert not oauth1a.validate_live_session_token(wrong, server_signature, "TESTCONS1")
