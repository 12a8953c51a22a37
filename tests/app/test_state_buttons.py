"""In the real window, every state's words name a button that is there and enabled.

The cases are the connectors' verdict branches (tests/brokers/test_state_words.py); each is rendered the
way the controller renders it, into the real main window, and every "Press X" in what the trader reads
must match an enabled button: the health indicator's action button or one of the connection panel's.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from app.status_controller import status_view
from brokers.health.report import StatusReport, VaultStatus
from brokers.ibkr.health import ibkr_health
from brokers.oauth2.health import oauth2_health
from brokers.registry import REGISTRY
from tests.brokers.test_state_words import IBKR, IBKR_CASES, NOW, OAUTH, OAUTH_CASES
from widgets.main_window import MainWindow


def health_of(case: str):
    if case in IBKR_CASES:
        return IBKR, ibkr_health(IBKR, IBKR_CASES[case][0], NOW)
    facts, live, _ = OAUTH_CASES[case]
    return OAUTH, oauth2_health(OAUTH, facts, NOW, live=live)


@pytest.fixture(scope="module")
def window(qapp):
    shown = MainWindow()
    shown.show()
    yield shown
    shown.close()
    shown.deleteLater()


@pytest.mark.parametrize("case", [*IBKR_CASES, *OAUTH_CASES])
def test_the_words_of_each_state_name_an_enabled_button(window, case):
    profile, health = health_of(case)
    offers = REGISTRY.of(profile).offers(profile, health)
    report = StatusReport(
        health=(health,), profile_errors=(), vault=VaultStatus("test", ok=True), offers={profile.name: offers}
    )
    window.show_status(status_view(report, None, datetime.now()))
    window.health_indicator.select_profile(profile.name)
    window.connection_panel.select_profile(profile.name)

    indicator_button = window.health_indicator.action_button
    panel = window.connection_panel
    candidates = [indicator_button, panel.connect_button, panel.reconnect_button, panel.disconnect_button]
    enabled = {button.text() for button in candidates if not button.isHidden() and button.isEnabled()}
    fix = next((o for o in offers if o.action == health.next_action), None)
    if fix is not None:
        assert fix.label in enabled, f"{case}: the fix {fix.label!r} has no enabled button ({sorted(enabled)})"
    for text in (health.reason, health.hint):
        for pressed in re.findall(r"Press (.+?)(?:,| to | or |\.|$)", text):
            assert pressed in enabled, f"{case}: {text!r} names {pressed!r}; enabled: {sorted(enabled)}"
