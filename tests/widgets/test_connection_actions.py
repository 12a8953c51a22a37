"""Connect, reconnect and disconnect from the connection panel: buttons follow the row, intents carry the name."""

from __future__ import annotations

import dataclasses
import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QPushButton

from widgets.connection_panel import ConnectionPanel
from widgets.view_models import LoginView, ProfileRow, StatusView


def row(name: str, *actions: str) -> ProfileRow:
    return ProfileRow(
        name=name,
        label=name.title(),
        kind="oauth2",
        origin="from profiles.toml",
        state="PENDING",
        severity="idle",
        reason="not signed in",
        hint="connect",
        connect_actions=actions,
    )


VIEW = StatusView(
    profiles=(
        row("fresh", "connect"),
        row("live", "reconnect", "disconnect"),
        row("apikey"),
    ),
)

LOGIN = LoginView(
    profile="fresh",
    label="Fresh",
    url="https://auth.example.com/authorize?client_id=brokerdeck&state=abc",
    deadline=time.time() + 300,
    redirect_hint="http://127.0.0.1:53121/callback/fresh",
)


@pytest.fixture
def panel(qtbot):
    widget = ConnectionPanel()
    qtbot.addWidget(widget)
    widget.resize(700, 500)
    widget.show()
    qtbot.waitExposed(widget)
    widget.show_status(VIEW)
    return widget


def enabled(panel: ConnectionPanel) -> dict[str, bool]:
    return {
        name: panel.findChild(QPushButton, f"{name}Button").isEnabled()
        for name in ("connect", "reconnect", "disconnect")
    }


def test_the_buttons_are_there_with_names_and_tooltips(panel):
    texts = {
        name: panel.findChild(QPushButton, name).text()
        for name in ("connectButton", "reconnectButton", "disconnectButton", "addProfileButton")
    }
    assert texts == {
        "connectButton": "Connect",
        "reconnectButton": "Reconnect",
        "disconnectButton": "Disconnect",
        "addProfileButton": "Add profile…",
    }
    assert panel.connect_button.toolTip() == "Open the broker's sign-in page in your browser"
    assert panel.reconnect_button.toolTip().startswith("Sign in again")
    assert panel.disconnect_button.toolTip() == "Revoke this profile's tokens at the broker and delete them here"


def test_buttons_follow_the_selected_rows_actions(panel):
    panel.select_profile("fresh")
    assert enabled(panel) == {"connect": True, "reconnect": False, "disconnect": False}
    panel.select_profile("live")
    assert enabled(panel) == {"connect": False, "reconnect": True, "disconnect": True}
    panel.select_profile("apikey")
    assert enabled(panel) == {"connect": False, "reconnect": False, "disconnect": False}
    assert panel.add_profile_button.isEnabled()


def test_without_a_selection_no_connection_button_is_enabled(qtbot, panel):
    unshown = ConnectionPanel()
    qtbot.addWidget(unshown)
    unshown.show_status(VIEW)
    assert unshown.selected_profile() == ""
    assert enabled(unshown) == {"connect": False, "reconnect": False, "disconnect": False}

    panel.select_profile("live")
    panel.table.selectionModel().clearCurrentIndex()
    assert panel.selected_profile() == ""
    assert enabled(panel) == {"connect": False, "reconnect": False, "disconnect": False}


def test_a_status_refresh_updates_the_buttons_of_the_kept_selection(panel):
    panel.select_profile("fresh")
    refreshed = dataclasses.replace(VIEW, profiles=(row("fresh", "reconnect", "disconnect"), *VIEW.profiles[1:]))
    panel.show_status(refreshed)
    assert panel.selected_profile() == "fresh"
    assert enabled(panel) == {"connect": False, "reconnect": True, "disconnect": True}
    panel.show_status(StatusView(profiles=(row("live", "disconnect"),)))
    assert panel.selected_profile() == ""
    assert enabled(panel) == {"connect": False, "reconnect": False, "disconnect": False}


@pytest.mark.parametrize(("profile", "button"), [("fresh", "connect_button"), ("live", "reconnect_button")])
def test_connect_and_reconnect_ask_to_connect_the_selected_profile(qtbot, panel, profile, button):
    panel.select_profile(profile)
    with qtbot.waitSignal(panel.connectRequested, timeout=1000) as signal:
        qtbot.mouseClick(getattr(panel, button), Qt.MouseButton.LeftButton)
    assert signal.args == [profile]


def test_add_profile_asks_for_the_form(qtbot, panel):
    with qtbot.waitSignal(panel.addProfileRequested, timeout=1000):
        qtbot.mouseClick(panel.add_profile_button, Qt.MouseButton.LeftButton)


def test_disconnect_asks_first_and_emits_only_when_confirmed(qtbot, panel):
    panel.select_profile("live")
    confirm = panel.findChild(QFrame, "disconnectConfirm")
    assert confirm.isHidden()
    with qtbot.assertNotEmitted(panel.disconnectRequested):
        qtbot.mouseClick(panel.disconnect_button, Qt.MouseButton.LeftButton)
    assert not confirm.isHidden()
    assert panel.confirm_text.text() == (
        "Disconnect Live? Its tokens are revoked at the broker and deleted here; you will need to sign in again."
    )
    with qtbot.waitSignal(panel.disconnectRequested, timeout=1000) as signal:
        qtbot.mouseClick(panel.findChild(QPushButton, "confirmDisconnectButton"), Qt.MouseButton.LeftButton)
    assert signal.args == ["live"]
    assert confirm.isHidden()


def test_keep_connected_emits_nothing(qtbot, panel):
    panel.select_profile("live")
    qtbot.mouseClick(panel.disconnect_button, Qt.MouseButton.LeftButton)
    with qtbot.assertNotEmitted(panel.disconnectRequested):
        qtbot.mouseClick(panel.findChild(QPushButton, "cancelDisconnectButton"), Qt.MouseButton.LeftButton)
    assert panel.disconnect_confirm.isHidden()


def test_selecting_another_row_hides_the_confirmation(qtbot, panel):
    panel.select_profile("live")
    qtbot.mouseClick(panel.disconnect_button, Qt.MouseButton.LeftButton)
    panel.show_status(VIEW)  # a routine status refresh keeps the question open
    assert not panel.disconnect_confirm.isHidden()
    panel.select_profile("fresh")
    assert panel.disconnect_confirm.isHidden()


def test_login_panel_follows_the_view_and_blocks_new_sign_ins(panel):
    login_panel = panel.findChild(QFrame, "loginWait")
    assert login_panel.isHidden()
    panel.select_profile("fresh")
    panel.show_status(dataclasses.replace(VIEW, login=LOGIN))
    assert not login_panel.isHidden()
    assert login_panel.headline.text() == "Waiting for you to approve Fresh in your browser…"
    assert enabled(panel) == {"connect": False, "reconnect": False, "disconnect": False}
    panel.select_profile("live")
    assert enabled(panel) == {"connect": False, "reconnect": False, "disconnect": True}

    panel.show_status(VIEW)
    assert login_panel.isHidden()
    assert enabled(panel) == {"connect": False, "reconnect": True, "disconnect": True}


@pytest.mark.parametrize(
    ("button", "signal_name"),
    [
        ("cancelLoginButton", "cancelLoginRequested"),
        ("reopenButton", "reopenBrowserRequested"),
        ("pasteUrlButton", "pasteUrlRequested"),
    ],
)
def test_login_panel_intents_are_re_emitted_by_the_panel(qtbot, panel, button, signal_name):
    panel.show_status(dataclasses.replace(VIEW, login=LOGIN))
    with qtbot.waitSignal(getattr(panel, signal_name), timeout=1000) as signal:
        qtbot.mouseClick(panel.findChild(QPushButton, button), Qt.MouseButton.LeftButton)
    assert signal.args == ["fresh"]
