"""The trading core's state in the widgets' words: masked accounts, prices, and the ticket's fields read as an
order (a field that is not a number is refused with what to enter)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.trading_rows import (
    ProfileTrading,
    TicketInputError,
    blotter_row,
    mode_view,
    money_text,
    order_request,
    price_text_of,
)
from brokers.core.orders import Mode, OrderRequest, OrderStatus, OrderType, Side
from brokers.trading.limits import Limits
from brokers.trading.mode_state import ProfileMode
from brokers.trading.order_book import OrderRecord
from brokers.trading.readiness import CheckItem, Checklist
from widgets.trading_views import TicketValues


def values(**changes: str) -> TicketValues:
    fields = {"quantity": "100", "order_type": "LMT", "limit_price": "189.50", "stop_price": ""} | changes
    return TicketValues(
        profile="p",
        symbol="AAPL",
        conid=265598,
        side="BUY",
        quantity=fields["quantity"],
        order_type=fields["order_type"],
        limit_price=fields["limit_price"],
        stop_price=fields["stop_price"],
        tif="DAY",
        outside_rth=False,
    )


def test_the_ticket_reads_as_an_order_with_exact_decimals() -> None:
    request = order_request(values(quantity="1,000", limit_price="189.10"), decision_id="d")
    assert request.quantity == Decimal(1000)
    assert request.limit_price == Decimal("189.10")
    assert request.stop_price is None
    assert request.order_type is OrderType.LIMIT


@pytest.mark.parametrize(("field", "text"), [("quantity", "ten"), ("limit_price", "189,5.0x"), ("stop_price", "NaN")])
def test_a_field_that_is_not_a_number_says_which_and_what_to_enter(field: str, text: str) -> None:
    with pytest.raises(TicketInputError, match="must be a number"):
        order_request(values(**{field: text}), decision_id="d")


def test_prices_and_amounts_read_as_a_trader_expects() -> None:
    assert price_text_of(Decimal("190")) == "190.00"
    assert price_text_of(Decimal("190.0125")) == "190.0125"
    assert price_text_of(None) == ""
    assert money_text(Decimal("250000")) == "250,000"
    assert money_text(Decimal("1234.5")) == "1,234.50"


def test_a_live_profile_shows_its_account_masked_and_its_failures_with_fixes() -> None:
    failing = CheckItem("limits", "Cap and daily limit set", False, "No daily limit set.", "Set it.")
    facts = ProfileTrading(
        "p",
        True,
        ProfileMode(Mode.LIVE, 0.0, 1_800_000_000.0, "DU1234567", "window"),
        Checklist((CheckItem("connected", "Connected", True, "up"), failing)),
        Limits(Decimal(5000), None),
    )
    view = mode_view(facts)
    assert view.mode == "LIVE"
    assert view.account_masked == "••••4567"
    assert "DU1234567" not in repr(view)
    assert [(i.ok, i.detail, i.fix) for i in view.checklist] == [
        (True, "", ""),
        (False, "No daily limit set.", "Set it."),
    ]
    assert (view.per_order_cap_text, view.daily_limit_text) == ("5000", "")


def test_a_stop_limit_row_names_both_prices_and_a_final_order_cannot_be_cancelled() -> None:
    request = OrderRequest(
        "p", "AAPL", 1, Side.SELL, Decimal(5), OrderType.STOP_LIMIT, Decimal("99.5"), Decimal("100"), decision_id="d"
    )
    record = OrderRecord("bd-1", Mode.SHADOW, request, OrderStatus.FILLED, Decimal(5), Decimal("99.6"), (), "", 0, 0)
    row = blotter_row(record)
    assert row.price_text == "99.5 (stop 100)"
    assert row.avg_price_text == "99.60"
    assert not row.cancellable
