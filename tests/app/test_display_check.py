"""Whether the window can open, decided from the environment and a library lookup, before Qt loads."""

from __future__ import annotations

import pytest

from app.display_check import XCB_LIBRARIES, display_problem


def lookup(*missing: str):
    """A fake dynamic loader that lacks exactly `missing`."""
    return lambda soname: soname not in missing


def everything(_soname: str) -> bool:
    return True


def test_a_desktop_with_every_library_opens():
    assert display_problem({"DISPLAY": ":0"}, everything) is None


def test_a_missing_xcb_cursor_names_the_package_to_install():
    problem = display_problem({"DISPLAY": ":0"}, lookup("libxcb-cursor.so.0"))
    assert problem is not None
    assert "libxcb-cursor.so.0" in problem
    assert "sudo apt install libxcb-cursor0\n" in problem
    assert "libxcb-icccm4" not in problem


def test_every_missing_library_is_named_in_one_command():
    problem = display_problem({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"}, lookup(*XCB_LIBRARIES))
    assert problem is not None
    assert "sudo apt install " + " ".join(XCB_LIBRARIES.values()) in problem
    assert "install them" in problem


@pytest.mark.parametrize("environ", [{}, {"DISPLAY": "", "WAYLAND_DISPLAY": ""}, {"QT_QPA_PLATFORM": "xcb"}])
def test_no_display_at_all_says_so(environ):
    problem = display_problem(environ, everything)
    assert problem is not None
    assert "there is no display" in problem
    assert "brokerdeck status" in problem


def test_forcing_xcb_on_wayland_without_x11_has_no_display():
    problem = display_problem({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "wayland-0"}, everything)
    assert problem is not None
    assert "DISPLAY is not set" in problem


@pytest.mark.parametrize(
    "environ",
    [
        {"QT_QPA_PLATFORM": "offscreen"},  # tests, screenshots: no display needed
        {"QT_QPA_PLATFORM": "wayland", "DISPLAY": ":0"},
        {"WAYLAND_DISPLAY": "wayland-0"},  # Wayland only: Qt does not use xcb
        {"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0", "XDG_SESSION_TYPE": "wayland"},
    ],
)
def test_other_platforms_are_left_to_qt(environ):
    assert display_problem(environ, lookup(*XCB_LIBRARIES)) is None


def test_an_x11_session_beside_wayland_still_needs_the_libraries():
    environ = {"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0", "XDG_SESSION_TYPE": "x11"}
    assert display_problem(environ, lookup("libxcb-cursor.so.0")) is not None


@pytest.mark.parametrize("platform", ["darwin", "win32"])
def test_only_linux_is_checked(platform):
    assert display_problem({}, lookup(*XCB_LIBRARIES), platform) is None
