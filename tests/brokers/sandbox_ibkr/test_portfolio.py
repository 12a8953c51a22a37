"""The emulated IBKR portfolio over real HTTP: pre-flight, pacing, shapes, the frozen cache, ghosts, fills."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.brokers.sandbox_ibkr.client_helpers import AAPL, ACCOUNT, MSFT, error_of, ibkr_sandbox, register
from tests.brokers.sandbox_ibkr.order_helpers import Desk, limit_ticket, order_desk
from tests.brokers.sandbox_ibkr.stream_helpers import Frame, next_frame, stream, sync, tickle_session, topic_is
from tests.conftest import run_async

ES = 495512557
PAGE = f"/portfolio/{ACCOUNT}/positions/0"
POSITIONS2 = f"/portfolio2/{ACCOUNT}/positions"


async def portfolio_control(desk: Desk, path: str = "", **body: Any) -> dict[str, Any]:
    url = f"{desk.root}/sandbox/ibkr/portfolio" + (f"/{path}" if path else "")
    response = await (desk.client.post(url, json=body) if path else desk.client.get(url))
    assert response.status_code == 200, response.text
    return dict(response.json())


async def holdings(desk: Desk) -> dict[int, dict[str, Any]]:
    accounts = (await portfolio_control(desk))["accounts"]
    return {h["conid"]: h for h in accounts[ACCOUNT]["holdings"]}


async def listed(desk: Desk) -> None:
    """The pre-flight, with the accounts pacing off so a test may list again."""
    await portfolio_control(desk, "settings", accounts_interval_s=0, pnl_interval_s=0)
    assert (await desk.call("GET", "/portfolio/accounts")).status_code == 200


async def market_buy(desk: Desk, quantity: int, conid: int = AAPL, side: str = "BUY") -> None:
    await desk.market_data(conid)
    ticket = {k: v for k, v in limit_ticket(0, quantity=quantity).items() if k != "price"}
    await desk.accepted(ticket | {"orderType": "MKT", "conid": conid, "side": side})


async def mark_moved(desk: Desk, conid: int, since: str) -> str:
    """Step the market until `conid`'s mark is no longer `since` (a random walk gets there in a few steps)."""
    for _ in range(500):
        await desk.control("step", steps=1)
        if (mark := (await holdings(desk))[conid]["mark"]) != since:
            return str(mark)
    raise AssertionError("the market never moved")


def test_the_portfolio_is_empty_until_the_accounts_are_listed_which_is_paced() -> None:
    async def scenario() -> dict[str, Any]:
        async with order_desk() as desk:
            await portfolio_control(
                desk, "account", account=ACCOUNT, positions=[{"conid": AAPL, "quantity": 5, "average_price": "180"}]
            )
            paths = (PAGE, POSITIONS2, f"/portfolio/{ACCOUNT}/summary", f"/portfolio/{ACCOUNT}/ledger")
            before = {p: (await desk.call("GET", p)).json() for p in paths}
            first = await desk.call("GET", "/portfolio/accounts")
            second = await desk.call("GET", "/portfolio/accounts")
            after = {p: (await desk.call("GET", p)).json() for p in paths}
            unknown = await desk.call("GET", "/portfolio/U0000000/summary")
            return {"before": before, "first": first, "second": second, "after": after, "unknown": unknown}

    seen = run_async(scenario)
    assert all(body == [] for body in seen["before"].values())
    assert seen["first"].status_code == 200
    (row,) = seen["first"].json()
    assert (row["id"], row["accountId"], row["type"], row["currency"]) == (ACCOUNT, ACCOUNT, "DEMO", "USD")
    assert seen["second"].status_code == 429  # 1 per 5 s
    assert all(body for body in seen["after"].values())
    assert seen["unknown"].status_code == 400
    assert "not valid" in error_of(seen["unknown"])


def test_summary_and_ledger_have_ibkrs_keys_units_and_value_shapes() -> None:
    async def scenario() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        async with order_desk() as desk:
            positions = [{"conid": AAPL, "quantity": "10", "average_price": "100"}]
            await portfolio_control(desk, "account", account=ACCOUNT, cash="5000", positions=positions)
            await listed(desk)
            summary = (await desk.call("GET", f"/portfolio/{ACCOUNT}/summary")).json()
            ledger = (await desk.call("GET", f"/portfolio/{ACCOUNT}/ledger")).json()
            return summary, ledger, await holdings(desk)

    summary, ledger, held = run_async(scenario)
    mark = Decimal(held[AAPL]["mark"])
    net = Decimal(5000) + 10 * mark
    for key in ("netliquidation", "totalcashvalue", "buyingpower", "equitywithloanvalue", "excessliquidity"):
        assert {key, f"{key}-s", f"{key}-c"} <= set(summary)
        assert set(summary[key]) == {"amount", "currency", "isNull", "severity", "timestamp"}
        assert summary[key]["timestamp"] > 10**12  # ms
    assert Decimal(str(summary["netliquidation"]["amount"])) == net.quantize(Decimal("0.01"))
    assert summary["netliquidation-c"]["amount"] == 0
    assert summary["totalcashvalue"]["amount"] == 5000
    assert summary["accountcode"]["value"] == ACCOUNT
    assert summary["accountcode"]["amount"] == 0
    assert set(ledger) == {"BASE", "USD"}
    assert [k for k, entry in ledger.items() if entry.get("endofbundle") == 1] == ["BASE"]
    base = ledger["BASE"]
    assert base["key"] == "LedgerList"
    assert 10**9 < base["timestamp"] < 10**11  # s
    assert base["cashbalance"] == 5000
    assert Decimal(str(base["unrealizedpnl"])) == (10 * (mark - 100)).quantize(Decimal("0.01"))


def test_paged_positions_freeze_until_invalidated_while_portfolio2_follows_the_market() -> None:
    async def scenario() -> dict[str, Any]:
        async with order_desk() as desk:
            positions = [{"conid": AAPL, "quantity": "100", "average_price": "180"}]
            await portfolio_control(desk, "account", account=ACCOUNT, positions=positions)
            await listed(desk)
            first = (await desk.call("GET", PAGE)).json()
            moved = await mark_moved(desk, AAPL, str(first[0]["mktPrice"]))
            frozen = (await desk.call("GET", PAGE)).json()
            live = (await desk.call("GET", POSITIONS2)).json()
            await market_buy(desk, 5, MSFT)
            still = (await desk.call("GET", PAGE)).json()
            live_after_fill = (await desk.call("GET", POSITIONS2)).json()
            invalidated = await desk.call("POST", f"/portfolio/{ACCOUNT}/positions/invalidate")
            fresh = (await desk.call("GET", PAGE)).json()
            second_page = (await desk.call("GET", f"/portfolio/{ACCOUNT}/positions/1")).json()
            return {"first": first, "moved": moved, "frozen": frozen, "live": live, "still": still,
                    "live_after_fill": live_after_fill, "invalidated": invalidated, "fresh": fresh,
                    "second_page": second_page, "held": await holdings(desk)}  # fmt: skip

    seen = run_async(scenario)
    (row,) = seen["first"]
    assert row["conid"] == AAPL
    assert (row["position"], row["avgPrice"], row["avgCost"], row["pageSize"]) == (100, 180, 180, 100)
    assert row["multiplier"] == 0.0  # IBKR reports a stock's as 0
    assert seen["frozen"] == seen["first"]
    assert seen["still"] == seen["first"]  # a fill does not reach the cache either
    (live,) = seen["live"]
    assert live["conid"] == str(AAPL)
    assert Decimal(str(live["marketPrice"])) == Decimal(seen["moved"])
    assert Decimal(str(live["marketValue"])) == 100 * Decimal(seen["moved"])
    assert "mktPrice" not in live
    assert [r["conid"] for r in seen["live_after_fill"]] == [str(AAPL), str(MSFT)]
    assert seen["invalidated"].json() == {"message": "success"}
    assert [r["conid"] for r in seen["fresh"]] == [AAPL, MSFT]
    assert Decimal(str(seen["fresh"][0]["mktPrice"])) == Decimal(seen["held"][AAPL]["mark"])
    assert seen["second_page"] == []


def test_fills_move_quantity_average_cost_cash_and_realized_pnl_and_a_close_leaves_a_ghost() -> None:
    async def scenario() -> dict[str, Any]:
        async with order_desk() as desk:
            await portfolio_control(desk, "account", account=ACCOUNT, cash="100000")
            await listed(desk)
            await market_buy(desk, 10)
            opened = (await desk.call("GET", POSITIONS2)).json()
            await market_buy(desk, 10, side="SELL")
            closed = (await desk.call("GET", POSITIONS2)).json()
            await desk.call("POST", f"/portfolio/{ACCOUNT}/positions/invalidate")
            paged = (await desk.call("GET", PAGE)).json()
            executions = (await desk.state())["executions"]
            cash = (await portfolio_control(desk))["accounts"][ACCOUNT]["cash"]
            await desk.call("POST", "/logout")
            await desk.consumer.start_brokerage(desk.client)
            assert (await desk.call("GET", "/portfolio/accounts")).status_code == 200
            new_session = (await desk.call("GET", POSITIONS2)).json()
            return {"opened": opened, "closed": closed, "paged": paged, "executions": executions, "cash": cash,
                    "new_session": new_session}  # fmt: skip

    seen = run_async(scenario)
    buys = [e for e in seen["executions"] if e["side"] == "B"]
    sells = [e for e in seen["executions"] if e["side"] == "S"]
    bought = sum(Decimal(e["price"]) * Decimal(str(e["size"])) for e in buys)
    sold = sum(Decimal(e["price"]) * Decimal(str(e["size"])) for e in sells)
    (opened,) = seen["opened"]
    assert opened["position"] == 10
    assert Decimal(str(opened["avgPrice"])) == bought / 10
    (ghost,) = seen["closed"]
    assert ghost["position"] == 0
    assert Decimal(str(ghost["realizedPnl"])) == (sold - bought).quantize(Decimal("0.01"))
    (paged_ghost,) = seen["paged"]
    assert paged_ghost["position"] == 0
    commissions = Decimal("1.00") * len(seen["executions"])
    assert Decimal(seen["cash"]) == 100000 - bought + sold - commissions
    assert seen["new_session"] == []  # a session that never saw it open shows no ghost


def test_a_future_reports_average_cost_per_contract() -> None:
    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        async with order_desk() as desk:
            positions = [{"conid": ES, "quantity": "2", "average_price": "5200"}]
            await portfolio_control(desk, "account", account=ACCOUNT, positions=positions)
            await listed(desk)
            return (await desk.call("GET", PAGE)).json(), (await desk.call("GET", POSITIONS2)).json()

    (paged,), (live,) = run_async(scenario)
    assert (paged["assetClass"], paged["multiplier"], paged["avgPrice"], paged["avgCost"]) == ("FUT", 50, 5200, 260000)
    value, cost = Decimal(str(paged["mktValue"])), Decimal(str(paged["avgCost"]))
    assert value - cost * 2 == Decimal(str(paged["unrealizedPnl"]))
    assert (live["avgCost"], live["avgPrice"], live["secType"]) == (260000, 5200, "FUT")


def test_pnl_partitioned_needs_the_brokerage_session_starts_empty_and_is_paced() -> None:
    async def scenario() -> dict[str, Any]:
        async with ibkr_sandbox() as (client, root):
            consumer = await register(client, root)
            await consumer.mint(client)
            no_bridge = await consumer.call(client, "GET", "/iserver/account/pnl/partitioned")
            await consumer.start_brokerage(client)
            first = await consumer.call(client, "GET", "/iserver/account/pnl/partitioned")
            paced = await consumer.call(client, "GET", "/iserver/account/pnl/partitioned")
            settings = await client.post(f"{root}/sandbox/ibkr/portfolio/settings", json={"pnl_interval_s": 0})
            assert settings.status_code == 200
            then = await consumer.call(client, "GET", "/iserver/account/pnl/partitioned")
            await consumer.call(client, "GET", "/portfolio/accounts")
            summary = (await consumer.call(client, "GET", f"/portfolio/{ACCOUNT}/summary")).json()
            return {"no_bridge": no_bridge, "first": first, "paced": paced, "then": then, "summary": summary}

    seen = run_async(scenario)
    assert seen["no_bridge"].status_code == 400
    assert seen["first"].json() == {"upnl": {}}
    assert seen["paced"].status_code == 429
    row = seen["then"].json()["upnl"][f"{ACCOUNT}.Core"]
    assert set(row) == {"rowType", "dpl", "nl", "upl", "el", "mv"}
    assert row["rowType"] == 1
    assert row["nl"] == seen["summary"]["netliquidation"]["amount"]
    assert row["el"] == seen["summary"]["excessliquidity"]["amount"]


def test_portfolio2_can_be_withdrawn_and_the_controls_refuse_nonsense() -> None:
    async def scenario() -> tuple[int, list[int]]:
        async with order_desk() as desk:
            await listed(desk)
            await portfolio_control(desk, "settings", portfolio2=False)
            withdrawn = (await desk.call("GET", POSITIONS2)).status_code
            url = f"{desk.root}/sandbox/ibkr/portfolio"
            bodies = [
                ("settings", {"pnl_interval_s": -1}),
                ("settings", {"portfolio2": "no"}),
                ("settings", {"speed": 1}),
                ("account", {"cash": "1"}),
                ("account", {"account": ACCOUNT, "positions": [{"conid": 1, "quantity": 1, "average_price": 1}]}),
                ("account", {"account": ACCOUNT, "cash": "lots"}),
            ]
            statuses = [(await desk.client.post(f"{url}/{path}", json=body)).status_code for path, body in bodies]
            return withdrawn, statuses

    withdrawn, statuses = run_async(scenario)
    assert withdrawn == 404
    assert statuses == [400] * 6


@pytest.mark.parametrize("page", ["x", "-1"])
def test_a_page_must_be_a_whole_number(page: str) -> None:
    async def scenario() -> int:
        async with order_desk() as desk:
            await listed(desk)
            return (await desk.call("GET", f"/portfolio/{ACCOUNT}/positions/{page}")).status_code

    assert run_async(scenario) == 400


def test_spl_pushes_the_pnl_with_uel_after_every_fill_until_upl() -> None:
    async def scenario() -> tuple[Frame, Frame, list[Frame]]:
        async with order_desk() as desk:
            session = await tickle_session(desk.client, desk.consumer)
            async with stream(desk.root, desk.consumer, session) as ws:
                await ws.send("spl+{}")
                first = await next_frame(ws, topic_is("spl"))
                await market_buy(desk, 10)
                after_fill = await next_frame(ws, topic_is("spl"))
                await ws.send("upl+{}")
                await sync(ws)
                await market_buy(desk, 10)
                return first, after_fill, await sync(ws)

    first, after_fill, after_upl = run_async(scenario)
    row = first["args"][f"{ACCOUNT}.Core"]
    assert set(row) == {"rowType", "dpl", "nl", "upl", "uel", "mv"}
    assert row["mv"] == 0
    moved = after_fill["args"][f"{ACCOUNT}.Core"]
    assert moved["mv"] > 0
    assert moved["dpl"] != 0  # at least the commission
    assert not [f for f in after_upl if f.get("topic") == "spl"]
