"""The status strip: one chip per profile, updated in place, wrapping rather than cutting a chip."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QPushButton

from widgets.severity import SEVERITY_COLORS
from widgets.status_strip import StatusStrip, chip_tooltip, time_left
from widgets.view_models import ProfileRow, StatusView


def row(name: str, state: str = "ACTIVE", severity: str = "ok", **changes: str) -> ProfileRow:
    fields = {"label": name.title(), "reason": "because", "hint": "", "expires": "", **changes}
    return ProfileRow(name=name, kind="oauth2", origin="from profiles.toml", state=state, severity=severity, **fields)


def strip_with(qtbot, *rows: ProfileRow, width: int = 1200) -> StatusStrip:
    button = QPushButton("Connections")
    strip = StatusStrip((button,))
    qtbot.addWidget(strip)
    strip.show_status(StatusView(profiles=rows, profiles_file="profiles.toml"))
    strip.resize(width, strip.heightForWidth(width))
    strip.show()
    qtbot.waitExposed(strip)
    return strip


@pytest.mark.parametrize(
    ("expires", "left"),
    [
        ("Fri 15:04:05 (in 23h 59m)", "in 23h 59m"),
        ("15:04:05 (expired)", "expired"),
        ("", ""),
        ("15:04:05", "15:04:05"),
    ],
)
def test_time_left_is_the_countdown_of_the_expiry(expires, left):
    assert time_left(expires) == left


def test_the_tooltip_escapes_what_comes_from_outside():
    tip = chip_tooltip(row("alpha", label="<b>Alpha</b>", reason="a & b", hint="sign in", expires="15:00 (in 2h)"))
    assert tip.startswith("<qt>")
    assert "&lt;b&gt;Alpha&lt;/b&gt;" in tip
    assert "a &amp; b" in tip
    assert "Next: sign in" in tip
    assert "Expires 15:00 (in 2h)" in tip


def test_chips_update_in_place_and_rebuild_when_the_profiles_change(qtbot):
    strip = strip_with(qtbot, row("alpha"), row("bravo", "PENDING", "idle"))
    alpha = strip.chips["alpha"]
    assert SEVERITY_COLORS["ok"].name() in alpha.state.styleSheet()
    strip.show_status(StatusView(profiles=(row("alpha", "FAILED", "error"), row("bravo", "PENDING", "idle"))))
    assert strip.chips["alpha"] is alpha
    assert alpha.state.text() == "FAILED"
    assert SEVERITY_COLORS["error"].name() in alpha.state.styleSheet()
    strip.show_status(StatusView(profiles=(row("charlie"),)))
    assert list(strip.chips) == ["charlie"]
    assert strip.flow.count() == 2  # the chip and the right-hand group


def test_the_right_hand_group_stays_at_the_right_edge(qtbot):
    strip = strip_with(qtbot, row("alpha"), row("bravo"))
    margins = strip.flow.contentsMargins()
    assert strip.end_group.geometry().right() == strip.width() - margins.right() - 1
    chips = [QRect(chip.geometry()) for chip in strip.chips.values()]
    assert all(chip.right() < strip.end_group.geometry().left() for chip in chips)


def test_a_narrow_strip_wraps_chips_onto_more_rows_and_cuts_none(qtbot):
    rows = tuple(row(f"profile-{i}", label=f"A long profile label {i}") for i in range(6))
    strip = strip_with(qtbot, *rows, width=560)
    assert strip.heightForWidth(560) > strip.heightForWidth(3000)
    geometries = [chip.geometry() for chip in strip.chips.values()] + [strip.end_group.geometry()]
    for index, geometry in enumerate(geometries):
        assert strip.rect().contains(geometry)
        assert all(not geometry.intersects(other) for other in geometries[index + 1 :])
    assert all(chip.size() == chip.sizeHint() for chip in strip.chips.values())


def test_a_chip_answers_the_mouse_and_the_keyboard(qtbot):
    strip = strip_with(qtbot, row("alpha"), row("bravo"))
    with qtbot.waitSignal(strip.profileClicked, timeout=1000) as clicked:
        qtbot.mouseClick(strip.chips["bravo"], Qt.MouseButton.LeftButton)
    assert clicked.args == ["bravo"]
    with qtbot.waitSignal(strip.profileClicked, timeout=1000) as pressed:
        qtbot.keyClick(strip.chips["alpha"], Qt.Key.Key_Space)
    assert pressed.args == ["alpha"]


def test_no_profiles_after_an_inspection_says_so_but_the_blank_start_does_not(qtbot):
    strip = StatusStrip()
    qtbot.addWidget(strip)
    strip.show_status(StatusView())
    assert strip.notice.isHidden()
    strip.show_status(StatusView(profiles_file="/x/profiles.toml"))
    assert not strip.notice.isHidden()
    assert strip.notice.text() == "No profiles yet: add one"
    with qtbot.waitSignal(strip.detailRequested, timeout=1000):
        qtbot.mouseClick(strip.notice, Qt.MouseButton.LeftButton)
