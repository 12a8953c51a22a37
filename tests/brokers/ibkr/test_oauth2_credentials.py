"""The `ibkr-oauth2` profile and its vault key: IBKR's 3072-bit minimum is enforced with the fix."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from brokers.core.profiles import ProfileOrigin
from brokers.ibkr.keys import KeyMaterialError, private_key_pem
from brokers.ibkr.oauth2_credentials import (
    generate_oauth2_key,
    load_oauth2_credentials,
    store_oauth2_key,
)
from brokers.ibkr.oauth2_profile import IbkrOAuth2Profile
from brokers.ibkr.vault_entries import OAUTH2_PRIVATE_KEY
from brokers.registry import REGISTRY
from tests.brokers.ibkr.oauth2_keys import shared_oauth2_key

pytestmark = pytest.mark.secretservice

PROFILE = IbkrOAuth2Profile(
    name="firm",
    base_url="https://api.ibkr.com/v1/api",
    client_id="BDCLIENT1",
    key_id="main",
    credential="firmuser",
    public_ip="203.0.113.7",
    account="U1234567",
    origin=ProfileOrigin.FILE,
)

TOML = """\
[profiles.firm]
kind = "ibkr-oauth2"
base_url = "https://api.ibkr.com/v1/api"
client_id = "BDCLIENT1"
key_id = "main"
credential = "firmuser"
public_ip = "{ip}"
"""


@pytest.fixture(scope="module")
def small_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_a_key_smaller_than_3072_bits_is_refused_when_made_stored_or_loaded(vault, small_key):
    with pytest.raises(KeyMaterialError, match="at least 3072 bits, not 2048"):
        generate_oauth2_key(2048)
    with pytest.raises(KeyMaterialError, match=r"2048 bits; IBKR's OAuth 2\.0 requires at least 3072"):
        store_oauth2_key(vault, "firm", small_key)
    assert vault.get("firm", OAUTH2_PRIVATE_KEY) is None

    vault.put("firm", OAUTH2_PRIVATE_KEY, private_key_pem(small_key))  # put there by another tool
    with pytest.raises(KeyMaterialError, match=r"keys init PROFILE --new-keys"):
        load_oauth2_credentials(vault, PROFILE)


def test_stored_credentials_load_with_the_profiles_identifiers_and_hide_the_key(vault):
    assert load_oauth2_credentials(vault, PROFILE) is None
    store_oauth2_key(vault, "firm", shared_oauth2_key())
    credentials = load_oauth2_credentials(vault, PROFILE)
    assert (credentials.client_id, credentials.key_id, credentials.credential, credentials.public_ip) == (
        "BDCLIENT1",
        "main",
        "firmuser",
        "203.0.113.7",
    )
    assert credentials.private_key.private_numbers() == shared_oauth2_key().private_numbers()
    assert "private_key" not in repr(credentials)


def test_the_kind_is_registered_and_its_profile_parses_from_profiles_toml():
    connector = REGISTRY.of(PROFILE)
    assert (connector.kind, connector.sets_up_keys, connector.trades) == ("ibkr-oauth2", True, True)
    assert connector.required_secrets(PROFILE) == {"oauth2-private-key"}

    loaded = REGISTRY.schema.parse(TOML.format(ip="203.0.113.7"))
    assert [p.public_ip for p in loaded.profiles] == ["203.0.113.7"]
    broken = REGISTRY.schema.parse(TOML.format(ip="my-office"))
    assert not broken.profiles
    assert "public_ip" in str(broken.errors[0])
    assert "IP address" in str(broken.errors[0])
