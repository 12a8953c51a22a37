"""Profile > Rotate keys…: enabled only for the selected profile when its credentials rotate by hand."""

from __future__ import annotations

from widgets.main_window import MainWindow
from widgets.view_models import ProfileRow, StatusView


def profile_row(name: str) -> ProfileRow:
    return ProfileRow(
        name=name, label=name, kind="k", origin="from test", state="Active", severity="ok", reason="", hint=""
    )


def test_the_menu_entry_follows_the_selected_profile(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    action = window.rotate_keys_action
    assert action in window.menuBar().actions()[1].menu().actions()
    assert window.menuBar().actions()[1].text() == "&Profile"
    assert not action.isEnabled()
    assert action.toolTip() == "Select a profile in the connections detail first"

    window.show_status(StatusView(profiles=(profile_row("desk"), profile_row("web"))))
    action.show_rotating(["desk"])
    window.show_profile_detail("web")
    assert not action.isEnabled()
    assert action.toolTip() == "web's credentials are not rotated by hand here"

    window.show_profile_detail("desk")
    assert action.isEnabled()
    assert action.text() == "Rotate &keys of desk…"
    with qtbot.waitSignal(action.requested, timeout=1000) as requested:
        action.trigger()
    assert requested.args == ["desk"]

    action.show_rotating([])  # the profile's connector no longer rotates (profiles.toml changed)
    assert not action.isEnabled()
    with qtbot.assertNotEmitted(action.requested):
        action.trigger()
