"""`brokerdeck mode`, `limits` and `audit verify` as a trader runs them: real subprocesses, a real sandbox."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from brokers.sandbox.endpoints import read_endpoints
from tests.app.desk_cli import ACCOUNT, CHECKLIST, PROFILE, REFUSED, Desk

pytestmark = pytest.mark.secretservice

ROBINHOOD = "sandbox-robinhood"  # trades too (agentic orders), so it shows its own checklist
IBKR_OAUTH2 = "sandbox-ibkr-oauth2"  # the same IBKR orders over OAuth 2.0: its own checklist too
LIMITS_FIX = f"→ Set both in the Trading panel, or run `brokerdeck limits {PROFILE} --per-order N --daily N`."


def sandbox_profiles(desk: Desk) -> list[str]:
    endpoints = read_endpoints(desk.home.sandbox_endpoints_file)
    assert endpoints is not None
    return [profile["name"] for profile in endpoints.profiles]


def test_mode_lists_every_profile_in_shadow_with_the_checklist_where_it_can_trade(desk: Desk) -> None:
    names = sandbox_profiles(desk)
    assert PROFILE in names
    assert len(names) > 1

    lines = desk.ok("mode").splitlines()
    for name in names:
        assert f"{name}: SHADOW" in lines
    checklist = lines[lines.index(f"{PROFILE}: SHADOW") + 1 :][:8]
    assert [line[:6] for line in checklist] == [*["  [ok]"] * 4, "  [NO]", "      ", "  [ok]", "  [ok]"]
    assert checklist[4] == "  [NO] Cap and daily limit set: No per-order cap and no daily limit set."
    assert checklist[5] == f"       {LIMITS_FIX}"
    for trader in (ROBINHOOD, IBKR_OAUTH2):
        below = lines[lines.index(f"{trader}: SHADOW") + 1]
        assert below == "  [ok] Broker can trade: Orders can be sent through this connection."
    for name in set(names) - {PROFILE, ROBINHOOD, IBKR_OAUTH2}:
        below = lines[lines.index(f"{name}: SHADOW") + 1]
        assert below == "  cannot trade: Brokerdeck sends no orders to this broker (SHADOW only)"
    assert lines[-1] == "Audit log: intact (0 record(s))."

    report = desk.mode_report()
    assert [(p["profile"], p["mode"], p["until"]) for p in report["profiles"]] == [(n, "SHADOW", None) for n in names]
    (ibkr,) = [p for p in report["profiles"] if p["profile"] == PROFILE]
    assert [item["item"] for item in ibkr["checklist"]] == CHECKLIST
    assert {item["item"]: item["ok"] for item in ibkr["checklist"]} == {key: key != "limits" for key in CHECKLIST}
    (limits,) = [item for item in ibkr["checklist"] if item["item"] == "limits"]
    assert limits["fix"] == LIMITS_FIX.removeprefix("→ ")
    assert all(
        "checklist" not in p for p in report["profiles"] if p["profile"] not in (PROFILE, ROBINHOOD, IBKR_OAUTH2)
    )
    assert report["audit"] == {"ok": True, "records": 0, "problems": []}


def test_live_needs_the_limits_first_then_exactly_the_latest_phrase(desk: Desk) -> None:
    no_limits = desk.run("mode", "live", PROFILE)
    assert no_limits.returncode == REFUSED
    lines = no_limits.stdout.splitlines()
    assert "  [NO] Cap and daily limit set: No per-order cap and no daily limit set." in lines
    assert f"       {LIMITS_FIX}" in lines
    assert "Refused: LIVE cannot be armed: Cap and daily limit set: No per-order cap and no daily limit set." in lines
    assert "--confirm" not in no_limits.stdout

    set_limits = desk.ok("limits", PROFILE, "--per-order", "100000", "--daily", "200000")
    assert set_limits == f"{PROFILE}: per-order cap 100,000, daily limit 200,000\n"

    stale = desk.issue_phrase()
    shown = desk.run("mode", "live", PROFILE)
    assert shown.returncode == 0
    assert sum(line.startswith("  [ok] ") for line in shown.stdout.splitlines()) == len(CHECKLIST)
    assert "[NO]" not in shown.stdout
    assert f"To arm LIVE for {PROFILE}, type this phrase within 10 minutes:" in shown.stdout
    phrase = shown.stdout.split("--confirm '")[1].split("'")[0]
    assert phrase.startswith(f"LIVE {ACCOUNT} ")
    assert phrase != stale  # each request issues a new phrase

    near_misses = [
        stale,  # the phrase of the previous request
        phrase.lower(),
        phrase.replace(" ", "  ", 1),
        f"{phrase} ",
        phrase.replace(ACCOUNT, "DU7654321"),
    ]
    for typed in near_misses:
        refused = desk.run("mode", "live", PROFILE, "--confirm", typed)
        assert refused.returncode == REFUSED, typed
        assert f"Refused: That is not the phrase; type exactly {phrase!r}" in refused.stdout, typed
        assert desk.mode_of() == "SHADOW", typed

    armed = desk.ok("mode", "live", PROFILE, "--confirm", phrase)
    assert f"{PROFILE} is LIVE: orders go to account {ACCOUNT} until " in armed
    assert f"Back to SHADOW at any time: brokerdeck mode shadow {PROFILE}" in armed
    (live,) = [p for p in desk.mode_report()["profiles"] if p["mode"] == "LIVE"]
    assert live["profile"] == PROFILE
    assert live["until"] is not None
    assert any(line.startswith(f"{PROFILE}: LIVE until ") for line in desk.ok("mode").splitlines())

    assert desk.ok("mode", "shadow", PROFILE) == f"{PROFILE} is SHADOW.\n"
    assert desk.mode_of() == "SHADOW"
    events = [json.loads(line)["event"] for line in desk.home.data_dir.joinpath("audit.jsonl").read_text().splitlines()]
    assert events.count("mode.confirm_refused") == len(near_misses)
    assert events[-2:] == ["mode.armed", "mode.shadow"]
    assert desk.run("audit", "verify").returncode == 0


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (("--per-order", "-5"), "The per-order cap must be more than 0 (enter an amount such as 25000)."),
        (("--daily", "plenty"), "The daily limit must be an amount such as 25000, not 'plenty'."),
        (("--per-order", "250000.01"), "The per-order cap can be at most 250,000; enter 250,000 or less."),
        (("--daily", "1000001"), "The daily limit can be at most 1,000,000; enter 1,000,000 or less."),
    ],
)
def test_a_limit_that_cannot_be_used_is_refused_with_what_to_enter_and_changes_nothing(
    desk: Desk, flags: tuple[str, str], says: str
) -> None:
    desk.ok("limits", PROFILE, "--per-order", "100000", "--daily", "200000")
    stored = desk.home.data_dir.joinpath("limits.json").read_bytes()

    refused = desk.run("limits", PROFILE, *flags)
    assert refused.returncode == REFUSED
    assert refused.stdout == f"brokerdeck limits: {says}\n"
    assert desk.home.data_dir.joinpath("limits.json").read_bytes() == stored
    assert desk.ok("limits", PROFILE) == f"{PROFILE}: per-order cap 100,000, daily limit 200,000\n"


def _edit_a_byte(lines: list[bytes]) -> list[bytes]:
    assert b'"per_order":"2000"' in lines[1]
    return [lines[0], lines[1].replace(b'"per_order":"2000"', b'"per_order":"9000"'), *lines[2:]]


def _swap_two_lines(lines: list[bytes]) -> list[bytes]:
    return [lines[0], lines[2], lines[1], *lines[3:]]


def _cut_the_last_line(lines: list[bytes]) -> list[bytes]:
    return lines[:-1]


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (_edit_a_byte, "line 2 (seq 2) was edited: its hash does not match its content"),
        (_swap_two_lines, "line 3 (seq 2) is out of order: it follows seq 3"),
        (_cut_the_last_line, "the log ends at seq 2 but audit.head remembers seq 3: its tail was cut off"),
    ],
    ids=["edited", "reordered", "truncated"],
)
def test_a_tampered_audit_log_fails_mode_and_audit_verify_naming_where(
    desk: Desk, tamper: Callable[[list[bytes]], list[bytes]], problem: str
) -> None:
    desk.ok("limits", PROFILE, "--per-order", "1000", "--daily", "5000")
    desk.ok("limits", PROFILE, "--per-order", "2000")
    desk.ok("mode", "shadow", PROFILE)
    log = desk.home.data_dir / "audit.jsonl"
    intact = desk.run("audit", "verify")
    assert intact.returncode == 0
    assert intact.stdout == f"The audit log is intact: 3 record(s), {log}\n"
    assert desk.ok("mode").splitlines()[-1] == "Audit log: intact (3 record(s))."

    log.write_bytes(b"".join(line + b"\n" for line in tamper(log.read_bytes().splitlines())))

    verify = desk.run("audit", "verify")
    assert verify.returncode == 1
    lines = verify.stdout.splitlines()
    assert lines[0] == f"The audit log is BROKEN ({log}):"
    assert f"  {problem}" in lines
    mode = desk.run("mode")
    assert mode.returncode == 1
    assert mode.stdout.splitlines()[-1].startswith("Audit log: BROKEN: ")
    assert problem in mode.stdout
    report = json.loads(desk.run("mode", "--json").stdout)
    assert report["audit"]["ok"] is False
    assert problem in report["audit"]["problems"]
    assert f"{PROFILE}: SHADOW" in mode.stdout.splitlines()  # the modes are still shown
