"""`brokerdeck keys init` as a trader runs it: keys printed, registered at the portal, tokens proven."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from brokers.ibkr.keys import dh_params_pem, generate_rsa_key, public_key_pem
from brokers.ibkr.sandbox_setup import PORTAL_PATH, RFC3526_GROUP14_PRIME, portal_request
from tests.conftest import REPO_ROOT, run_cli

pytestmark = pytest.mark.secretservice

PEM = re.compile(r"-----BEGIN PUBLIC KEY-----\n.*?-----END PUBLIC KEY-----\n?", re.S)


@pytest.fixture
def dhparam(tmp_path) -> Path:
    path = tmp_path / "dhparam.pem"
    path.write_text(dh_params_pem(RFC3526_GROUP14_PRIME))
    return path


def start_keys_init(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "app", "keys", "init", *args],
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )


def read_until(process: subprocess.Popen[str], marker: str) -> str:
    seen = []
    while marker not in "".join(seen[-1:]):
        line = process.stdout.readline()
        assert line, f"output ended before {marker!r}: {''.join(seen)}{process.stderr.read()}"
        seen.append(line)
    return "".join(seen)


def register(portal: str, signature_pem: str, encryption_pem: str) -> dict[str, str]:
    body = portal_request("BDSANDBOX", signature_pem, encryption_pem, RFC3526_GROUP14_PRIME)
    response = httpx.post(f"{portal}{PORTAL_PATH}", json=body, timeout=10)
    response.raise_for_status()
    return response.json()


def finish(process: subprocess.Popen[str], *answers: str) -> tuple[int, str, str]:
    out, err = process.communicate("".join(f"{a}\n" for a in answers), timeout=60)
    return process.returncode, out, err


def test_keys_init_prints_keys_then_proves_and_stores_the_portal_tokens(sandbox, dhparam, home):
    process = start_keys_init("sandbox-ibkr", "--dhparam", str(dhparam))
    printed = read_until(process, "Consumer key")
    assert "Created new keys." in printed
    signature_pem, encryption_pem = PEM.findall(printed)
    assert re.search(r"Public signature key \(SHA-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}\)", printed)
    assert "-----BEGIN DH PARAMETERS-----" in printed
    assert "PRIVATE" not in printed
    issued = register(sandbox.services["ibkr"], signature_pem, encryption_pem)

    code, out, err = finish(process, "", issued["access_token"], issued["access_token_secret"])
    assert code == 0, err
    assert "A live session token was minted and validated" in out
    assert issued["access_token_secret"] not in out + err

    status = json.loads(run_cli("status", "--json").stdout)
    (ibkr,) = [p for p in status["profiles"] if p["profile"] == "sandbox-ibkr"]
    assert ibkr["reason"].startswith("credentials stored")
    assert {i["name"] for i in ibkr["items"]} == {
        "signature key",  # the keys' age, from the credential check
        "access token",
        "vault: access-token",
        "vault: dh-params",
        "vault: encryption-key",
        "vault: signature-key",
    }

    again = start_keys_init("sandbox-ibkr")
    assert "Using the keys already stored" in read_until(again, "Consumer key")
    again.kill()
    again.communicate()


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda issued, other: issued["access_token_secret"][:-4], "344"),
        (lambda issued, other: other["access_token_secret"], "does not decrypt"),
    ],
)
def test_bad_tokens_get_a_precise_error_and_store_nothing(sandbox, dhparam, home, mangle, message):
    process = start_keys_init("sandbox-ibkr", "--dhparam", str(dhparam))
    signature_pem, encryption_pem = PEM.findall(read_until(process, "Consumer key"))
    issued = register(sandbox.services["ibkr"], signature_pem, encryption_pem)
    other = register(sandbox.services["ibkr"], signature_pem, public_key_pem(generate_rsa_key()))

    code, _out, err = finish(process, "BDSANDBOX", issued["access_token"], mangle(issued, other))
    assert code == 1
    assert message in err
    assert not (home.vault_dir / "sandbox-ibkr.access-token.blob").exists()


def test_a_crlf_dhparam_file_is_refused_with_the_fix(sandbox, dhparam, home):
    dhparam.write_bytes(dhparam.read_bytes().replace(b"\n", b"\r\n"))
    result = run_cli("keys", "init", "sandbox-ibkr", "--dhparam", str(dhparam))
    assert result.returncode == 1
    assert "dos2unix" in result.stderr
    assert not list(home.vault_dir.glob("sandbox-ibkr.*"))


def test_keys_init_refuses_a_profile_without_self_service_keys(home):
    home.config_dir.mkdir(parents=True)
    home.profiles_file.write_text('[profiles.x]\nkind = "oauth2"\nissuer = "https://auth.example.com"\n')
    result = run_cli("keys", "init", "x")
    assert result.returncode == 2
    assert "is not an ibkr-oauth1a or ibkr-oauth2 or schwab profile" in result.stderr
