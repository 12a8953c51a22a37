"""`brokerdeck orders list | place | modify | cancel | reconcile`: the one order path from a terminal or a script.

Orders go through the same trading desk as the window's ticket: validation, mode, cap, ledger, idempotency.
`place` connects the profile as the window would, streams the instrument (the SHADOW simulator fills
against that book; a LIVE order needs it live), and runs the checklist again before anything is sent. A
question the broker asks is put to the trader on a terminal at once (IBKR drops an unanswered order as soon
as another request arrives); without a terminal the order is not sent. `place --bracket | --oco | --oto`
places a structure (`structure_args`). `reconcile` compares the broker's orders with Brokerdeck's, read-only.
Exit codes as for `brokerdeck mode`; `reconcile` exits 0 in agreement, 1 when the broker could not be read,
4 with findings.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from app import structure_args
from app.trading_cli import DONE, FAILED, REFUSED, WRONG, checklist_of, find_profile, gate_for

if TYPE_CHECKING:
    from app.context import AppContext
    from app.headless import HeadlessConnection
    from brokers.core.orders import OrderRequest
    from brokers.core.structures import StructureRequest
    from brokers.trading.desk import OrderResult, TradingDesk
    from brokers.trading.order_book import OrderRecord
    from brokers.trading.readiness import Checklist
    from brokers.trading.structure_desk import StructureResult

FINDINGS = 4  # `orders reconcile`: the broker and Brokerdeck disagree somewhere
_SIDES = {"buy": "BUY", "sell": "SELL"}
_TYPES = {"market": "MKT", "mkt": "MKT", "limit": "LMT", "lmt": "LMT", "stop": "STP", "stp": "STP"}
_TYPES |= {"stop-limit": "STOP_LIMIT", "stop_limit": "STOP_LIMIT"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="orders_action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="today's orders and fills (and any still open), newest first")
    listing.add_argument("--json", action="store_true", help="machine-readable output for scripts")
    place = actions.add_parser(
        "place",
        help="place an order through the trading mode (SHADOW simulates, LIVE sends)",
        description="Place an order. It goes where the profile's mode says: SHADOW fills it in the simulator "
        "against the live book, LIVE sends it to the broker after the readiness checklist passes again. Pass "
        "--decision-id so a retried command places the order once.",
    )
    place.add_argument("profile")
    which = place.add_mutually_exclusive_group(required=True)
    which.add_argument("--symbol", help="the instrument, e.g. AAPL")
    which.add_argument("--conid", type=int, help="the instrument as the broker's contract id")
    place.add_argument("--side", required=True, choices=sorted(_SIDES), type=str.lower)
    place.add_argument("--quantity", required=True, help="whole shares, e.g. 100")
    place.add_argument("--type", dest="order_type", default="limit", choices=sorted(_TYPES), type=str.lower)
    place.add_argument("--limit", help="the limit price (limit and stop-limit orders)")
    place.add_argument("--stop", help="the stop price (stop and stop-limit orders)")
    place.add_argument("--tif", default="DAY", choices=["DAY", "GTC", "IOC", "OPG"], type=str.upper)
    place.add_argument("--outside-rth", action="store_true", help="may also fill outside regular trading hours")
    place.add_argument("--decision-id", default="", help="names the decision: the same id again is the same order")
    place.add_argument("--json", action="store_true", help="print the order's record as JSON")
    structure_args.add_arguments(place)
    cancel = actions.add_parser(
        "cancel", help="cancel an order, or every open leg of a structure, by its key (as `orders list` shows it)"
    )
    cancel.add_argument("key")
    modify = actions.add_parser(
        "modify",
        help="change a working order's quantity or prices (the complete ticket is sent again)",
        description="Change a working order: the fields given replace the order's own, and the complete ticket "
        "goes through the same checks as a new order (cap, ledger, mode).",
    )
    modify.add_argument("key")
    modify.add_argument("--quantity", help="the new total quantity (more than what has filled)")
    modify.add_argument("--limit", help="the new limit price")
    modify.add_argument("--stop", help="the new stop price")
    modify.add_argument("--tif", choices=["DAY", "GTC", "IOC", "OPG"], type=str.upper)
    reconcile = actions.add_parser(
        "reconcile",
        help="compare the broker's orders and fills with Brokerdeck's (read-only: never places anything)",
        description="Read the broker's orders and today's executions once, merge them, and report partial fills, "
        "mismatches, orders the broker does not list and orders Brokerdeck did not place. Nothing is sent.",
    )
    reconcile.add_argument("profile")
    reconcile.add_argument("--json", action="store_true", help="machine-readable output for scripts")


def run(context: AppContext, args: argparse.Namespace) -> int:
    if args.orders_action == "list":
        return _list(context, as_json=args.json)
    if args.orders_action == "place":
        return asyncio.run(_place(context, args))
    if args.orders_action == "modify":
        return asyncio.run(_modify(context, args))
    if args.orders_action == "reconcile":
        return asyncio.run(_reconcile(context, args.profile, as_json=args.json))
    return asyncio.run(_cancel(context, args.key))


def _desk(context: AppContext, connection: HeadlessConnection | None) -> TradingDesk:
    from brokers.trading.desk import TradingDesk
    from brokers.trading.readiness import CheckItem, Checklist
    from brokers.trading.simulator import ShadowSimulator

    def route_for(profile: str) -> Any:
        return connection.route() if connection is not None and connection.profile.name == profile else None

    def quotes_for(request: OrderRequest) -> Any:
        if connection is None or connection.conid is None or request.conid != connection.conid:
            return None
        return connection.quotes()

    def readiness_for(_request: OrderRequest) -> Checklist:
        if connection is None:
            return Checklist((CheckItem("connected", "Connected", False, "This command opened no connection."),))
        return checklist_of(connection, context)

    return TradingDesk(
        context.paths.data_dir, "cli", gate_for(context), route_for, readiness_for, quotes_for, ShadowSimulator()
    )


async def _place(context: AppContext, args: argparse.Namespace) -> int:
    from app.headless import connected

    found = find_profile(context, args.profile)
    if found is None:
        return WRONG
    try:
        quantity = Decimal(args.quantity)
        limit = Decimal(args.limit) if args.limit else None
        stop = Decimal(args.stop) if args.stop else None
    except InvalidOperation:
        print("brokerdeck orders place: --quantity, --limit and --stop take numbers, e.g. --quantity 100 --limit 189.5")
        return WRONG
    instrument: int | str = args.conid if args.conid is not None else args.symbol
    async with connected(found.connector, found.profile, context.vault(), found.sandbox, instrument) as connection:
        if connection.problem:
            print(f"brokerdeck orders place: {connection.problem}")
            return FAILED if connection.lookup_failed else WRONG
        request = _request(args, connection, quantity, limit, stop)
        desk = _desk(context, connection)
        if structure_args.wants_structure(args):
            try:
                structure = structure_args.structure_of(args, request)
            except structure_args.LegSpecError as exc:
                print(f"brokerdeck orders place: {exc}")
                return WRONG
            return _report_structure(await _place_structure(desk, structure), as_json=args.json)
        result = await desk.place(request)
        result = await _answer_questions(desk, result)
    return _report(result, as_json=args.json)


async def _place_structure(desk: TradingDesk, structure: StructureRequest) -> StructureResult:
    """Place the structure; a question (on its first leg) is put to the trader as for a single order."""
    from brokers.trading.desk import OrderResult
    from brokers.trading.structure_desk import StructureResult

    placed = await desk.place_structure(structure)
    if not placed.legs:
        return placed
    answered = await _answer_questions(desk, OrderResult(placed.legs[0], placed.refused))
    legs = tuple(r for r in desk.records() if r.structure == placed.legs[0].structure)
    return StructureResult(legs, answered.refused)


def _report_structure(result: StructureResult, *, as_json: bool) -> int:
    from brokers.core.orders import OrderStatus
    from brokers.trading.structures import structure_state

    if as_json:
        legs = [_record_json(leg) for leg in result.legs]
        state = structure_state(result.legs)
        print(json.dumps({"refused": result.refused, "state": state, "legs": legs}, indent=2))
    else:
        if result.legs:
            print(f"{_structure_title(result.legs)}: {structure_state(result.legs)}")
            print("\n".join("  " + _record_line(leg) for leg in result.legs))
        if result.refused:
            print(f"Refused: {result.refused}")
    if result.refused is None:
        return DONE
    return FAILED if any(leg.status is OrderStatus.UNKNOWN for leg in result.legs) else REFUSED


def _structure_title(legs: tuple[OrderRecord, ...]) -> str:
    from brokers.trading.structures import leg_name

    kind = {"ENTRY": "Bracket", "TRIGGER": "OTO", "LEG": "OCO"}.get(str(legs[0].role), "Structure")
    names = ", ".join(leg_name(leg.role, leg.leg) for leg in legs)
    return f"{kind} {legs[0].structure} ({names})"


async def _reconcile(context: AppContext, profile_name: str, *, as_json: bool) -> int:
    from app.headless import connected

    found = find_profile(context, profile_name)
    if found is None:
        return WRONG
    async with connected(found.connector, found.profile, context.vault(), found.sandbox) as connection:
        if connection.problem:
            print(f"brokerdeck orders reconcile: {connection.problem}")
            return FAILED
        report = await _desk(context, connection).reconcile(found.profile.name)
    if as_json:
        print(json.dumps({"profile": report.profile, "summary": report.summary()} | report.to_audit(), indent=2))
    else:
        print(report.summary())
        for finding in report.findings:
            print(f"  [{finding.kind.value}] {finding.detail}")
    if report.error:
        return FAILED
    return DONE if report.clean else FINDINGS


def _request(
    args: argparse.Namespace,
    connection: HeadlessConnection,
    quantity: Decimal,
    limit: Decimal | None,
    stop: Decimal | None,
) -> OrderRequest:
    from brokers.core.orders import OrderRequest, OrderType, Side, TimeInForce

    symbol = connection.symbol or (args.symbol or "")
    return OrderRequest(
        profile=args.profile,
        symbol=symbol or str(connection.conid or args.conid),
        conid=connection.conid if connection.conid is not None else args.conid,
        side=Side(_SIDES[args.side]),
        quantity=quantity,
        order_type=OrderType(_TYPES[args.order_type]),
        limit_price=limit,
        stop_price=stop,
        tif=TimeInForce(args.tif),
        outside_rth=args.outside_rth,
        decision_id=args.decision_id,
    )


async def _answer_questions(desk: TradingDesk, result: OrderResult) -> OrderResult:
    """Put each question of the broker to the trader now; no terminal means the order is not sent."""
    from brokers.core.orders import OrderStatus
    from brokers.trading.desk import OrderResult

    while result.record is not None and result.record.status is OrderStatus.QUESTION and result.record.question:
        question = result.record.question
        print("The broker asks about this order:")
        for message_id, message in zip(question.message_ids, question.messages, strict=False):
            print(f"  [{message_id}] {message}")
        confirm, why = False, "not sent: there was no terminal to answer the broker's question on"
        if sys.stdin.isatty():
            confirm = input("Send the order anyway? [y/N] ").strip().lower() in ("y", "yes")
            why = "declined by the trader"
        else:
            print("No terminal to answer on: the order is not sent.")
        result = await desk.answer(result.record.key, confirm, why)
        if not confirm and result.ok:
            return OrderResult(result.record, refused="The broker's question was answered no: the order was not sent.")
    return result


async def _modify(context: AppContext, args: argparse.Namespace) -> int:
    from dataclasses import replace

    from app.headless import connected
    from brokers.core.orders import TimeInForce

    record = next((r for r in _desk(context, None).records() if r.key == args.key), None)
    if record is None:
        print(f"brokerdeck orders modify: no order has the key {args.key!r} (see `brokerdeck orders list`)")
        return WRONG
    old = record.request
    try:
        new = replace(
            old,
            quantity=Decimal(args.quantity) if args.quantity else old.quantity,
            limit_price=Decimal(args.limit) if args.limit else old.limit_price,
            stop_price=Decimal(args.stop) if args.stop else old.stop_price,
            tif=TimeInForce(args.tif) if args.tif else old.tif,
        )
    except InvalidOperation:
        print("brokerdeck orders modify: --quantity, --limit and --stop take numbers, e.g. --limit 189.5")
        return WRONG
    found = find_profile(context, old.profile)
    if found is None:
        return WRONG
    async with connected(found.connector, found.profile, context.vault(), found.sandbox, old.conid) as connection:
        desk = _desk(context, connection)
        result = await _answer_questions(desk, await desk.modify(args.key, new))
    return _report(result, as_json=False)


async def _cancel(context: AppContext, key: str) -> int:
    from app.headless import connected
    from brokers.core.orders import Mode

    records = _desk(context, None).records()
    record = next((r for r in records if r.key == key), None)
    legs = tuple(r for r in records if r.structure == key)
    if record is None and not legs:
        print(f"brokerdeck orders cancel: no order or structure has the key {key!r} (see `brokerdeck orders list`)")
        return WRONG
    first = record or legs[0]
    if first.mode is Mode.SHADOW:
        return await _cancel_with(_desk(context, None), key, structure=record is None)
    found = find_profile(context, first.request.profile)
    if found is None:
        return WRONG
    async with connected(found.connector, found.profile, context.vault(), found.sandbox) as connection:
        return await _cancel_with(_desk(context, connection), key, structure=record is None)


async def _cancel_with(desk: TradingDesk, key: str, *, structure: bool) -> int:
    if not structure:
        return _report(await desk.cancel(key), as_json=False)
    results = await desk.cancel_structure(key)
    for result in results:
        if result.record is not None:
            print(_record_line(result.record))
        if result.refused:
            print(f"Refused: {result.refused}")
    if not results:
        print("Nothing to cancel: every leg of the structure has ended.")
    return DONE if all(result.ok for result in results) else REFUSED


def _report(result: OrderResult, *, as_json: bool) -> int:
    from brokers.core.orders import OrderStatus

    record = result.record
    if as_json:
        print(json.dumps({"refused": result.refused, "order": _record_json(record) if record else None}, indent=2))
    else:
        if record is not None:
            print(_record_line(record))
        if result.refused:
            print(f"Refused: {result.refused}")
    if result.refused is None:
        return DONE
    return FAILED if record is not None and record.status is OrderStatus.UNKNOWN else REFUSED


def _list(context: AppContext, *, as_json: bool) -> int:
    records = sorted(_desk(context, None).records(), key=lambda r: r.created_at, reverse=True)
    if as_json:
        print(json.dumps([_record_json(r) for r in records], indent=2))
    elif not records:
        print("No orders today.")
    else:
        print("\n".join(_record_line(r) for r in records))
    return DONE


def _record_line(record: OrderRecord) -> str:
    from brokers.trading.structures import leg_name

    request = record.request
    at = datetime.fromtimestamp(record.created_at).strftime("%H:%M:%S")
    price = request.limit_price or request.stop_price
    priced = f" @ {price}" if price is not None else ""
    filled = f" filled {record.filled}" + (f" avg {record.average_price}" if record.average_price else "")
    leg = f" [{leg_name(record.role, record.leg)} of {record.structure}]" if record.structure else ""
    line = (
        f"{at} {record.mode.value:<6} {record.key}{leg}  {request.profile} {request.side.value} {request.quantity} "
        f"{request.symbol} {request.order_type.value}{priced} {request.tif.value}  {record.status.value}{filled}"
    )
    return line + (f"\n    {record.message}" if record.message else "")


def _record_json(record: OrderRecord) -> dict[str, Any]:
    request = record.request
    return {
        "key": record.key,
        "mode": record.mode.value,
        "status": record.status.value,
        "profile": request.profile,
        "symbol": request.symbol,
        "side": request.side.value,
        "quantity": str(request.quantity),
        "type": request.order_type.value,
        "limit": None if request.limit_price is None else str(request.limit_price),
        "stop": None if request.stop_price is None else str(request.stop_price),
        "tif": request.tif.value,
        "filled": str(record.filled),
        "average_price": None if record.average_price is None else str(record.average_price),
        "fills": [{"quantity": str(f.quantity), "price": str(f.price), "at": f.at} for f in record.fills],
        "broker_order_id": record.broker_order_id,
        "message": record.message,
        "created_at": record.created_at,
        "structure": record.structure or None,
        "role": None if record.role is None else record.role.value,
    }
