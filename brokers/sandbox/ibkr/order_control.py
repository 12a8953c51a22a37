"""Sandbox-only controls of the emulated IBKR order desk (no OAuth, never under /v1/api).

- `GET  /sandbox/ibkr/orders`: every order (as live orders report it), every execution, the settings, and
  `links`: each order's parent, OCA group and whether it is held (live orders carry no parent field).
- `GET  /sandbox/ibkr/orders/received`: every place, reply, modify, cancel and suppression request the
  gateway received, with its body and answer, oldest first: proof that a SHADOW order never got here.
- `POST /sandbox/ibkr/orders/questions {"message_ids": ["o163", "o354"]}`: the next order (or modify) is
  asked exactly these questions, chained in this order (`[]`: none); each POST arms one order.
- `POST /sandbox/ibkr/orders/reply_unavailable {"goes_live": true}`: the next reply answers 503; with
  `goes_live` (and a confirming reply) the order still goes live, the ambiguous case clients reconcile.
- `POST /sandbox/ibkr/orders/child_failure {"reason": "..."}`: the next place request with children (a
  bracket, or children of a placed parent) places its parent alone and answers, one element per order
  in the order sent, `{"order_id", "order_status", "encrypt_message"}` for the parent and
  `{"error": <reason>}` for each child, which is not placed: the OTO partial-failure path. Each POST
  arms one request.
- `POST /sandbox/ibkr/orders/settings {"poll_interval_s": 0.5}`: the least time between two live-orders
  (or trades) calls of one session before a 429 (IBKR: 5 s).
- `POST /sandbox/ibkr/orders/step {"steps": 3}`: move the market on that many ticks, matching after each.
- `POST /sandbox/ibkr/orders/reset`: forget every order, execution, question, journal entry and setting.
"""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from brokers.sandbox.ibkr.order_routes import OrderEndpoints

MAX_STEPS = 10_000
MAX_POLL_INTERVAL_S = 60.0


def _bad_request(message: str) -> JSONResponse:
    return JSONResponse({"error": message, "statusCode": 400}, status_code=400)


async def json_object(request: Request) -> dict[str, Any]:
    """A control's JSON object body; ValueError saying what is wrong with it."""
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise ValueError("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


def order_control_routes(endpoints: OrderEndpoints) -> list[Route]:
    desk = endpoints.desk

    def state() -> dict[str, Any]:
        return {
            "orders": [desk.row(o) for o in desk.orders.values()],
            "executions": list(desk.executions),
            "settings": {"poll_interval_s": endpoints.poll_interval_s},
            "forced_questions": [list(ids) for ids in endpoints.replies.forced],
            "unavailable_replies": list(endpoints.replies.unavailable),
            "child_failures": list(endpoints.child_failures),
            "links": desk.links(),
        }

    async def overview(request: Request) -> JSONResponse:
        return JSONResponse(state())

    async def received(request: Request) -> JSONResponse:
        return JSONResponse({"received": endpoints.received})

    async def questions(request: Request) -> JSONResponse:
        try:
            ids = (await json_object(request)).get("message_ids")
            if not isinstance(ids, list) or not all(isinstance(i, str) and i for i in ids):
                raise ValueError('\'message_ids\' must be a list of message ids, e.g. ["o163", "o354"]')
        except ValueError as exc:
            return _bad_request(str(exc))
        endpoints.replies.forced.append(list(ids))
        return JSONResponse(state())

    async def unavailable(request: Request) -> JSONResponse:
        try:
            goes_live = (await json_object(request)).get("goes_live", True)
            if not isinstance(goes_live, bool):
                raise ValueError("'goes_live' must be true or false")
        except ValueError as exc:
            return _bad_request(str(exc))
        endpoints.replies.unavailable.append(goes_live)
        return JSONResponse(state())

    async def child_failure(request: Request) -> JSONResponse:
        try:
            reason = (await json_object(request)).get("reason")
            if not isinstance(reason, str) or not reason:
                raise ValueError("'reason' must be the error text the children are refused with")
        except ValueError as exc:
            return _bad_request(str(exc))
        endpoints.child_failures.append(reason)
        return JSONResponse(state())

    async def settings(request: Request) -> JSONResponse:
        try:
            body = await json_object(request)
            if set(body) != {"poll_interval_s"}:
                raise ValueError("the only setting is 'poll_interval_s'")
            value = body["poll_interval_s"]
            numeric = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
            if not numeric or not 0 <= value <= MAX_POLL_INTERVAL_S:
                raise ValueError(f"'poll_interval_s' must be a number of seconds from 0 to {MAX_POLL_INTERVAL_S:g}")
        except ValueError as exc:
            return _bad_request(str(exc))
        endpoints.poll_interval_s = float(value)
        return JSONResponse(state())

    async def step(request: Request) -> JSONResponse:
        try:
            steps = (await json_object(request)).get("steps", 1)
            if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
                raise ValueError(f"'steps' must be a whole number from 1 to {MAX_STEPS}")
        except ValueError as exc:
            return _bad_request(str(exc))
        desk.step(steps)
        return JSONResponse(state())

    async def reset(request: Request) -> JSONResponse:
        endpoints.reset()
        return JSONResponse(state())

    return [
        Route("/sandbox/ibkr/orders", overview, methods=["GET"]),
        Route("/sandbox/ibkr/orders/received", received, methods=["GET"]),
        Route("/sandbox/ibkr/orders/questions", questions, methods=["POST"]),
        Route("/sandbox/ibkr/orders/reply_unavailable", unavailable, methods=["POST"]),
        Route("/sandbox/ibkr/orders/child_failure", child_failure, methods=["POST"]),
        Route("/sandbox/ibkr/orders/settings", settings, methods=["POST"]),
        Route("/sandbox/ibkr/orders/step", step, methods=["POST"]),
        Route("/sandbox/ibkr/orders/reset", reset, methods=["POST"]),
    ]
