"""Brackets, OCO groups and OTO pairs through the IBKR order route against the sandbox over real HTTP."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from brokers.core.orders import Ambiguous, Asked, OrderRequest, OrderStatus, OrderType, Refused, Side
from brokers.core.structures import LegsAccepted, PartlyPlaced, StructureKind, StructureRequest
from tests.brokers.ibkr.order_peer import Desk, order_desk, request
from tests.conftest import run_async

CENT = Decimal("0.01")
BRACKET_KEYS = ("k-entry", "k-stop", "k-target")
OTO_KEYS = ("k-trigger", "k-child")


async def sandbox(desk: Desk) -> dict[str, Any]:
    """The sandbox's orders, executions and links (each order's parent, OCA group, and whether it is held)."""
    response = await desk.gw.http.get(f"{desk.gw.url}/sandbox/ibkr/orders")
    response.raise_for_status()
    return dict(response.json())


async def statuses(desk: Desk, order_ids: tuple[str, ...]) -> list[str]:
    rows = {str(o["orderId"]): o for o in (await sandbox(desk))["orders"]}
    return [rows[i]["status"] for i in order_ids]


def percent(price: Decimal, factor: str) -> Decimal:
    return (price * Decimal(factor)).quantize(CENT)


def bracket(entry: Decimal, stop: Decimal, target: Decimal, quantity: int = 1) -> StructureRequest:
    """A buy-limit entry with a stop-loss and a take-profit that sell."""
    return StructureRequest(
        StructureKind.BRACKET,
        (
            request(OrderType.LIMIT, quantity, limit_price=entry),
            request(OrderType.STOP, quantity, side=Side.SELL, stop_price=stop),
            request(OrderType.LIMIT, quantity, side=Side.SELL, limit_price=target),
        ),
    )


def resting_bracket(bid: Decimal, ask: Decimal) -> StructureRequest:
    return bracket(bid - Decimal("0.05"), percent(bid, "0.98"), percent(ask, "1.01"))


def oto(bid: Decimal, ask: Decimal) -> StructureRequest:
    """A resting buy that, once filled, triggers a take-profit sell."""
    trigger = request(OrderType.LIMIT, 10, limit_price=bid - Decimal("0.05"))
    child = request(OrderType.LIMIT, 10, side=Side.SELL, limit_price=percent(ask, "1.01"))
    return StructureRequest(StructureKind.OTO, (trigger, child))


def test_a_bracket_is_one_request_whose_exits_are_linked_to_the_entry_and_held() -> None:
    async def scenario() -> tuple[Any, list[dict[str, Any]], dict[str, Any]]:
        async with order_desk() as desk:
            bid, ask = await desk.touch()
            outcome = await desk.route.place_structure(resting_bracket(bid, ask), BRACKET_KEYS)
            return outcome, await desk.received("place"), await sandbox(desk)

    outcome, placed, state = run_async(scenario)
    assert isinstance(outcome, LegsAccepted), outcome
    assert outcome.statuses == (OrderStatus.WORKING, OrderStatus.HELD, OrderStatus.HELD)
    assert len(placed) == 1
    entry, stop_loss, take_profit = placed[0]["body"]["orders"]
    assert entry["cOID"] == "k-entry"
    assert (stop_loss["orderType"], take_profit["orderType"]) == ("STP", "LMT")
    for exit_ticket in (stop_loss, take_profit):
        assert exit_ticket["parentId"] == "k-entry"
        assert "cOID" not in exit_ticket
    assert not any("isSingleGroup" in t for t in (entry, stop_loss, take_profit))
    entry_id, *exit_ids = outcome.broker_order_ids
    links = state["links"]
    assert links[entry_id]["parent_id"] is None
    assert [links[i]["parent_id"] for i in exit_ids] == [int(entry_id)] * 2
    assert [links[i]["held"] for i in exit_ids] == [True, True]
    by_id = {str(o["orderId"]): o for o in state["orders"]}
    assert [by_id[i]["order_ref"] for i in outcome.broker_order_ids] == ["k-entry", "", ""]
    assert [by_id[i]["orderType"] for i in outcome.broker_order_ids] == ["Limit", "Stop", "Limit"]


def test_a_bracket_whose_entry_fills_at_once_has_its_exits_working() -> None:
    async def scenario() -> tuple[Any, dict[str, Any]]:
        async with order_desk() as desk:
            bid, ask = await desk.touch()
            structure = bracket(ask + Decimal("0.05"), percent(bid, "0.98"), percent(ask, "1.01"))
            return await desk.route.place_structure(structure, BRACKET_KEYS), await sandbox(desk)

    outcome, state = run_async(scenario)
    assert isinstance(outcome, LegsAccepted), outcome
    assert outcome.statuses == (OrderStatus.FILLED, OrderStatus.WORKING, OrderStatus.WORKING)
    assert [state["links"][i]["held"] for i in outcome.broker_order_ids[1:]] == [False, False]


def test_the_exits_wait_for_the_entry_fill_then_one_exit_fill_cancels_the_other() -> None:
    async def scenario() -> tuple[Any, list[list[str]], list[str], dict[str, Any]]:
        async with order_desk() as desk:
            bid, _ = await desk.touch()
            # the take-profit is marketable as soon as it works: it may only fill once the entry has
            structure = bracket(bid - Decimal("0.02"), percent(bid, "0.98"), bid - Decimal("0.05"))
            outcome = await desk.route.place_structure(structure, BRACKET_KEYS)
            assert isinstance(outcome, LegsAccepted), outcome
            ids = outcome.broker_order_ids
            waiting = []
            for _ in range(200):
                seen = await statuses(desk, ids)
                if seen[0] == "Filled":
                    break
                waiting.append(seen)
                await desk.control("step", steps=5)
            await desk.control("step", steps=1)  # a match: the stop-loss's cancel completes
            orders = {o.broker_order_id: o for o in await desk.route.orders()}
            return outcome, waiting, [orders[i].status.value for i in ids], await sandbox(desk)

    outcome, waiting, final, state = run_async(scenario)
    assert waiting, "the entry filled at once: the exits' wait was not observed"
    assert all(seen[1:] == ["PreSubmitted", "PreSubmitted"] for seen in waiting)
    assert final == ["FILLED", "CANCELLED", "FILLED"]
    filled_orders = {str(e["order_id"]) for e in state["executions"]}
    assert filled_orders == {outcome.broker_order_ids[0], outcome.broker_order_ids[2]}


def test_cancelling_the_entry_cancels_its_exits() -> None:
    async def scenario() -> tuple[Any, str, list[str]]:
        async with order_desk() as desk:
            bid, ask = await desk.touch()
            outcome = await desk.route.place_structure(resting_bracket(bid, ask), BRACKET_KEYS)
            assert isinstance(outcome, LegsAccepted), outcome
            said = await desk.route.cancel(outcome.broker_order_ids[0])
            await desk.control("step", steps=1)
            return outcome, said, await statuses(desk, outcome.broker_order_ids)

    _, said, final = run_async(scenario)
    assert said == "Request was submitted"
    assert final == ["Cancelled"] * 3


def test_an_oco_group_works_at_once_and_one_legs_fill_cancels_the_others() -> None:
    async def scenario() -> tuple[Any, list[dict[str, Any]], dict[str, Any], list[str]]:
        async with order_desk() as desk:
            bid, ask = await desk.touch()
            legs = (
                request(OrderType.LIMIT, 10, limit_price=bid - Decimal("0.05")),
                request(OrderType.LIMIT, 1, limit_price=ask + Decimal("0.05")),  # marketable: fills at once
                request(OrderType.LIMIT, 10, limit_price=bid - Decimal("0.10")),
            )
            outcome = await desk.route.place_structure(StructureRequest(StructureKind.OCO, legs), ("k-a", "k-b", "k-c"))
            assert isinstance(outcome, LegsAccepted), outcome
            await desk.control("step", steps=1)
            return (
                outcome,
                await desk.received("place"),
                await sandbox(desk),
                await statuses(desk, outcome.broker_order_ids),
            )

    outcome, placed, state, final = run_async(scenario)
    assert outcome.statuses == (OrderStatus.PENDING_CANCEL, OrderStatus.FILLED, OrderStatus.PENDING_CANCEL)
    assert final == ["Cancelled", "Filled", "Cancelled"]
    assert len(placed) == 1
    tickets = placed[0]["body"]["orders"]
    assert all(t["isSingleGroup"] is True for t in tickets)
    assert tickets[0]["cOID"] == "k-a"
    assert all(t["parentId"] == "k-a" and "cOID" not in t for t in tickets[1:])
    by_id = {str(o["orderId"]): o for o in state["orders"]}
    assert [by_id[i]["totalSize"] for i in outcome.broker_order_ids] == ["10.0", "1.0", "10.0"]
    groups = {state["links"][i]["oca_group"] for i in outcome.broker_order_ids}
    assert len(groups) == 1
    assert not any(state["links"][i]["held"] for i in outcome.broker_order_ids)


def test_an_oto_sends_the_child_after_the_trigger_linked_to_its_order_id() -> None:
    async def scenario() -> tuple[Any, list[dict[str, Any]], dict[str, Any]]:
        async with order_desk() as desk:
            bid, ask = await desk.touch()
            outcome = await desk.route.place_structure(oto(bid, ask), OTO_KEYS)
            return outcome, await desk.received("place"), await sandbox(desk)

    outcome, placed, state = run_async(scenario)
    assert isinstance(outcome, LegsAccepted), outcome
    assert outcome.statuses == (OrderStatus.WORKING, OrderStatus.HELD)
    trigger_id, child_id = outcome.broker_order_ids
    assert [len(p["body"]["orders"]) for p in placed] == [1, 1]
    trigger, child = placed[0]["body"]["orders"][0], placed[1]["body"]["orders"][0]
    assert trigger["cOID"] == "k-trigger"
    assert "parentId" not in trigger
    assert child["parentId"] == trigger_id
    assert "cOID" not in child
    assert state["links"][child_id]["parent_id"] == int(trigger_id)
    assert state["links"][child_id]["held"] is True


def test_an_oto_whose_child_fails_cancels_the_trigger_and_names_both() -> None:
    async def scenario() -> tuple[Any, list[str], list[dict[str, Any]]]:
        async with order_desk() as desk:
            bid, ask = await desk.touch()
            await desk.control("child_failure", reason="Child order rejected: margin")
            outcome = await desk.route.place_structure(oto(bid, ask), OTO_KEYS)
            await desk.control("step", steps=1)
            state = await sandbox(desk)
            return outcome, [o["status"] for o in state["orders"]], await desk.received()

    outcome, final, received = run_async(scenario)
    assert isinstance(outcome, PartlyPlaced), outcome
    trigger_id, missing = outcome.broker_order_ids
    assert (bool(trigger_id), missing) == (True, "")
    assert trigger_id in outcome.reason
    assert "k-child" in outcome.reason
    assert "Child order rejected: margin" in outcome.reason
    assert (outcome.cancel_said, outcome.cancelled) == ("Request was submitted", True)
    assert final == ["Cancelled"]  # the trigger alone reached the desk, and it is cancelled
    assert [e["kind"] for e in received] == ["place", "place", "cancel"]
    assert received[2]["order_id"] == trigger_id


def test_a_server_error_on_the_oto_child_cancels_the_trigger() -> None:
    async def scenario() -> tuple[Any, list[str]]:
        async with order_desk() as desk:
            bid, ask = await desk.touch()
            await desk.control("questions", message_ids=["o163"])  # the trigger waits for the trader
            asked = await desk.route.place_structure(oto(bid, ask), OTO_KEYS)
            assert isinstance(asked, Asked), asked
            await desk.gw.fault(path=f"/v1/api/iserver/account/{desk.route.account}/orders", status=500)
            outcome = await desk.route.answer(asked.question, True)
            await desk.control("step", steps=1)
            return outcome, [o["status"] for o in (await sandbox(desk))["orders"]]

    outcome, final = run_async(scenario)
    assert isinstance(outcome, PartlyPlaced), outcome
    assert "500" in outcome.reason
    assert outcome.cancelled is True
    assert final == ["Cancelled"]


def test_a_declined_question_about_the_oto_child_cancels_the_trigger() -> None:
    async def scenario() -> tuple[Any, Any, list[str]]:
        async with order_desk() as desk:
            bid, ask = await desk.touch()
            await desk.control("questions", message_ids=[])  # the trigger: no question
            await desk.control("questions", message_ids=["o163"])  # the child: one the trader must answer
            asked = await desk.route.place_structure(oto(bid, ask), OTO_KEYS)
            assert isinstance(asked, Asked), asked
            outcome = await desk.route.answer(asked.question, False)
            await desk.control("step", steps=1)
            return asked, outcome, [o["status"] for o in (await sandbox(desk))["orders"]]

    asked, outcome, final = run_async(scenario)
    assert asked.question.message_ids == ("o163",)
    assert isinstance(outcome, PartlyPlaced), outcome
    assert "declined" in outcome.reason
    assert outcome.broker_order_ids[1] == ""
    assert final == ["Cancelled"]


def test_a_question_during_a_bracket_blocks_other_orders_and_confirming_places_every_leg() -> None:
    async def scenario() -> tuple[Any, Any, Any, dict[str, Any]]:
        async with order_desk() as desk:
            bid, ask = await desk.touch()
            await desk.control("questions", message_ids=["o163"])
            asked = await desk.route.place_structure(resting_bracket(bid, ask), BRACKET_KEYS)
            assert isinstance(asked, Asked), asked
            blocked = await desk.route.place(request(OrderType.LIMIT, limit_price=bid - CENT), "k-other")
            done = await desk.route.answer(asked.question, True)
            return asked, blocked, done, await sandbox(desk)

    asked, blocked, done, state = run_async(scenario)
    assert asked.question.message_ids == ("o163",)
    assert isinstance(blocked, Refused)
    assert "waiting for the answer" in blocked.reason
    assert isinstance(done, LegsAccepted), done
    assert sorted(done.broker_order_ids) == sorted(str(o["orderId"]) for o in state["orders"])
    assert done.statuses == (OrderStatus.WORKING, OrderStatus.HELD, OrderStatus.HELD)


def test_declining_a_question_during_a_bracket_leaves_nothing_live() -> None:
    async def scenario() -> tuple[Any, list[dict[str, Any]], list[dict[str, Any]]]:
        async with order_desk() as desk:
            bid, ask = await desk.touch()
            await desk.control("questions", message_ids=["o163"])
            asked = await desk.route.place_structure(resting_bracket(bid, ask), BRACKET_KEYS)
            assert isinstance(asked, Asked), asked
            declined = await desk.route.answer(asked.question, False)
            return declined, (await sandbox(desk))["orders"], await desk.received()

    declined, orders, received = run_async(scenario)
    assert isinstance(declined, Refused), declined
    assert declined.reason.startswith("declined")
    assert orders == []
    assert [(e["kind"], (e["body"] or {}).get("confirmed")) for e in received] == [("place", None), ("reply", False)]


def test_what_ibkr_cannot_take_is_refused_before_anything_is_sent() -> None:
    def leg(**fields: Any) -> OrderRequest:
        return request(OrderType.LIMIT, limit_price=Decimal(100), **fields)

    sell = {"side": Side.SELL}
    structures = {
        "no conid": StructureRequest(
            StructureKind.OCO, (leg(), OrderRequest("ibkr-test", "XYZ", None, Side.BUY, Decimal(1), OrderType.MARKET))
        ),
        "fraction": StructureRequest(
            StructureKind.OTO,
            (leg(), OrderRequest("ibkr-test", "AAPL", 265598, Side.SELL, Decimal("0.5"), OrderType.MARKET)),
        ),
        "two accounts": StructureRequest(
            StructureKind.OCO, (leg(), OrderRequest("other", "AAPL", 265598, Side.BUY, Decimal(1), OrderType.MARKET))
        ),
        "exit on the entry's side": StructureRequest(StructureKind.BRACKET, (leg(), leg(**sell), leg())),
        "one-legged OCO": StructureRequest(StructureKind.OCO, (leg(),)),
    }

    async def scenario() -> tuple[dict[str, Any], Any, list[dict[str, Any]]]:
        async with order_desk() as desk:
            outcomes = {
                name: await desk.route.place_structure(s, ("k-1", "k-2", "k-3")[: len(s.legs)])
                for name, s in structures.items()
            }
            short_keys = await desk.route.place_structure(structures["exit on the entry's side"], ("k-1",))
            return outcomes, short_keys, await desk.received()

    outcomes, short_keys, received = run_async(scenario)
    assert all(isinstance(o, Refused) for o in outcomes.values()), outcomes
    assert "conid" in outcomes["no conid"].reason
    assert "whole" in outcomes["fraction"].reason
    assert "one profile" in outcomes["two accounts"].reason
    assert "other side" in outcomes["exit on the entry's side"].reason
    assert "2 to 8 legs" in outcomes["one-legged OCO"].reason
    assert isinstance(short_keys, Refused)
    assert "key" in short_keys.reason
    assert received == []


def test_a_bracket_whose_exits_are_refused_cancels_the_entry_that_went_live() -> None:
    async def scenario() -> tuple[Any, list[str]]:
        async with order_desk() as desk:
            bid, ask = await desk.touch()
            await desk.control("child_failure", reason="Child order rejected: margin")
            outcome = await desk.route.place_structure(resting_bracket(bid, ask), BRACKET_KEYS)
            await desk.control("step", steps=1)
            return outcome, [o["status"] for o in (await sandbox(desk))["orders"]]

    outcome, final = run_async(scenario)
    assert isinstance(outcome, PartlyPlaced), outcome
    entry_id, *exits = outcome.broker_order_ids
    assert entry_id in outcome.reason
    assert exits == ["", ""]
    assert "k-stop" in outcome.reason
    assert "k-target" in outcome.reason
    assert outcome.cancelled is True
    assert final == ["Cancelled"]


def test_a_server_error_on_a_bracket_is_ambiguous_and_never_resent() -> None:
    async def scenario() -> tuple[Any, int]:
        async with order_desk() as desk:
            bid, ask = await desk.touch()
            await desk.gw.fault(path=f"/v1/api/iserver/account/{desk.route.account}/orders", status=500)
            outcome = await desk.route.place_structure(resting_bracket(bid, ask), BRACKET_KEYS)
            faults = (await desk.gw.http.get(f"{desk.gw.url}/sandbox/ibkr/faults")).json()
            return outcome, len(faults["applied"])

    outcome, applied = run_async(scenario)
    assert isinstance(outcome, Ambiguous), outcome
    assert "500" in outcome.reason
    assert applied == 1
