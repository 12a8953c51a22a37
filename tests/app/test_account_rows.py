"""Accounts in people's words, the same in the window's panel and in `brokerdeck status`."""

from __future__ import annotations

from decimal import Decimal

from app.account_rows import accounts_lines, accounts_view, amount, quantity
from brokers.core.accounts import AccountsReport
from tests.brokers.test_accounts import REPORT
from widgets.accounts_panel import AccountsPanel


def test_money_keeps_the_brokers_precision_and_reads_with_separators():
    assert amount(Decimal("1234.5"), "USD") == "1,234.50 USD"
    assert amount(Decimal("25010.123456")) == "25,010.123456"
    assert amount(None, "USD") == "-"
    assert quantity(Decimal("10.000")) == "10"
    assert quantity(Decimal("-0.50")) == "-0.5"
    assert quantity(Decimal("1E+2")) == "100"


def test_status_lines_list_each_account_and_its_positions():
    lines = accounts_lines(REPORT)
    assert lines[0].startswith("accounts (read at ")
    assert lines[0].endswith("; agentic account: ••••2345")
    assert lines[1] == "  ••••2345 cash: buying power 1,234.50 USD, cash 1,000.00 USD, equity 25,010.123456 USD"
    assert lines[2:] == ["    AAPL 10 @ 190.01", "    TSLA -0.5"]


def test_a_report_with_a_problem_says_only_the_problem_and_its_facts():
    report = AccountsReport(problem="No account is open to agents: open the Agentic account in Robinhood.")
    assert accounts_lines(report) == ["accounts: No account is open to agents: open the Agentic account in Robinhood."]


def test_the_panel_shows_the_figures_or_why_there_are_none_and_hides_for_other_brokers(qtbot):
    panel = AccountsPanel()
    qtbot.addWidget(panel)
    assert panel.isHidden()
    panel.show_accounts(accounts_view(REPORT))
    assert panel.isVisible()
    assert panel.accounts.rowCount() == 1
    assert panel.accounts.row_object(0).buying_power == "1,234.50 USD"
    assert [panel.positions.row_object(r).symbol for r in range(panel.positions.rowCount())] == ["AAPL", "TSLA"]
    assert "agentic account: ••••2345" in panel.status.text()

    panel.show_accounts(accounts_view(AccountsReport(problem="Waitlisted: access is not granted yet.")))
    assert panel.status.text() == "Waitlisted: access is not granted yet."
    assert panel.account_table.isHidden()
    panel.show_accounts(None)
    assert panel.isHidden()
