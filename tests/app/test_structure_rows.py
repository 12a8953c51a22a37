"""Structures in the window's words: the ticket's fields read as a structure (a bracket's exits in ticks become
prices from the entry's), its net exposure against the limits with the core's objections, and the blotter's
group rows with the legs beneath."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from app.structure_rows import blotter_rows, structure_preview, structure_request, structure_result_text
from app.trading_rows import TicketInputError
from brokers.core.orders import Mode, OrderRequest, OrderStatus, OrderType, Side
from brokers.core.structures import LegRole, StructureKind
from brokers.trading.order_book import OrderRecord
from brokers.trading.structure_desk import StructureResult
from tests.brokers.trading.book_state import BookState
from widgets.trading_views import PRICES, TICKS, LegValues, TicketValues

BOOK = BookState(bids=[(189.99, 300)], asks=[(190.01, 200)], last=190.0)
HEADROOM = (Decimal(25_000), Decimal(180_000))


def bracket(**changes: object) -> TicketValues:
    fields: dict[str, object] = {
        "profile": "p",
        "symbol": "AAPL",
        "conid": 265598,
        "side": "BUY",
        "quantity": "100",
        "order_type": "LMT",
        "limit_price": "190.00",
        "stop_price": "",
        "tif": "DAY",
        "outside_rth": False,
        "structure": "BRACKET",
        "exits_in": TICKS,
        "stop_loss": "20",
        "take_profit": "40",
        "tick_size": "0.01",
    }
    return TicketValues(**(fields | changes))  # type: ignore[arg-type]


def prices(legs: tuple[OrderRequest, ...]) -> list[tuple[str, Decimal | None]]:
    return [(leg.side.value, leg.stop_price if leg.order_type is OrderType.STOP else leg.limit_price) for leg in legs]


def test_a_bracket_from_tick_distances_counts_them_from_the_entry_price() -> None:
    structure = structure_request(bracket(), BOOK, "d")
    assert structure.kind is StructureKind.BRACKET
    assert structure.decision_id == "d"
    entry, stop, target = structure.legs
    assert (entry.side, entry.order_type, entry.limit_price) == (Side.BUY, OrderType.LIMIT, Decimal("190.00"))
    assert (stop.side, stop.order_type, stop.stop_price, stop.quantity) == (
        Side.SELL,
        OrderType.STOP,
        Decimal("189.80"),
        Decimal(100),
    )
    assert (target.side, target.order_type, target.limit_price) == (Side.SELL, OrderType.LIMIT, Decimal("190.40"))


def test_a_short_bracket_puts_its_stop_above_and_its_target_below() -> None:
    structure = structure_request(bracket(side="SELL", tick_size="0.25", limit_price="5200"), BOOK, "d")
    assert prices(structure.legs) == [
        ("SELL", Decimal(5200)),
        ("BUY", Decimal("5205.00")),
        ("BUY", Decimal("5190.00")),
    ]


def test_a_market_entry_counts_ticks_from_the_touch_it_would_trade_at() -> None:
    structure = structure_request(bracket(order_type="MKT", limit_price=""), BOOK, "d")
    assert prices(structure.legs)[1:] == [("SELL", Decimal("189.81")), ("SELL", Decimal("190.41"))]
    with pytest.raises(TicketInputError, match="No bid or ask to count the ticks from"):
        structure_request(bracket(order_type="MKT", limit_price=""), None, "d")


def test_a_bracket_from_prices_takes_them_as_typed() -> None:
    structure = structure_request(bracket(exits_in=PRICES, stop_loss="185.5", take_profit="199"), None, "d")
    assert prices(structure.legs)[1:] == [("SELL", Decimal("185.5")), ("SELL", Decimal(199))]


@pytest.mark.parametrize(
    ("field", "text", "said"),
    [
        ("stop_loss", "2.5", "The stop-loss distance is a whole number of ticks above 0"),
        ("take_profit", "-3", "The take-profit distance is a whole number of ticks above 0"),
        ("stop_loss", "many", "The stop-loss distance must be a number"),
    ],
)
def test_a_tick_distance_is_a_whole_number_above_zero(field: str, text: str, said: str) -> None:
    with pytest.raises(TicketInputError, match=f"^{said}"):
        structure_request(bracket(**{field: text}), BOOK, "d")


def test_oco_and_oto_legs_read_with_their_own_sides_types_and_prices() -> None:
    legs = (
        LegValues("SELL", "100", "LMT", "195"),
        LegValues("SELL", "100", "STP", "185"),
        LegValues("BUY", "5", "MKT", ""),
    )
    oco = structure_request(bracket(structure="OCO", legs=legs), BOOK, "d")
    assert oco.kind is StructureKind.OCO
    assert [(leg.side, leg.order_type, leg.limit_price, leg.stop_price) for leg in oco.legs] == [
        (Side.SELL, OrderType.LIMIT, Decimal(195), None),
        (Side.SELL, OrderType.STOP, None, Decimal(185)),
        (Side.BUY, OrderType.MARKET, None, None),
    ]
    oto = structure_request(bracket(structure="OTO", legs=legs[:2]), BOOK, "d")
    assert oto.roles == (LegRole.TRIGGER, LegRole.CHILD)
    with pytest.raises(TicketInputError, match=r"^The child's price must be a number"):
        structure_request(bracket(structure="OTO", legs=(legs[0], LegValues("BUY", "1", "LMT", "x"))), BOOK, "d")


def test_the_preview_shows_the_net_exposure_against_the_cap_and_the_buy_headroom() -> None:
    preview = structure_preview(bracket(), BOOK, HEADROOM)
    assert preview.exposure_text == "Net exposure 19,000 (cap 25,000 per order); buys 19,000 of 180,000 left today."
    assert not preview.over_limit
    assert preview.exits_text == "Exits: Sell 100, stop 189.80, target 190.40"
    assert preview.problem == ""
    big = structure_preview(bracket(quantity="200"), BOOK, HEADROOM)
    assert big.over_limit
    assert big.exposure_text.startswith("Net exposure 38,000 (cap 25,000 per order)")


def test_an_oco_exposes_its_largest_leg_only() -> None:
    legs = (LegValues("BUY", "100", "LMT", "180"), LegValues("BUY", "50", "STP", "200"))
    preview = structure_preview(bracket(structure="OCO", legs=legs), BOOK, HEADROOM)
    assert preview.exposure_text.startswith("Net exposure 18,000 (cap 25,000")


def test_the_preview_gives_the_cores_objection_in_its_own_words() -> None:
    preview = structure_preview(bracket(exits_in=PRICES, stop_loss="195", take_profit="199"), BOOK, HEADROOM)
    assert preview.problem == "The entry's price lies between the stop-loss and the take-profit."
    unreadable = structure_preview(bracket(quantity="ten"), BOOK, HEADROOM)
    assert unreadable.problem.startswith("The quantity must be a number")


def record(
    key: str, at: float, structure: str = "", role: LegRole | None = None, leg: int = 0, **changes: object
) -> OrderRecord:
    request = OrderRequest("p", "AAPL", 265598, Side.BUY, Decimal(100), OrderType.LIMIT, Decimal(190))
    base = OrderRecord(key, Mode.SHADOW, request, OrderStatus.WORKING, Decimal(0), None, (), "", at, at)
    return replace(base, structure=structure, role=role, leg=leg, **changes)  # type: ignore[arg-type]


def test_a_structure_is_one_group_row_with_its_legs_beneath_in_leg_order() -> None:
    sell = OrderRequest("p", "AAPL", 265598, Side.SELL, Decimal(100), OrderType.STOP, stop_price=Decimal(189))
    records = (
        record("old", 1.0),
        record("tp", 2.0, "S", LegRole.TAKE_PROFIT, 2, status=OrderStatus.HELD, request=sell),
        record("entry", 2.0, "S", LegRole.ENTRY, 0, status=OrderStatus.PARTIALLY_FILLED, filled=Decimal(40)),
        record("sl", 2.0, "S", LegRole.STOP_LOSS, 1, status=OrderStatus.HELD, request=sell),
        record("new", 3.0),
    )
    rows = blotter_rows(records)
    assert [(r.key, r.is_group, r.group, r.structure_text) for r in rows] == [
        ("new", False, "", ""),
        ("S", True, "", "Bracket"),
        ("entry", False, "S", "entry"),
        ("sl", False, "S", "stop-loss"),
        ("tp", False, "S", "take-profit"),
        ("old", False, "", ""),
    ]
    group, entry, stop = rows[1], rows[2], rows[3]
    assert group.status == "entry working (partly filled)"
    assert group.cancellable
    assert (entry.filled_text, stop.filled_text, stop.status) == ("40/100", "0/100", "HELD")
    assert rows[0].filled_text == "0"  # a single order's row is as it was


def test_a_finished_structure_cannot_be_cancelled_and_says_how_it_ended() -> None:
    legs = tuple(
        record(key, 1.0, "S", role, i, status=OrderStatus.CANCELLED)
        for i, (key, role) in enumerate((("a", LegRole.LEG), ("b", LegRole.LEG)))
    )
    group = blotter_rows(legs)[0]
    assert (group.structure_text, group.status, group.cancellable) == ("OCO", "cancelled", False)
    assert (group.side, group.quantity) == ("", "")  # an OCO's legs each have their own
    assert structure_result_text(StructureResult(legs)) == "SHADOW: OCO BUY 100 AAPL: cancelled."
    assert structure_result_text(StructureResult((), refused="over the cap")) == "Not placed: over the cap"
