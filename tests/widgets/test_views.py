"""The views render what they are given; values are read back from the real widgets."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from widgets.connection_panel import ConnectionPanel
from widgets.health_indicator import HealthIndicator
from widgets.main_window import MainWindow
from widgets.severity import SEVERITY_COLORS
from widgets.status_strip import StatusStrip
from widgets.trading_views import FindingView, ReconcileView
from widgets.view_models import CredentialRow, ProfileRow, StatusView


def row(name: str, state: str, severity: str, reason: str = "because") -> ProfileRow:
    return ProfileRow(
        name=name,
        label=name.title(),
        kind="oauth2",
        origin="from profiles.toml",
        state=state,
        severity=severity,
        reason=reason,
        hint=f"fix {name}",
        credentials=(CredentialRow("vault: token-set", state, severity, "stored, intact (120 bytes encrypted)"),),
    )


VIEW = StatusView(
    profiles=(
        row("alpha", "ACTIVE", "ok"),
        row("bravo", "EXPIRING", "warn"),
        row("charlie", "FAILED", "error", "stored secret failed its integrity check"),
        row("delta", "PENDING", "idle"),
    ),
    profile_errors=("line 4, profile 'echo', field 'issuer': must use https",),
    profiles_file="/home/trader/.config/brokerdeck/profiles.toml",
    vault_text="Vault: OS keyring (SecretService): OK",
    sandbox_text="Sandbox running (seed 1): control at http://127.0.0.1:4000.",
    checked_at="12:00:00",
)


def cell(panel: ConnectionPanel, r: int, c: int, role: Qt.ItemDataRole = Qt.ItemDataRole.DisplayRole):
    return panel.model.data(panel.model.index(r, c), role)


def test_connection_panel_lists_profiles_errors_and_sandbox(qtbot):
    panel = ConnectionPanel()
    qtbot.addWidget(panel)
    panel.show_status(VIEW)
    assert [panel.model.headerData(c, Qt.Orientation.Horizontal) for c in range(4)] == [
        "Profile",
        "Kind",
        "State",
        "Detail",
    ]
    assert [cell(panel, r, 0) for r in range(4)] == ["Alpha", "Bravo", "Charlie", "Delta"]
    assert cell(panel, 0, 0, Qt.ItemDataRole.ToolTipRole) == "from profiles.toml"
    assert cell(panel, 2, 2) == "FAILED"
    assert cell(panel, 2, 2, Qt.ItemDataRole.ForegroundRole) == SEVERITY_COLORS["error"]
    assert cell(panel, 2, 3) == "stored secret failed its integrity check"
    assert "line 4, profile 'echo', field 'issuer'" in panel.errors_label.text()
    assert not panel.errors_label.isHidden()
    assert panel.empty_label.isHidden()
    assert "127.0.0.1:4000" in panel.sandbox_label.text()
    assert "profiles.toml" in panel.source_label.text()


def test_connection_panel_empty_state_says_what_to_do(qtbot):
    panel = ConnectionPanel()
    qtbot.addWidget(panel)
    panel.show_status(StatusView(profiles_file="/x/profiles.toml"))
    assert not panel.empty_label.isHidden()
    assert "Add a [profiles.NAME] section" in panel.empty_label.text()
    assert panel.errors_label.isHidden()


def test_reload_button_emits_intent(qtbot):
    panel = ConnectionPanel()
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.reloadRequested, timeout=1000):
        qtbot.mouseClick(panel.reload_button, Qt.MouseButton.LeftButton)


def test_health_indicator_shows_the_selected_profiles_detail(qtbot):
    indicator = HealthIndicator()
    qtbot.addWidget(indicator)
    indicator.show_status(VIEW)
    assert indicator.title.text() == "<b>Alpha</b> (alpha, oauth2): ACTIVE"
    assert indicator.action.text() == "Next: fix alpha"

    indicator.select_profile("charlie")
    assert "FAILED" in indicator.title.text()
    assert indicator.reason.text() == "stored secret failed its integrity check"
    assert indicator.credentials.rowCount() == 1
    assert indicator.vault_label.text().endswith("OK")


def test_health_indicator_says_how_the_selected_profiles_last_reconciliation_went(qtbot):
    indicator = HealthIndicator()
    qtbot.addWidget(indicator)
    indicator.show_status(VIEW)
    findings = (FindingView("partial fill", "40 of 100 filled"), FindingView("unknown order", "order 77"))
    indicator.show_reconciliation(
        {
            "alpha": ReconcileView("alpha", "10:02:03", "Findings: 1 partial fill, 1 unknown order", findings),
            "bravo": ReconcileView("bravo", "10:02:04", "In agreement with the broker."),
        }
    )
    assert not indicator.reconcile_note.isHidden()
    assert indicator.reconcile_note.text() == (
        "2 reconciliation findings at 10:02:03 (1 partial fill, 1 unknown order)"
    )
    indicator.select_profile("bravo")
    assert indicator.reconcile_note.text() == "Orders agree with the broker (reconciled at 10:02:04)"
    indicator.select_profile("charlie")
    assert indicator.reconcile_note.isHidden()
    assert "FAILED" in indicator.title.text()  # the rest of the detail is as before


def test_each_states_chip_is_painted_in_its_own_colour(qtbot):
    strip = StatusStrip()
    qtbot.addWidget(strip)
    strip.resize(900, 40)
    strip.show()
    qtbot.waitExposed(strip)
    strip.show_status(VIEW)
    seen = {}
    for name, chip in strip.chips.items():
        image = chip.dot.grab().toImage()
        colours = {QColor(image.pixel(x, y)).name() for x in range(image.width()) for y in range(image.height())}
        seen[name] = SEVERITY_COLORS[chip.severity].name() in colours
    assert seen == {"alpha": True, "bravo": True, "charlie": True, "delta": True}
    assert len({SEVERITY_COLORS[c.severity].name() for c in strip.chips.values()}) == 4


def test_main_window_has_the_market_the_ticket_the_strip_and_the_details(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    assert window.centralWidget().isAncestorOf(window.market_viewer)
    assert window.centralWidget().isAncestorOf(window.status_strip)
    assert [d.windowTitle() for d in window.docks.values()] == ["Connections", "Trading", "Accounts"]
    window.build_details()  # the app builds them right after the first paint
    detail = window.docks["connections"].widget()
    assert detail.isAncestorOf(window.connection_panel)
    assert detail.isAncestorOf(window.health_indicator)
    assert window.market_viewer.empty_label.text() == "Pick an instrument to see its market."
    assert window.mode_chip.text() == "Trading: SHADOW"
    assert window.status_strip.isAncestorOf(window.mode_chip)
    assert window.centralWidget().isAncestorOf(window.order_ticket)
    assert window.docks["trading"].widget().isAncestorOf(window.mode_switch)
    assert window.docks["trading"].widget().isAncestorOf(window.blotter)
    assert window.docks["accounts"].widget() is window.accounts_dock
    window.show_status(VIEW)
    assert list(window.status_strip.chips) == ["alpha", "bravo", "charlie", "delta"]
    window.connection_panel.select_profile("charlie")
    assert "charlie" in window.health_indicator.title.text()


def test_layout_round_trips(qtbot):
    first = MainWindow()
    qtbot.addWidget(first)
    first.show()
    qtbot.waitExposed(first)
    first.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, first.docks["connections"])
    first.show_connections()
    geometry, state = first.layout_state()

    second = MainWindow()
    qtbot.addWidget(second)
    assert second.restore_layout(geometry, state)
    assert second.dockWidgetArea(second.docks["connections"]) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert not second.docks["connections"].isHidden()
    assert not MainWindow().restore_layout(None, None)


@pytest.mark.parametrize("count", [1, 3])
def test_error_dialog_collects_errors(qtbot, count):
    window = MainWindow()
    qtbot.addWidget(window)
    for i in range(count):
        window.error_dialog.add_error(f"Unexpected KeyError {i}", "Traceback ...", "/tmp/brokerdeck.log")
    assert window.error_dialog.isVisible()
    assert window.error_dialog.details.toPlainText().count("--- Unexpected KeyError") == count
    assert "/tmp/brokerdeck.log" in window.error_dialog.summary.text()
