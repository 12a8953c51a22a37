"""The mode gate arms LIVE only through a passing checklist and the exact, latest phrase; every way back
to SHADOW is one step and lands in the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brokers.core.orders import Mode
from brokers.trading.audit import AuditLog
from brokers.trading.exchange_clock import end_of_trading_day
from brokers.trading.gate import ARMING_TTL_S, ArmingRefused, ModeGate, WrongPhrase
from brokers.trading.mode_state import ModeStore
from tests.brokers.trading.facts import ACCOUNT, NOW, ready


class Clock:
    def __init__(self, at: float = NOW) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


def _codes(*codes: str) -> Iterator[str]:
    yield from codes
    n = 0
    while True:
        n += 1
        yield f"Z{n:03d}"


def _gate(data_dir: Path, clock: Clock | None = None, who: str = "window", codes: Iterator[str] | None = None):
    codes = codes or _codes("K7QX", "M3PA")
    return ModeGate(ModeStore(data_dir), AuditLog(data_dir), who, now=clock or Clock(), code=lambda: next(codes))


def _events(data_dir: Path) -> list[str]:
    return [r.event for r in AuditLog(data_dir).records()]


def _armed(data_dir: Path, clock: Clock | None = None) -> ModeGate:
    gate = _gate(data_dir, clock)
    arming = gate.begin_arming("paper", ready(), ACCOUNT)
    gate.confirm("paper", arming.phrase, ready())
    return gate


def test_every_profile_starts_in_shadow(tmp_path):
    assert _gate(tmp_path).mode("paper") is Mode.SHADOW


def test_the_exact_phrase_arms_live_until_the_end_of_the_trading_day(tmp_path):
    gate = _gate(tmp_path, who="cli")
    arming = gate.begin_arming("paper", ready(), ACCOUNT)
    assert arming.phrase == f"LIVE {ACCOUNT} K7QX"
    assert arming.expires_at == NOW + ARMING_TTL_S
    armed = gate.confirm("paper", arming.phrase, ready())
    assert gate.mode("paper") is Mode.LIVE
    assert armed.until == end_of_trading_day(NOW)
    assert (armed.account, armed.armed_by) == (ACCOUNT, "cli")
    assert gate.mode("other") is Mode.SHADOW
    assert gate.pending("paper") is None  # used up
    assert _events(tmp_path) == ["mode.arming_issued", "mode.armed"]
    assert AuditLog(tmp_path).records()[-1].who == "cli"


def test_a_failing_checklist_issues_no_phrase(tmp_path):
    gate = _gate(tmp_path)
    with pytest.raises(ArmingRefused, match="Connected: Not connected") as refused:
        gate.begin_arming("paper", ready(connected=False), ACCOUNT)
    assert [item.key for item in refused.value.checklist.failures] == ["connected"]
    assert gate.pending("paper") is None
    assert _events(tmp_path) == ["mode.arming_refused"]


def test_a_connector_that_cannot_trade_is_refused(tmp_path):
    with pytest.raises(ArmingRefused, match="cannot send orders"):
        _gate(tmp_path).begin_arming("paper", ready(can_trade=False), ACCOUNT)


def test_the_checklist_must_still_pass_when_the_phrase_is_typed(tmp_path):
    gate = _gate(tmp_path)
    arming = gate.begin_arming("paper", ready(), ACCOUNT)
    with pytest.raises(ArmingRefused):
        gate.confirm("paper", arming.phrase, ready(market="stale"))
    assert gate.mode("paper") is Mode.SHADOW


def test_an_expired_phrase_does_not_arm(tmp_path):
    clock = Clock()
    gate = _gate(tmp_path, clock)
    arming = gate.begin_arming("paper", ready(), ACCOUNT)
    clock.at += ARMING_TTL_S
    with pytest.raises(WrongPhrase, match="expired"):
        gate.confirm("paper", arming.phrase, ready())
    assert gate.mode("paper") is Mode.SHADOW
    assert _events(tmp_path)[-1] == "mode.confirm_refused"


def test_an_earlier_phrase_does_not_arm_once_a_new_one_was_issued(tmp_path):
    gate = _gate(tmp_path)
    first = gate.begin_arming("paper", ready(), ACCOUNT)
    second = gate.begin_arming("paper", ready(), ACCOUNT)
    assert first.phrase != second.phrase
    with pytest.raises(WrongPhrase, match=second.phrase):
        gate.confirm("paper", first.phrase, ready())
    assert gate.mode("paper") is Mode.SHADOW
    gate.confirm("paper", second.phrase, ready())
    assert gate.mode("paper") is Mode.LIVE


def test_a_phrase_without_a_pending_arming_does_not_arm(tmp_path):
    with pytest.raises(WrongPhrase, match="ask to arm LIVE again"):
        _gate(tmp_path).confirm("paper", f"LIVE {ACCOUNT} K7QX", ready())


def _near_misses(phrase: str) -> st.SearchStrategy[str]:
    account_other = phrase.replace(ACCOUNT, "DU7654321")
    return st.one_of(
        st.sampled_from(
            [
                phrase.lower(),
                phrase.title(),
                " " + phrase,
                phrase + " ",
                phrase + "\n",
                phrase.replace(" ", "  ", 1),
                phrase.replace(" ", "\t"),
                account_other,
                phrase.replace("K7QX", "M3PA"),  # the code of another arming
                f"LIVE {ACCOUNT}",
                "",
            ]
        ),
        st.text(min_size=0, max_size=30).filter(lambda text: text != phrase),
        st.tuples(st.integers(0, len(phrase) - 1), st.characters()).map(
            lambda edit: phrase[: edit[0]] + edit[1] + phrase[edit[0] + 1 :]
        ),
        st.integers(0, len(phrase) - 1).map(lambda cut: phrase[:cut] + phrase[cut + 1 :]),
        st.sampled_from(["", " ", "x"]).map(lambda extra: phrase.swapcase() + extra),
    ).filter(lambda text: text != phrase)


@settings(max_examples=120, deadline=None)
@given(data=st.data())
def test_a_near_miss_never_arms_live(tmp_path_factory, data):
    data_dir = tmp_path_factory.mktemp("gate")
    gate = _gate(data_dir)
    phrase = gate.begin_arming("paper", ready(), ACCOUNT).phrase
    typed = data.draw(_near_misses(phrase), label="typed")
    with pytest.raises(WrongPhrase):
        gate.confirm("paper", typed, ready())
    assert gate.mode("paper") is Mode.SHADOW
    assert ModeGate(ModeStore(data_dir), AuditLog(data_dir), "cli").mode("paper") is Mode.SHADOW


@settings(max_examples=30, deadline=None)
@given(earlier=st.integers(1, 4))
def test_a_stale_phrase_from_an_earlier_arming_never_arms(tmp_path_factory, earlier):
    data_dir = tmp_path_factory.mktemp("gate")
    gate = _gate(data_dir, codes=_codes())
    phrases = [gate.begin_arming("paper", ready(), ACCOUNT).phrase for _ in range(earlier + 1)]
    for stale in phrases[:-1]:
        with pytest.raises(WrongPhrase):
            gate.confirm("paper", stale, ready())
    assert gate.mode("paper") is Mode.SHADOW


@pytest.mark.parametrize(
    ("drop", "event"),
    [
        (lambda gate: gate.to_shadow("paper", "the trader clicked SHADOW"), "mode.shadow"),
        (lambda gate: gate.fall_back("paper", "connection lost"), "mode.fallback"),
        (lambda gate: gate.fall_back("paper", "credentials unhealthy: Expired"), "mode.fallback"),
        (lambda gate: gate.fall_back("paper", "market data stale"), "mode.fallback"),
        (lambda gate: gate.fall_back("paper", "unexpected error: boom"), "mode.fallback"),
        (lambda gate: gate.supervise("paper", ready(connected=False)), "mode.fallback"),
        (lambda gate: gate.supervise("paper", ready(market="stale")), "mode.fallback"),
        (lambda gate: gate.supervise("paper", ready(clock_offset_s=9.0)), "mode.fallback"),
        (lambda gate: gate.reset_all("the window started"), "mode.reset"),
        (lambda gate: gate.everything_to_shadow("the trader chose Everything back to SHADOW"), "mode.shadow"),
    ],
)
def test_every_way_back_returns_to_shadow_and_is_audited(tmp_path, drop, event):
    gate = _armed(tmp_path)
    drop(gate)
    assert gate.mode("paper") is Mode.SHADOW
    assert _gate(tmp_path).mode("paper") is Mode.SHADOW  # another process sees it too
    record = AuditLog(tmp_path).records()[-1]
    assert record.event == event
    assert record.who == "window"
    assert record.why
    assert AuditLog(tmp_path).verify().ok


def test_everything_back_to_shadow_drops_the_live_profiles_and_every_pending_phrase(tmp_path):
    gate = _armed(tmp_path)
    gate.begin_arming("other", ready(), ACCOUNT)
    assert gate.everything_to_shadow("the tray's Everything back to SHADOW") == ("paper",)
    assert (gate.mode("paper"), gate.mode("other")) == (Mode.SHADOW, Mode.SHADOW)
    assert gate.pending("other") is None
    dropped = [r.profile for r in AuditLog(tmp_path).records() if r.event == "mode.shadow"]
    assert dropped == ["other", "paper"]
    assert gate.everything_to_shadow("again") == ()  # nothing LIVE, nothing pending: nothing to audit
    assert [r.profile for r in AuditLog(tmp_path).records() if r.event == "mode.shadow"] == dropped


def test_supervision_names_the_failing_item(tmp_path):
    gate = _armed(tmp_path)
    assert gate.supervise("paper", ready()) is False
    assert gate.mode("paper") is Mode.LIVE
    assert gate.supervise("paper", ready(market="stale")) is True
    assert "Market data live" in AuditLog(tmp_path).records()[-1].why


def test_an_arming_past_its_end_reads_as_shadow_and_is_audited_once(tmp_path):
    clock = Clock()
    gate = _armed(tmp_path, clock)
    clock.at = end_of_trading_day(NOW)
    assert gate.mode("paper") is Mode.SHADOW
    other = _gate(tmp_path, clock)
    assert other.mode("paper") is Mode.SHADOW
    assert gate.mode("paper") is Mode.SHADOW
    assert _events(tmp_path).count("mode.expired") == 1


def test_live_survives_a_new_gate_on_the_same_dir(tmp_path):
    _armed(tmp_path)
    cli = _gate(tmp_path, who="cli")
    assert cli.mode("paper") is Mode.LIVE
    assert cli.state("paper").account == ACCOUNT


def test_a_phrase_issued_by_another_process_is_the_one_to_type(tmp_path):
    window = _gate(tmp_path, codes=_codes("AAAA"))
    cli = _gate(tmp_path, who="cli", codes=_codes("CCCC"))
    window_phrase = window.begin_arming("paper", ready(), ACCOUNT).phrase
    cli_phrase = cli.begin_arming("paper", ready(), ACCOUNT).phrase
    with pytest.raises(WrongPhrase):
        window.confirm("paper", window_phrase, ready())
    window.confirm("paper", cli_phrase, ready())
    assert cli.mode("paper") is Mode.LIVE


def test_a_damaged_mode_file_is_shadow_and_reported_once_in_the_audit_log(tmp_path):
    _armed(tmp_path)
    ModeStore(tmp_path).path.write_text("{ damaged")
    gate = _gate(tmp_path)
    assert gate.mode("paper") is Mode.SHADOW
    assert gate.mode("paper") is Mode.SHADOW
    assert "damaged" in gate.finding()
    assert _events(tmp_path).count("mode.unreadable") == 1
