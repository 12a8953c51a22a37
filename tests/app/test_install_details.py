"""Help > About names this installation's folders and the vault in use, from the real vault."""

from __future__ import annotations

from typing import Any

import pytest

from app.context import AppContext
from app.install_details import install_details
from brokers.core.paths import Paths
from brokers.vault import Vault
from widgets.main_window import MainWindow

pytestmark = pytest.mark.secretservice


def test_about_shows_the_paths_and_the_vault_backend(home: Paths, vault: Vault, qtbot: Any) -> None:
    details = install_details(AppContext(home), vault)
    assert dict(details) == {
        "Config": str(home.config_dir),
        "Data": str(home.data_dir),
        "Logs": str(home.log_dir),
        "Vault": "OS keyring (SecretService)",
    }
    window = MainWindow(version="1.2.3")
    qtbot.addWidget(window)
    window.about_action.trigger()  # opened before the app knew the details: it shows them when they come
    assert window.about_box is not None
    assert str(home.config_dir) not in window.about_box.text()
    window.show_install_details(details)
    text = window.about_box.text()
    assert "Brokerdeck 1.2.3" in text
    for what, value in details:
        assert f"{what}: {value}" in text
    assert vault.key_source.describe() in text
