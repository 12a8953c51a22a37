"""Key material for IBKR self-service setup: what IBKR would reject later is rejected here, precisely."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from brokers.ibkr import keys
from brokers.ibkr.keys import KeyMaterialError
from tests.brokers.ibkr.test_oauth1a import RFC3526_P14


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    """Generated once per module: 2048-bit generation is slow."""
    return keys.generate_rsa_key()


@pytest.fixture(scope="module")
def secret(key: rsa.RSAPrivateKey) -> str:
    """A real access token secret: base64 of a 2048-bit RSA PKCS#1 v1.5 ciphertext."""
    return base64.b64encode(key.public_key().encrypt(bytes(range(32)), padding.PKCS1v15())).decode()


def test_generated_keys_are_2048_bit_rsa(key):
    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.key_size == 2048
    with pytest.raises(KeyMaterialError, match="at least 2048 bits, not 1024"):
        keys.generate_rsa_key(1024)


def test_private_key_pem_is_unencrypted_pkcs8_and_loads_back(key):
    pem = keys.private_key_pem(key)
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----\n")
    assert keys.load_private_key(pem).private_numbers() == key.private_numbers()
    assert keys.load_private_key(pem.decode()).private_numbers() == key.private_numbers()


def test_pkcs1_private_keys_load_too(key):
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    assert pem.startswith(b"-----BEGIN RSA PRIVATE KEY-----")
    assert keys.load_private_key(pem).private_numbers() == key.private_numbers()


def test_public_key_pem_has_lf_line_endings_only(key):
    pem = keys.public_key_pem(key)
    assert pem.startswith("-----BEGIN PUBLIC KEY-----\n")
    assert pem.endswith("-----END PUBLIC KEY-----\n")
    assert "\r" not in pem
    assert serialization.load_pem_public_key(pem.encode()).public_numbers() == key.public_key().public_numbers()


def test_fingerprint_is_sha256_of_the_der_public_key(key):
    fingerprint = keys.public_key_fingerprint(key)
    assert re.fullmatch(r"([0-9A-F]{2}:){31}[0-9A-F]{2}", fingerprint)
    der = base64.b64decode("".join(keys.public_key_pem(key).splitlines()[1:-1]))
    assert fingerprint.replace(":", "") == hashlib.sha256(der).hexdigest().upper()


@pytest.mark.parametrize("loader", [keys.load_private_key, keys.load_dh_prime])
def test_crlf_files_are_refused_with_the_fix(key, loader):
    pem = keys.private_key_pem(key) if loader is keys.load_private_key else keys.dh_params_pem(RFC3526_P14).encode()
    with pytest.raises(KeyMaterialError, match=r"Windows line endings \(CRLF\), which IBKR's portal rejects"):
        loader(pem.replace(b"\n", b"\r\n"))
    with pytest.raises(KeyMaterialError, match="dos2unix"):
        loader(pem.decode().replace("\n", "\r\n"))


def test_a_public_key_is_not_taken_for_a_private_key(key):
    with pytest.raises(
        KeyMaterialError, match=r"holds a PEM 'PUBLIC KEY' block.*expected an unencrypted 'PRIVATE KEY'"
    ):
        keys.load_private_key(keys.public_key_pem(key))


def test_dh_parameters_are_not_taken_for_a_private_key():
    with pytest.raises(KeyMaterialError, match="holds a PEM 'DH PARAMETERS' block"):
        keys.load_private_key(keys.dh_params_pem(RFC3526_P14))


def test_a_private_key_is_not_taken_for_dh_parameters(key):
    with pytest.raises(KeyMaterialError, match="holds a PEM 'PRIVATE KEY' block; expected a 'DH PARAMETERS' block"):
        keys.load_dh_prime(keys.private_key_pem(key))


@pytest.mark.parametrize("loader", [keys.load_private_key, keys.load_dh_prime])
def test_text_that_is_no_pem_at_all(loader):
    with pytest.raises(KeyMaterialError, match="is not a PEM file"):
        loader("ssh-rsa AAAAB3NzaC1yc2E user@host\n")


def test_a_passphrase_protected_key_is_refused_with_the_reason(key):
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pass"),
    )
    with pytest.raises(KeyMaterialError, match="'ENCRYPTED PRIVATE KEY' block \\(it is passphrase-protected"):
        keys.load_private_key(pem)


def test_a_damaged_private_key_is_refused():
    pem = "-----BEGIN PRIVATE KEY-----\nAAAAAAAA\n-----END PRIVATE KEY-----\n"
    with pytest.raises(KeyMaterialError, match="damaged"):
        keys.load_private_key(pem)


def test_a_non_rsa_key_is_refused():
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(KeyMaterialError, match="is an elliptic-curve \\(EC\\) key; IBKR needs an RSA key"):
        keys.load_private_key(pem)


def test_an_rsa_key_under_2048_bits_is_refused():
    small = rsa.generate_private_key(65537, 1024).private_bytes(  # noqa: S505 - the point of the test
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(KeyMaterialError, match="has 1024 bits; IBKR requires at least 2048"):
        keys.load_private_key(small)


def test_dh_params_pem_is_pkcs3_like_openssl_dhparam_writes_it():
    pem = keys.dh_params_pem(RFC3526_P14)
    lines = pem.split("\n")
    assert lines[0] == "-----BEGIN DH PARAMETERS-----"
    assert lines[-2:] == ["-----END DH PARAMETERS-----", ""]
    assert all(len(line) == 64 for line in lines[1:-3])
    der = base64.b64decode("".join(lines[1:-2]))
    # SEQUENCE (264 bytes) { INTEGER (257 bytes: 0x00 + p), INTEGER 2 }
    assert der[:9] == bytes.fromhex("308201080282010100")
    assert der[9:265] == RFC3526_P14.to_bytes(256, "big")
    assert der[265:] == bytes.fromhex("020102")
    assert keys.load_dh_prime(pem) == RFC3526_P14
    assert keys.load_dh_prime(pem.encode()) == RFC3526_P14


def test_a_generator_other_than_2_is_refused():
    der = base64.b64decode("".join(keys.dh_params_pem(RFC3526_P14).splitlines()[1:-1]))
    assert der.endswith(b"\x02\x01\x02")
    body = base64.b64encode(der[:-1] + b"\x05").decode()
    pem = "-----BEGIN DH PARAMETERS-----\n" + "\n".join(re.findall(".{1,64}", body)) + "\n-----END DH PARAMETERS-----\n"
    with pytest.raises(KeyMaterialError, match="use generator 5; IBKR uses generator 2"):
        keys.load_dh_prime(pem)


def test_generated_dh_primes_are_safe_primes_for_generator_2():
    prime = keys.generate_dh_prime(512)  # 2048 bits would take far too long for a unit test
    assert prime.bit_length() == 512
    assert prime % 24 == 23  # OpenSSL's condition for a safe prime with generator 2
    assert keys.load_dh_prime(keys.dh_params_pem(prime)) == prime


def test_access_token_secret_is_normalised(secret):
    assert len(secret) == 344
    pasted = "  " + "\n".join(secret[i : i + 76] for i in range(0, 344, 76)) + "\r\n"
    assert keys.parse_access_token_secret(pasted) == secret


def test_a_truncated_access_token_secret_says_it_was_cut_off(secret):
    with pytest.raises(KeyMaterialError) as raised:
        keys.parse_access_token_secret(secret[:340])
    assert str(raised.value) == (
        "The access token secret is 340 characters long, a complete one is 344: it was probably cut off "
        "when copied; copy it again from the IBKR portal."
    )


def test_an_access_token_secret_with_extra_text_says_so(secret):
    with pytest.raises(KeyMaterialError, match=r"is 352 characters long.*copied together with text around it"):
        keys.parse_access_token_secret(secret + "AAAAAAAA")


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda s: s[:100] + "-" + s[101:], "contains '-', which base64 never uses"),
        (lambda s: s[:100] + "=" + s[101:], "garbled"),
        (lambda s: s[:-2] + "AA", "decodes to 258 bytes, a complete one has 256"),
        (lambda s: "", "is empty"),
    ],
)
def test_a_garbled_access_token_secret_is_refused(secret, mangle, message):
    with pytest.raises(KeyMaterialError, match=message):
        keys.parse_access_token_secret(mangle(secret))


def test_consumer_key_is_upper_cased():
    assert keys.parse_consumer_key("  testcons1\n") == "TESTCONS1"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("TESTCONS", "is 8 characters long; IBKR consumer keys have exactly 9"),
        ("TESTCONS12", "is 10 characters long"),
        ("TEST-CON1", "contains '-'; IBKR consumer keys consist of letters A-Z and digits only"),
        ("   ", "is empty"),
    ],
)
def test_bad_consumer_keys_are_refused_precisely(text, message):
    with pytest.raises(KeyMaterialError, match=message):
        keys.parse_consumer_key(text)


def test_access_token_is_stripped():
    assert keys.parse_access_token(" e84c11dc149cb96ee5bb\n") == "e84c11dc149cb96ee5bb"


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "is empty"), ("e84c11dc 149cb96ee5bb", "contains ' '"), ("e84c/11dc", "contains '/'")],
)
def test_bad_access_tokens_are_refused_precisely(text, message):
    with pytest.raises(KeyMaterialError, match=message):
        keys.parse_access_token(text)


def test_key_material_errors_are_value_errors():
    assert issubclass(KeyMaterialError, ValueError)
