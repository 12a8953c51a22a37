"""The window shows each profile's vault state, collected off the UI thread from the real vault."""

from __future__ import annotations

import base64
import json

import pytest

from app.context import AppContext
from app.operations import Operations
from app.status_controller import StatusController
from tests.conftest import IBKR_PAPER_TOML, run_on_qt_loop
from widgets.main_window import MainWindow

pytestmark = pytest.mark.secretservice

PROFILES = f"""\
{IBKR_PAPER_TOML}
[profiles.broken]
kind = "oauth2"
issuer = "http://auth.example.com"
"""


@pytest.fixture
def window_and_controller(home, vault, qloop, qtbot):
    home.config_dir.mkdir(parents=True)
    home.profiles_file.write_text(PROFILES)
    window = MainWindow()  # owned here, not by qtbot: the controller is stopped while its window exists
    operations = Operations(lambda e: pytest.fail(f"unexpected error: {e!r}"))
    controller = StatusController(AppContext(home), vault, window, operations)
    yield window, controller
    try:
        run_on_qt_loop(qloop, qtbot, controller.stop(), timeout=5000)
    finally:
        window.close()
        window.deleteLater()


def names(window: MainWindow) -> list[str]:
    model = window.connection_panel.model
    return [model.row_object(r).name for r in range(model.rowCount())]


def test_profiles_and_their_vault_state_appear(window_and_controller, vault, qtbot):
    window, controller = window_and_controller
    vault.put("ibkr-paper", "token-set", b"stored secret")
    with qtbot.waitSignal(controller.applied, timeout=5000):
        controller.start()
    assert names(window) == ["ibkr-paper"]
    indicator = window.health_indicator
    assert "Not connected" in indicator.title.text()
    assert indicator.reason.text().startswith("keys not set up yet")
    assert indicator.action_button.text() == "Copy setup command"
    assert indicator.credentials.row_object(0).name == "vault: token-set"
    assert "field 'issuer'" in window.connection_panel.errors_label.text()
    assert "OS keyring (SecretService): OK" in indicator.vault_label.text()


def test_a_tampered_secret_turns_the_profile_red(window_and_controller, vault, qtbot):
    window, controller = window_and_controller
    vault.put("ibkr-paper", "token-set", b"stored secret")
    path = vault.directory / "ibkr-paper.token-set.blob"
    record = json.loads(path.read_bytes())
    record["ct"] = base64.b64encode(b"\x00" * 40).decode()
    path.write_text(json.dumps(record))
    with qtbot.waitSignal(controller.applied, timeout=5000):
        controller.start()
    row = window.connection_panel.model.row_object(0)
    assert (row.state, row.severity) == ("Failed", "error")
    assert "integrity check" in row.reason
    assert "Restore" in window.health_indicator.action.text()


def test_saving_profiles_toml_reloads_the_window(window_and_controller, home, qtbot):
    window, controller = window_and_controller
    with qtbot.waitSignal(controller.applied, timeout=5000):
        controller.start()
    fixed = PROFILES.replace("http://auth.example.com", "https://auth.example.com")
    with qtbot.waitSignal(controller.applied, timeout=5000):
        home.profiles_file.write_text(fixed)
    qtbot.waitUntil(lambda: names(window) == ["ibkr-paper", "broken"], timeout=5000)
    assert window.connection_panel.errors_label.isHidden()


def test_an_unreadable_profiles_toml_keeps_the_profiles_and_sessions_until_it_is_fixed(
    window_and_controller, home, qtbot
):
    window, controller = window_and_controller
    good = PROFILES.replace("http://auth.example.com", "https://auth.example.com")
    home.profiles_file.write_text(good)
    with qtbot.waitSignal(controller.applied, timeout=5000):
        controller.start()
    assert names(window) == ["ibkr-paper", "broken"]
    sessions = {name: health.__self__ for name, health in controller.sessions.live_health().items()}
    assert set(sessions) == {"ibkr-paper", "broken"}
    errors = window.connection_panel.errors_label

    home.profiles_file.write_text(good.replace('kind = "oauth2"', 'kind = "oauth2'))  # mid-edit, on line 7
    qtbot.waitUntil(lambda: not errors.isHidden(), timeout=5000)
    assert names(window) == ["ibkr-paper", "broken"]
    assert "profiles.toml is unreadable at line 7, column 15" in errors.text()
    assert "showing the profiles as they were before the change" in errors.text()
    assert "nothing was loaded" not in errors.text()
    assert {name: health.__self__ for name, health in controller.sessions.live_health().items()} == sessions

    home.profiles_file.write_text(IBKR_PAPER_TOML)  # fixed, with one profile fewer
    qtbot.waitUntil(lambda: names(window) == ["ibkr-paper"], timeout=5000)
    assert errors.isHidden()
    assert set(controller.sessions.live_health()) == {"ibkr-paper"}


def test_a_window_opened_on_an_unreadable_profiles_toml_says_so_and_not_no_profiles(window_and_controller, home, qtbot):
    window, controller = window_and_controller
    home.profiles_file.write_text(PROFILES + "[profiles.more\n")
    with qtbot.waitSignal(controller.applied, timeout=5000):
        controller.start()
    panel = window.connection_panel
    assert names(window) == []
    assert "profiles.toml is unreadable at line 9, column 15" in panel.errors_label.text()
    assert "nothing was loaded from it" in panel.errors_label.text()
    assert panel.empty_label.isHidden()
