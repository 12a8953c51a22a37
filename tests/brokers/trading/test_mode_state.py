"""The shared mode state survives processes, and a damaged file reads as every profile in SHADOW."""

from __future__ import annotations

import os

import pytest

from brokers.core.orders import Mode
from brokers.trading.mode_state import ModeStore, PendingArming, ProfileMode


def test_a_live_profile_and_a_pending_arming_are_read_back_by_another_store(tmp_path):
    live = ProfileMode(Mode.LIVE, armed_at=10.0, until=20.0, account="DU1", armed_by="cli")
    pending = PendingArming("LIVE DU2 ACDE", "DU2", 11.0, 611.0)
    ModeStore(tmp_path).change(lambda s: s.with_profile("paper", live).with_pending("other", pending))
    state = ModeStore(tmp_path).read()
    assert state.of("paper") == live
    assert state.pending["other"] == pending
    assert state.of("unknown").mode is Mode.SHADOW
    assert state.finding == ""


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"[]",
        b'{"profiles": {"paper": {"mode": "LIVE"}}, "pending": {}}',  # no end: never LIVE
        b'{"profiles": {"paper": {"mode": "MAYBE"}}, "pending": {}}',
        b'{"profiles": {"paper": {"mode": "LIVE", "armed_at": 1, "until": null, "account": "DU1", '
        b'"armed_by": "cli"}}, "pending": {}}',
    ],
)
def test_a_damaged_file_reads_as_every_profile_in_shadow_with_a_finding(tmp_path, content):
    store = ModeStore(tmp_path)
    store.path.write_bytes(content)
    state = store.read()
    assert state.of("paper").mode is Mode.SHADOW
    assert "damaged" in state.finding
    assert "SHADOW" in state.finding


def test_an_unreadable_file_reads_as_shadow(tmp_path):
    store = ModeStore(tmp_path)
    store.path.mkdir()  # a folder where the file should be
    state = store.read()
    assert state.of("paper").mode is Mode.SHADOW
    assert "could not be read" in state.finding


def test_a_change_over_a_damaged_file_starts_from_shadow_and_keeps_the_file_private(tmp_path):
    store = ModeStore(tmp_path)
    store.path.write_bytes(b"garbage")
    before, after = store.change(lambda s: s)
    assert before.finding
    assert after.finding == ""
    assert store.read().finding == ""
    assert os.stat(store.path).st_mode & 0o777 == 0o600
