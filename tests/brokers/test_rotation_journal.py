"""The rotation journal and archives any connector can keep in the vault: a step a killed process left is seen
as cut off, two processes never run a step at once, and archives stay with their profile."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from brokers.core.rotation import RotationConflict, RotationStep
from brokers.core.rotation_journal import JournalEntry, RotationArchive, RotationJournal
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.secretservice

HOLD_THE_LOCK = """
import sys
from pathlib import Path
from brokers.core.rotation import RotationStep
from brokers.core.rotation_journal import RotationJournal
from brokers.vault import KeyringKeySource, Vault

directory = Path(sys.argv[1])
vault = Vault(directory, KeyringKeySource(Vault.install_id(directory)))
journal = RotationJournal(vault, "p1", "test-rotation")
with journal.running():
    journal.write(journal.read().moved(RotationStep.PROVING, secret="s3cret"))
    print("holding", flush=True)
    sys.stdin.readline()
"""


def test_a_step_whose_process_was_killed_is_cut_off_and_one_still_running_is_not(vault):
    journal = RotationJournal(vault, "p1", "test-rotation")
    with subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_LOCK, str(vault.directory)],
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        try:
            assert holder.stdout is not None
            assert holder.stdout.readline().strip() == "holding"
            entry = journal.read()
            assert entry.step == RotationStep.PROVING
            assert entry.values == {"secret": "s3cret"}
            assert journal.busy()
            assert not journal.interrupted(entry)
            with pytest.raises(RotationConflict, match="another Brokerdeck"), journal.running():
                pass
        finally:
            holder.send_signal(signal.SIGKILL)
            holder.wait(timeout=10)

    assert not journal.busy()  # the OS dropped the dead process's lock
    assert journal.interrupted(journal.read())
    with journal.running():
        journal.write(journal.read().ended("aborted"))
    assert journal.read() == JournalEntry(last_result="aborted")


def test_archives_are_listed_newest_first_with_unique_ids_and_only_for_their_profile(vault):
    archive = RotationArchive(vault, "p1", "test-archive")
    first = archive.new_id(1_700_000_000.0)
    archive.put(first, "the first set", b"one", 1_700_000_000.0)
    second = archive.new_id(1_700_000_000.0)  # the same second: a suffix keeps both
    archive.put(second, "the second set", b"two", 1_700_000_000.5)

    assert first == "20231114-221320"
    assert second == "20231114-221320-2"
    assert [a.archive_id for a in archive.listed()] == [second, first]
    assert archive.payload(first)[1] == b"one"
    assert RotationArchive(vault, "p2", "test-archive").listed() == ()
    with pytest.raises(RotationConflict, match="no archive"):
        RotationArchive(vault, "p2", "test-archive").payload(first)
    with pytest.raises(RotationConflict, match="no archive"):
        archive.payload("../p2.secret")  # a typed id names an archive, never another entry

    archive.drop(first)
    assert [a.archive_id for a in archive.listed()] == [second]


def test_whole_ids_name_the_entry_and_an_unreadable_archive_is_listed_as_such(vault):
    archive = RotationArchive(vault, "p1", "archive", whole_ids=True)
    made = archive.new_id(1_700_000_000.0)
    archive.put(made, "a set", b"one", 1_700_000_000.0)
    vault.put("p1", "archive-20231114-999999", b"not an archive")

    assert made == "archive-20231114-221320"
    assert vault.get("p1", made) is not None  # the id is the entry's whole name
    assert archive.payload(made)[1] == b"one"
    with pytest.raises(RotationConflict, match="no archived set"):
        archive.payload("rotation-journal")  # a typed id names an archive, never another entry
    with pytest.raises(RotationConflict, match="no archived set"):
        archive.payload("20231114-221320")
    listed, unreadable = archive.listed()  # newest first; one of unknown time last
    assert listed.archive_id == made
    assert (unreadable.archive_id, unreadable.archived_at) == ("archive-20231114-999999", 0.0)
    assert unreadable.summary.startswith("cannot be read: ")
