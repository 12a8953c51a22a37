"""Brackets and OCA groups at the emulated IBKR over real HTTP: one request, held children, one-cancels-all."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.brokers.sandbox_ibkr.client_helpers import AAPL, ACCOUNT, error_of
from tests.brokers.sandbox_ibkr.order_helpers import Desk, limit_ticket, order_desk
from tests.conftest import run_async

FAMILY_PATH = f"/iserver/account/{ACCOUNT}/orders"


async def touch(desk: Desk) -> tuple[float, float]:
    await desk.market_data()
    row = (await desk.call("GET", "/iserver/marketdata/snapshot", conids=str(AAPL), fields="84,86")).json()[0]
    return float(row["84"]), float(row["86"])


def bracket(entry: float, stop: float, target: float, quantity: int = 1) -> list[dict[str, Any]]:
    """A buy-limit entry, a stop-loss and a take-profit, linked as IBKR documents it."""
    parent = limit_ticket(entry, quantity=quantity)
    exit_fields = {"side": "SELL", "tif": "GTC", "parentId": parent["cOID"]}
    stop_loss = {k: v for k, v in limit_ticket(stop, quantity=quantity).items() if k != "cOID"}
    take_profit = {k: v for k, v in limit_ticket(target, quantity=quantity).items() if k != "cOID"}
    return [parent, stop_loss | exit_fields | {"orderType": "STP"}, take_profit | exit_fields]


async def place_family(desk: Desk, tickets: list[dict[str, Any]]) -> tuple[list[list[str]], list[dict[str, Any]]]:
    """Place `tickets` as one request, confirming every question: the questions asked, and the final answer."""
    answer = (await desk.call("POST", FAMILY_PATH, {"orders": tickets})).json()
    asked: list[list[str]] = []
    while isinstance(answer, list) and "messageIds" in answer[0]:
        asked.append(answer[0]["messageIds"])
        answer = (await desk.reply(answer[0]["id"])).json()
    return asked, answer


async def statuses(desk: Desk, order_ids: list[str]) -> list[str]:
    return [(await desk.order(order_id))["status"] for order_id in order_ids]


def test_a_bracket_is_one_request_whose_children_wait_for_the_parent_fill_then_cancel_each_other() -> None:
    async def scenario() -> dict[str, Any]:
        async with order_desk() as desk:
            bid, _ = await touch(desk)
            # the take-profit is marketable the moment it works: it may only fill after the entry did
            tickets = bracket(round(bid - 0.02, 2), round(bid * 0.98, 2), round(bid - 0.05, 2))
            asked, answer = await place_family(desk, tickets)
            ids = [str(a["order_id"]) for a in answer]
            held = await statuses(desk, ids)
            rows = [await desk.order(i) for i in ids]
            links = (await desk.state())["links"]
            waiting = []
            for _ in range(200):
                await desk.control("step", steps=5)
                if (await desk.order(ids[0]))["status"] != "Filled":
                    waiting.append([Decimal(r["filledQuantity"]) for r in [await desk.order(i) for i in ids[1:]]])
                    continue
                break
            await desk.call("GET", "/iserver/account/orders")  # a match: the stop's cancel completes
            return {"asked": asked, "answer": answer, "held": held, "rows": rows, "links": links, "ids": ids} | {
                "waiting": waiting,
                "after": await statuses(desk, ids),
            }

    seen = run_async(scenario)
    assert seen["asked"] == [["o10331"]]  # asked about the stop child: the loop covers the whole request
    assert len(seen["answer"]) == 3
    assert all(set(a) == {"order_id", "order_status", "encrypt_message"} for a in seen["answer"])
    assert seen["held"] == ["Submitted", "PreSubmitted", "PreSubmitted"]
    parent_row, *child_rows = seen["rows"]
    assert parent_row["order_ref"].startswith("bd-test-")
    assert [r["order_ref"] for r in child_rows] == ["", ""]
    parent_id = int(seen["ids"][0])
    assert [seen["links"][i]["parent_id"] for i in seen["ids"]] == [None, parent_id, parent_id]
    assert [seen["links"][i]["held"] for i in seen["ids"]] == [False, True, True]
    assert seen["waiting"], "the entry filled at once: the children's wait was not observed"
    assert all(filled == [0, 0] for filled in seen["waiting"])
    assert seen["after"] == ["Filled", "Cancelled", "Filled"]


def test_a_child_may_name_a_placed_parent_by_its_order_id() -> None:
    async def scenario() -> tuple[list[dict[str, Any]], dict[str, Any], str]:
        async with order_desk() as desk:
            bid, _ = await touch(desk)
            parent, stop_loss, _ = bracket(round(bid - 0.05, 2), round(bid * 0.98, 2), round(bid * 1.01, 2))
            parent_id = await desk.accepted(parent)
            _, answer = await place_family(desk, [stop_loss | {"parentId": parent_id}])
            child_id = str(answer[0]["order_id"])
            return answer, (await desk.state())["links"][child_id], parent_id

    answer, link, parent_id = run_async(scenario)
    assert answer[0]["order_status"] == "PreSubmitted"
    assert link == {"parent_id": int(parent_id), "oca_group": f"children-of-{parent_id}", "held": True}


def test_cancelling_the_parent_cancels_its_children() -> None:
    async def scenario() -> tuple[list[str], list[str]]:
        async with order_desk() as desk:
            bid, _ = await touch(desk)
            _, answer = await place_family(
                desk, bracket(round(bid - 0.05, 2), round(bid * 0.98, 2), round(bid * 1.01, 2))
            )
            ids = [str(a["order_id"]) for a in answer]
            await desk.call("DELETE", f"/iserver/account/{ACCOUNT}/order/{ids[0]}")
            pending = await statuses(desk, ids)
            await desk.call("GET", "/iserver/account/orders")
            return pending, await statuses(desk, ids)

    pending, done = run_async(scenario)
    assert pending == ["PendingCancel"] * 3
    assert done == ["Cancelled"] * 3


def test_any_fill_of_an_oca_member_even_partial_cancels_the_others() -> None:
    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
        async with order_desk() as desk:
            bid, ask = await touch(desk)
            resting = limit_ticket(round(bid - 0.05, 2), quantity=10, isSingleGroup=True)
            marketable = {k: v for k, v in limit_ticket(ask, quantity=5000).items() if k != "cOID"}
            marketable |= {"parentId": resting["cOID"], "isSingleGroup": True}
            _, answer = await place_family(desk, [resting, marketable])
            ids = [str(a["order_id"]) for a in answer]
            await desk.call("GET", "/iserver/account/orders")
            return answer, [await desk.order(i) for i in ids], (await desk.state())["links"]

    answer, (first, second), links = run_async(scenario)
    assert [a["order_status"] for a in answer] == ["PendingCancel", "Submitted"]
    assert 0 < Decimal(second["filledQuantity"]) < 5000  # partly filled at the touch, still working
    assert second["status"] == "Submitted"
    assert (first["status"], first["filledQuantity"]) == ("Cancelled", "0.0")
    group = {link["oca_group"] for link in links.values()}
    assert group == {f"oca-{first['orderId']}"}
    assert not any(link["held"] for link in links.values())


def test_requests_ibkr_would_refuse_are_refused_with_200_and_an_error() -> None:
    async def scenario() -> tuple[dict[str, tuple[int, str]], list[dict[str, Any]]]:
        async with order_desk() as desk:
            bid, _ = await touch(desk)
            parent, stop_loss, take_profit = bracket(round(bid - 0.05, 2), round(bid * 0.98, 2), round(bid * 1.01, 2))
            shapes = {
                "child with cOID": [parent, stop_loss | {"cOID": "bd-child"}],
                "unknown parent": [parent, stop_loss | {"parentId": "bd-nobody"}],
                "lone unknown parent": [stop_loss | {"parentId": "999"}],
                "unrelated": [parent, limit_ticket(round(bid - 0.05, 2))],
                "children of two parents": [stop_loss | {"parentId": "bd-a"}, take_profit | {"parentId": "bd-b"}],
                "partial OCA": [parent | {"isSingleGroup": True}, stop_loss],
            }
            seen = {}
            for name, tickets in shapes.items():
                response = await desk.call("POST", FAMILY_PATH, {"orders": tickets})
                seen[name] = (response.status_code, error_of(response))
            return seen, (await desk.state())["orders"]

    seen, orders = run_async(scenario)
    assert orders == []
    assert all(status == 200 for status, _ in seen.values())
    assert "carries no cOID" in seen["child with cOID"][1]
    assert "parentId bd-nobody names no order" in seen["unknown parent"][1]
    assert "parentId 999 names no order" in seen["lone unknown parent"][1]
    assert (
        seen["unrelated"][1]
        == "the orders endpoint does not currently support the placement of unrelated orders in bulk"
    )
    assert "names no order" in seen["children of two parents"][1]
    assert "isSingleGroup must be true on every order" in seen["partial OCA"][1]


def test_an_armed_child_failure_places_the_parent_alone_and_refuses_the_children() -> None:
    async def scenario() -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, Any]]:
        async with order_desk() as desk:
            bid, _ = await touch(desk)
            armed = await desk.control("child_failure", reason="Child order rejected: margin")
            _, answer = await place_family(
                desk, bracket(round(bid - 0.05, 2), round(bid * 0.98, 2), round(bid * 1.01, 2))
            )
            return answer, armed, await desk.state()

    answer, armed, state = run_async(scenario)
    assert armed["child_failures"] == ["Child order rejected: margin"]
    parent, *children = answer
    assert parent["order_status"] == "Submitted"
    assert children == [{"error": "Child order rejected: margin"}] * 2
    assert [str(o["orderId"]) for o in state["orders"]] == [parent["order_id"]]
    assert state["child_failures"] == []
