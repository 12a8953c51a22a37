"""The audit log detects every kind of tampering and keeps reporting a break after later appends."""

from __future__ import annotations

import itertools
import json
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from brokers.trading.audit import GENESIS, AuditLog


def _log(tmp_path: Path, count: int = 4) -> AuditLog:
    log = AuditLog(tmp_path, now=lambda: 1_750_000_000.0)
    for n in range(count):
        log.append("cli", "order.placed", "paper", {"n": n, "price": Decimal("101.25")}, f"decision {n}")
    return log


def _lines(log: AuditLog) -> list[bytes]:
    return log.path.read_bytes().splitlines(keepends=True)


def test_an_untouched_log_verifies_and_chains_each_record_to_the_one_before(tmp_path):
    log = _log(tmp_path)
    verdict = log.verify()
    assert verdict.ok, verdict.problems
    assert verdict.records == 4
    records = log.records()
    assert [r.seq for r in records] == [1, 2, 3, 4]
    assert records[0].prev == GENESIS
    assert all(later.prev == earlier.hash for earlier, later in itertools.pairwise(records))
    assert records[0].what == {"n": 0, "price": "101.25"}
    assert records[0].at.startswith("2025-06-15T")
    assert json.loads(log.head_path.read_text()) == {"seq": 4, "hash": records[-1].hash}


def test_an_empty_data_dir_is_a_clean_empty_log(tmp_path):
    assert AuditLog(tmp_path).verify().ok


def test_an_edited_record_is_reported_with_its_line(tmp_path):
    log = _log(tmp_path)
    lines = _lines(log)
    lines[1] = lines[1].replace(b"decision 1", b"decision 9")
    log.path.write_bytes(b"".join(lines))
    verdict = log.verify()
    assert not verdict.ok
    assert any("line 2" in p and "edited" in p for p in verdict.problems), verdict.problems


def test_an_edited_record_with_a_recomputed_hash_breaks_the_chain_at_the_next_line(tmp_path):
    log = _log(tmp_path)
    records = list(log.records())
    body = records[1].body() | {"why": "nothing to see"}
    from brokers.trading.audit import canonical, record_hash

    forged = canonical({**body, "hash": record_hash(body)}).encode() + b"\n"
    lines = _lines(log)
    lines[1] = forged
    log.path.write_bytes(b"".join(lines))
    assert any("line 3" in p and "chain" in p for p in log.verify().problems)


def test_reordered_records_are_reported(tmp_path):
    log = _log(tmp_path)
    lines = _lines(log)
    lines[1], lines[2] = lines[2], lines[1]
    log.path.write_bytes(b"".join(lines))
    problems = log.verify().problems
    assert any("line 3" in p and "out of order" in p for p in problems), problems


def test_a_deleted_record_is_reported(tmp_path):
    log = _log(tmp_path)
    lines = _lines(log)
    del lines[1]
    log.path.write_bytes(b"".join(lines))
    problems = log.verify().problems
    assert any("line 2" in p and "missing" in p for p in problems), problems


def test_a_truncated_tail_is_reported_through_the_head(tmp_path):
    log = _log(tmp_path)
    lines = _lines(log)
    log.path.write_bytes(b"".join(lines[:2]))
    problems = log.verify().problems
    assert problems == ("the log ends at seq 2 but audit.head remembers seq 4: its tail was cut off",)


def test_a_log_emptied_or_a_head_deleted_is_reported(tmp_path):
    log = _log(tmp_path)
    log.path.write_bytes(b"")
    assert "truncated" in log.verify().problems[0]
    log = _log(tmp_path / "other")
    log.head_path.unlink()
    assert "missing" in log.verify().problems[0]


def test_a_torn_last_line_is_reported_and_the_next_append_starts_on_its_own_line(tmp_path):
    log = _log(tmp_path)
    raw = log.path.read_bytes()
    log.path.write_bytes(raw[:-30])  # the last record's write was interrupted
    assert any("line 4 is torn" in p for p in log.verify().problems)
    log.append("window", "mode.reset", "paper", {}, "window started")
    verdict = log.verify()
    assert any("line 4 is not a readable audit record" in p for p in verdict.problems), verdict.problems
    assert log.path.read_bytes().startswith(raw[:-30])  # never rewritten
    assert log.records()[-1].event == "mode.reset"


def test_a_break_stays_reported_after_later_appends(tmp_path):
    log = _log(tmp_path)
    lines = _lines(log)
    log.path.write_bytes(b"".join(lines[:2]))  # cut off seq 3 and 4
    for n in range(3):
        log.append("cli", "order.placed", "paper", {"n": n}, "after the cut")
    verdict = log.verify()
    assert not verdict.ok
    assert any("line 3" in p and "missing" in p for p in verdict.problems), verdict.problems
    assert [r.seq for r in log.records()] == [1, 2, 5, 6, 7]  # chained on from what the head remembered


def test_an_interrupted_head_write_is_repaired_by_the_next_append(tmp_path):
    log = _log(tmp_path)
    first_three = log.records()[2]
    log.head_path.write_text(json.dumps({"seq": 3, "hash": first_three.hash}))
    assert not log.verify().ok
    log.append("cli", "order.placed", "paper", {}, "next")
    assert log.verify().ok


def test_two_logs_on_one_dir_append_to_one_chain(tmp_path):
    window, cli = AuditLog(tmp_path), AuditLog(tmp_path)
    window.append("window", "mode.reset", "", {}, "start")
    cli.append("cli", "mode.armed", "paper", {}, "typed")
    window.append("window", "mode.shadow", "paper", {}, "clicked")
    assert window.verify().ok
    assert [r.who for r in cli.records()] == ["window", "cli", "window"]


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_any_single_changed_byte_in_a_record_is_detected(tmp_path_factory, data):
    log = _log(tmp_path_factory.mktemp("audit"), count=3)
    raw = bytearray(log.path.read_bytes())
    lines = raw.split(b"\n")
    start = len(lines[0]) + 1  # the middle record
    index = data.draw(st.integers(start, start + len(lines[1]) - 1), label="byte")
    byte = data.draw(st.integers(0, 255).filter(lambda b: b != raw[index]), label="value")
    raw[index] = byte
    log.path.write_bytes(bytes(raw))
    assert not log.verify().ok
