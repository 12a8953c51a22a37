"""Can the window open here? Asked before Qt is loaded, so a missing library gets a plain answer.

Without this, a desktop that lacks one of the X11 libraries Qt's xcb platform needs ends the program
with Qt's own abort message. The check reads the environment and looks libraries up by name; both
come in as arguments, so it is a pure function a test can drive with any answer. The app looks a
library up by loading it (`can_load`), so it sees exactly what Qt's loader would, LD_LIBRARY_PATH included.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

# The libraries Qt's xcb platform plugin loads that a desktop may lack, and the Debian/Ubuntu package
# of each (the same list as the Makefile's RUN_DEBS). libxcb itself comes with every X11 desktop.
XCB_LIBRARIES: dict[str, str] = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
}


def can_load(soname: str) -> bool:
    """Whether the dynamic loader finds `soname` (a library Qt would load in this process anyway)."""
    import ctypes  # only an X11 desktop asks; the window need not wait for ctypes elsewhere

    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def display_problem(environ: Mapping[str, str], can_load: Callable[[str], bool], platform: str = "linux") -> str | None:
    """What stops the window from opening, said for people; None when nothing is known to.

    Only Linux with Qt's default or xcb platform is checked: another QT_QPA_PLATFORM (offscreen,
    wayland, vnc), a Wayland session (where Qt prefers Wayland) and other systems are left to Qt.
    """
    if not platform.startswith("linux"):
        return None
    chosen = environ.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if chosen not in ("", "xcb"):
        return None
    x11, wayland = environ.get("DISPLAY", ""), environ.get("WAYLAND_DISPLAY", "")
    if not x11 and (chosen == "xcb" or not wayland):
        unset = "DISPLAY is not set" if chosen == "xcb" else "DISPLAY and WAYLAND_DISPLAY are not set"
        return (
            f"Brokerdeck cannot open its window: there is no display ({unset}).\n"
            "Start it from a desktop session, or use the commands that need no window, e.g. "
            "`brokerdeck status` or `brokerdeck login PROFILE --no-browser`."
        )
    if not x11 or (not chosen and wayland and environ.get("XDG_SESSION_TYPE") == "wayland"):
        return None  # Qt opens the window through Wayland, which needs none of the X11 libraries
    missing = {soname: package for soname, package in XCB_LIBRARIES.items() if not can_load(soname)}
    if not missing:
        return None
    one = len(missing) == 1
    return (
        f"Brokerdeck cannot open its window: Qt's X11 (xcb) platform needs {', '.join(missing)}, "
        f"which {'is' if one else 'are'} not installed.\n"
        f"On Debian or Ubuntu install {'it' if one else 'them'} with:\n"
        f"    sudo apt install {' '.join(missing.values())}\n"
        "Other distributions name the packages after the same libraries."
    )
