"""`brokerdeck keys init` for an `ibkr-oauth2` profile, as a firm runs it: the key pair, what to send IBKR,
then proof with an access token; nothing secret printed."""

from __future__ import annotations

import json
import re
import socket

import httpx
import pytest

from brokers.ibkr.oauth2_sandbox_setup import CLIENTS_PATH, client_registration
from tests.conftest import run_cli

pytestmark = pytest.mark.secretservice

PEM = re.compile(r"-----BEGIN PUBLIC KEY-----\n.*?-----END PUBLIC KEY-----", re.S)
FINGERPRINT = re.compile(r"RSA 3072 bits, SHA-256 ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_profile(home, base_url: str) -> None:
    home.config_dir.mkdir(parents=True, exist_ok=True)
    home.profiles_file.write_text(
        f"""\
[profiles.firm]
kind = "ibkr-oauth2"
base_url = "{base_url}"
client_id = "BDCLIENT1"
key_id = "main"
credential = "firmuser"
public_ip = "127.0.0.1"
"""
    )


def test_keys_init_prints_the_public_key_keeps_it_and_says_it_is_not_proven_yet(home):
    write_profile(home, f"http://127.0.0.1:{closed_port()}/v1/api")
    first = run_cli("keys", "init", "firm")
    assert first.returncode == 1, first.stderr
    assert "Created a new key." in first.stdout
    assert "api-solutions@interactivebrokers.com" in first.stdout
    assert "Secure Message Center" in first.stdout
    (pem,) = PEM.findall(first.stdout)
    (fingerprint,) = FINGERPRINT.findall(first.stdout)
    assert "PRIVATE" not in first.stdout + first.stderr
    assert "Cannot reach IBKR" in first.stderr
    assert "The key is stored" in first.stderr
    assert (home.vault_dir / "firm.oauth2-private-key.blob").exists()

    again = run_cli("keys", "init", "firm")
    assert "Using the key already stored for this profile." in again.stdout
    assert PEM.findall(again.stdout) == [pem]
    assert FINGERPRINT.findall(again.stdout) == [fingerprint]

    replaced = run_cli("keys", "init", "firm", "--new-keys")
    assert "Created a new key." in replaced.stdout
    assert PEM.findall(replaced.stdout) != [pem]

    status = json.loads(run_cli("status", "--json").stdout)
    (firm,) = [p for p in status["profiles"] if p["profile"] == "firm"]
    assert firm["kind"] == "ibkr-oauth2"
    assert firm["reason"].startswith("credentials stored")
    assert {i["name"] for i in firm["items"]} == {"private key", "vault: oauth2-private-key"}  # its age, the entry


def test_dh_parameters_belong_to_the_other_kind(home, tmp_path):
    write_profile(home, "https://api.ibkr.com/v1/api")
    dhparam = tmp_path / "dhparam.pem"
    dhparam.write_text("unused")
    result = run_cli("keys", "init", "firm", "--dhparam", str(dhparam))
    assert result.returncode == 1
    assert "uses no DH parameters" in result.stderr
    assert not list(home.vault_dir.glob("firm.*"))


def test_keys_init_proves_the_client_once_the_sandbox_registered_the_key(sandbox, home):
    before = run_cli("keys", "init", "sandbox-ibkr-oauth2")
    assert before.returncode == 1
    assert "IBKR refused the access token request" in before.stderr
    (pem,) = PEM.findall(before.stdout)

    registration = client_registration(pem, client_id="BDSANDBOX2", key_id="main", credential="sandboxfirm1")
    httpx.post(f"{sandbox.services['ibkr']}{CLIENTS_PATH}", json=registration, timeout=10).raise_for_status()

    after = run_cli("keys", "init", "sandbox-ibkr-oauth2")
    assert after.returncode == 0, after.stderr
    assert "Using the key already stored for this profile." in after.stdout
    assert "IBKR issued an access token for client id BDSANDBOX2 with key id main" in after.stdout
    assert "PRIVATE" not in after.stdout + after.stderr
