"""`brokerdeck account PROFILE` as a trader runs it: a real subprocess, a real sandbox, the real vault.

The broker's account is read over HTTP from the sandbox IBKR (which sets itself up on first connection); the
SHADOW book comes from SHADOW orders the same installation placed, and is never summed into the real account.
"""

from __future__ import annotations

import json
import time
from decimal import Decimal

import httpx
import pytest

from brokers.core.accounts import AccountSnapshot, AccountsReport, Position
from brokers.core.published import publish, published_file
from tests.app.desk_cli import ACCOUNT, PROFILE, Desk, place

pytestmark = pytest.mark.secretservice


@pytest.fixture(autouse=True)
def unpaced_accounts(desk: Desk) -> None:
    """Each command is a new IBKR login; the sandbox's 1-per-5-s pacing of the accounts listing (per login, as
    IBKR's) is lifted so back-to-back commands do not wait for it (its 429 is tested with the reader)."""
    response = httpx.post(f"{desk.ibkr}/sandbox/ibkr/portfolio/settings", json={"accounts_interval_s": 0}, timeout=10)
    assert response.status_code == 200, response.text


def account_json(desk: Desk, profile: str = PROFILE) -> dict[str, object]:
    return dict(json.loads(desk.ok("account", profile, "--json")))


def test_the_broker_account_is_read_now_with_balances_and_an_empty_shadow_book(desk: Desk) -> None:
    report = account_json(desk)
    assert report["source"] == "read now"
    (account,) = report["accounts"]["accounts"]
    assert account["account"].endswith(ACCOUNT[-4:])
    assert ACCOUNT not in json.dumps(report)  # only ever masked
    assert account["simulated"] is False
    assert Decimal(account["net_liquidation"]) > 0
    (shadow,) = report["shadow"]["accounts"]
    assert (shadow["account"], shadow["simulated"], shadow["positions"]) == ("SHADOW", True, [])


def test_shadow_fills_show_in_the_shadow_book_only(desk: Desk) -> None:
    before = account_json(desk)["accounts"]["accounts"][0]["positions"]
    filled = place(desk, "--type", "market", "--json")
    assert filled.returncode == 0, filled.stdout + filled.stderr
    report = account_json(desk)
    assert report["accounts"]["accounts"][0]["positions"] == before  # the broker's account did not move
    (shadow,) = report["shadow"]["accounts"]
    (position,) = shadow["positions"]
    assert (position["symbol"], position["quantity"]) == ("AAPL", "10")
    assert Decimal(position["average_price"]) > 0
    text = desk.ok("account", PROFILE)
    assert "SHADOW (simulated, no broker holds it)" in text
    shadow_part = text.split("SHADOW (simulated")[1]
    assert "AAPL" in shadow_part
    assert "TOTAL" in shadow_part


def test_a_fresh_report_of_a_running_window_is_shown_without_a_second_session(desk: Desk) -> None:
    window = AccountsReport(
        accounts=(AccountSnapshot(account="••••9999", kind="MARGIN", positions=(Position("MSFT", Decimal(3)),)),),
        taken_at=time.time(),
        refresh_s=15.0,
    )
    publish(published_file(desk.home.data_dir, PROFILE), {"phase": "ready"}, window)
    report = account_json(desk)
    assert report["source"] == "read by the running Brokerdeck window"
    assert report["accounts"]["accounts"][0]["account"] == "••••9999"


def test_a_stale_report_of_a_window_is_not_trusted(desk: Desk) -> None:
    stale = AccountsReport(accounts=(AccountSnapshot(account="••••9999"),), taken_at=time.time() - 600, refresh_s=15.0)
    publish(published_file(desk.home.data_dir, PROFILE), {"phase": "ready"}, stale)
    report = account_json(desk)
    assert report["source"] == "read now"
    assert report["accounts"]["accounts"][0]["account"].endswith(ACCOUNT[-4:])


def test_an_unknown_profile_says_so(desk: Desk) -> None:
    result = desk.run("account", "nobody")
    assert result.returncode == 2
    assert "nobody" in result.stdout
