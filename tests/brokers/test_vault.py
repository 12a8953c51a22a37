"""The vault against the real Secret Service: round trips, integrity, and clear errors."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
import textwrap
import time

import keyring
import pytest
from keyring.backends import fail

from brokers.vault import (
    KeyringKeySource,
    PassphraseKeySource,
    Vault,
    VaultBlobDamaged,
    VaultError,
    VaultKeyMissing,
    VaultLocked,
    VaultPassphraseWrong,
    VaultUnavailable,
)
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.secretservice

SECRET_8K = os.urandom(8192)


def test_8kb_blob_round_trips_through_the_real_keyring(vault):
    vault.put("ibkr-paper", "token-set", SECRET_8K)
    assert vault.get("ibkr-paper", "token-set") == SECRET_8K
    assert isinstance(keyring.get_keyring(), keyring.backends.SecretService.Keyring)
    stored_key = keyring.get_password("brokerdeck", vault.key_source.username)
    assert stored_key is not None
    assert len(base64.urlsafe_b64decode(stored_key + "==")) == 32


def test_a_fresh_vault_reads_the_key_back_from_the_keyring(vault, home):
    vault.put("p", "token-set", b"first")
    reopened = Vault(home.vault_dir, KeyringKeySource(Vault.install_id(home.vault_dir)))
    assert reopened.get("p", "token-set") == b"first"


def test_blob_file_is_private_and_holds_no_plaintext(vault):
    vault.put("p", "token-set", b"refresh-token-value-abc")
    path = vault.directory / "p.token-set.blob"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert b"refresh-token-value-abc" not in path.read_bytes()
    assert json.loads(path.read_bytes())["mode"] == "keyring"


def test_every_write_uses_a_fresh_nonce(vault):
    path = vault.directory / "p.token-set.blob"
    nonces = set()
    for _ in range(5):
        vault.put("p", "token-set", b"same plaintext")
        nonces.add(json.loads(path.read_bytes())["nonce"])
    assert len(nonces) == 5


def test_tampered_blob_is_reported_and_left_in_place(vault):
    vault.put("p", "token-set", SECRET_8K)
    path = vault.directory / "p.token-set.blob"
    record = json.loads(path.read_bytes())
    ciphertext = bytearray(base64.b64decode(record["ct"]))
    ciphertext[100] ^= 0x01
    record["ct"] = base64.b64encode(bytes(ciphertext)).decode()
    tampered = json.dumps(record).encode()
    path.write_bytes(tampered)

    with pytest.raises(VaultBlobDamaged) as caught:
        vault.get("p", "token-set")
    assert caught.value.how == "tampered"
    assert "left untouched" in str(caught.value)
    assert path.read_bytes() == tampered
    assert [c.intact for c in vault.check("p")] == [False]


def test_check_says_when_each_entry_was_written_and_a_new_write_renews_it(vault):
    vault.put("p", "signature-key", b"the key")
    vault.put("p", "access-token", b"the token")
    long_ago = time.time() - 80 * 86400
    os.utime(vault.directory / "p.signature-key.blob", (long_ago, long_ago))
    (vault.directory / "p.access-token.blob").write_text("{}")  # damaged: still dated, never read as a secret

    checks = {c.kind: c for c in vault.check("p")}
    assert checks["signature-key"].intact
    assert checks["signature-key"].written_at == pytest.approx(long_ago)
    assert not checks["access-token"].intact
    assert checks["access-token"].written_at is not None
    assert checks["access-token"].written_at > long_ago + 79 * 86400

    vault.put("p", "signature-key", b"a new key")
    renewed = {c.kind: c.written_at for c in vault.check("p")}["signature-key"]
    assert renewed is not None
    assert renewed > long_ago + 79 * 86400


def test_truncated_blob_is_reported_as_truncated(vault):
    vault.put("p", "token-set", SECRET_8K)
    path = vault.directory / "p.token-set.blob"
    original = path.read_bytes()
    path.write_bytes(original[: len(original) // 2])
    with pytest.raises(VaultBlobDamaged) as caught:
        vault.get("p", "token-set")
    assert "truncated" in caught.value.how
    assert path.stat().st_size == len(original) // 2


def test_blob_copied_to_another_profile_fails_authentication(vault):
    vault.put("alpha", "token-set", b"alpha's tokens")
    (vault.directory / "beta.token-set.blob").write_bytes((vault.directory / "alpha.token-set.blob").read_bytes())
    with pytest.raises(VaultBlobDamaged):
        vault.get("beta", "token-set")


def test_lost_keyring_key_is_named_and_never_replaced(vault, home):
    vault.put("p", "token-set", b"x")
    vault.key_source.delete_key()
    fresh = Vault(home.vault_dir, KeyringKeySource(Vault.install_id(home.vault_dir)))
    with pytest.raises(VaultKeyMissing):
        fresh.get("p", "token-set")
    with pytest.raises(VaultKeyMissing, match="will not start a new key"):
        fresh.put("q", "token-set", b"y")
    assert keyring.get_password("brokerdeck", fresh.key_source.username) is None


def test_absent_keyring_gives_one_clear_message(home):
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        empty = Vault(home.vault_dir, KeyringKeySource("no-keyring-test"))
        with pytest.raises(VaultUnavailable) as caught:
            empty.put("p", "token-set", b"x")
    finally:
        keyring.set_keyring(previous)
    message = str(caught.value)
    assert "No OS keyring is available" in message
    assert "BROKERDECK_VAULT=passphrase" in message
    assert not list(home.vault_dir.glob("*.blob"))


_PROBE = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from brokers.vault import KeyringKeySource, Vault, VaultError
    try:
        Vault(Path(sys.argv[1]), KeyringKeySource("probe")).put("p", "token-set", b"x")
    except VaultError as exc:
        print(type(exc).__name__ + ": " + str(exc))
    """
)


def test_no_dbus_session_means_keyring_unavailable(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, str(tmp_path)],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert out.startswith("VaultUnavailable: No OS keyring is available")


_LOCK = (
    "import secretstorage; c = secretstorage.get_default_collection(secretstorage.dbus_init()); "
    "c.lock(); assert c.is_locked()"
)


def test_locked_keyring_gives_unlock_instructions(tmp_path):
    """A separate D-Bus session whose login keyring was created, then locked; no prompt can unlock it."""
    script = textwrap.dedent(
        f"""
        set -e
        export XDG_DATA_HOME={tmp_path}/xdg
        mkdir -p "$XDG_DATA_HOME/keyrings"
        eval "$(printf pw | gnome-keyring-daemon --unlock --components=secrets)"
        {sys.executable} -c '{_LOCK}'
        {sys.executable} -c '{_PROBE}' {tmp_path}/vault
        """
    )
    result = subprocess.run(
        ["dbus-run-session", "--", "sh", "-c", script],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "VaultLocked: The OS keyring is locked" in result.stdout
    assert issubclass(VaultLocked, VaultError)


def test_passphrase_mode_round_trips_without_any_keyring(home):
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        writer = Vault(home.vault_dir, PassphraseKeySource(home.vault_dir, lambda: "correct horse"))
        writer.put("p", "token-set", SECRET_8K)
        reader = Vault(home.vault_dir, PassphraseKeySource(home.vault_dir, lambda: "correct horse"))
        assert reader.get("p", "token-set") == SECRET_8K
        wrong = Vault(home.vault_dir, PassphraseKeySource(home.vault_dir, lambda: "wrong horse"))
        with pytest.raises(VaultPassphraseWrong, match="does not open this vault"):
            wrong.get("p", "token-set")
    finally:
        keyring.set_keyring(previous)
    assert b"correct horse" not in (home.vault_dir / "passphrase.json").read_bytes()


def test_switching_key_mode_names_the_mode_instead_of_claiming_tampering(vault, home):
    vault.put("p", "token-set", b"x")
    other = Vault(home.vault_dir, PassphraseKeySource(home.vault_dir, lambda: "pw"))
    with pytest.raises(VaultError, match="written with the keyring key"):
        other.get("p", "token-set")


def test_stale_temp_files_of_dead_writers_are_swept(vault):
    vault.put("p", "token-set", b"x")
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    stale = vault.directory / f".p.token-set.blob.tmp-{dead.stdout.strip()}-abcd"
    live = vault.directory / f".p.token-set.blob.tmp-{os.getpid()}-abcd"
    stale.write_bytes(b"partial")
    live.write_bytes(b"in progress")
    assert vault.sweep() == 1
    assert not stale.exists()
    assert live.exists()
    assert vault.get("p", "token-set") == b"x"


def test_deleting_a_secret_removes_its_file_only(vault):
    vault.put("p", "token-set", b"one")
    vault.put("p", "access-token", b"two")
    assert vault.delete("p", "token-set") is True
    assert vault.get("p", "token-set") is None
    assert vault.delete("p", "token-set") is False
    assert vault.kinds("p") == ["access-token"]
    assert vault.get("p", "access-token") == b"two"


def test_invalid_names_are_refused(vault):
    with pytest.raises(ValueError, match="invalid profile name"):
        vault.put("../escape", "token-set", b"x")
    with pytest.raises(ValueError, match="invalid secret kind"):
        vault.put("p", "a.b", b"x")
