"""Fault injection for the IBKR emulator: the failures a client must survive, on demand.

Tests arm a fault over `POST /sandbox/ibkr/faults`; the gateway asks `take()` before handling each
`/v1/api` request, and an armed fault answers (or delays) it instead, the way IBKR would.
`GET /sandbox/ibkr/faults` also lists the faults applied so far, most recent last.

Time on the server's side needs no waiting either: `POST /sandbox/ibkr/expire` ages a consumer's
LSTs out at once, `POST /sandbox/ibkr/age` moves one consumer's clock on by some seconds (its LSTs
and its idle session age; every check still runs as before), and `GET /sandbox/ibkr/consumers/KEY`
reports the times the server holds for a consumer.
"""

from __future__ import annotations

import json
import math
import time
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from brokers.sandbox.ibkr.consumers import Consumer, ConsumerRegistry

SSODH_INIT_PATH = "/v1/api/iserver/auth/ssodh/init"
FAULT_STATUSES = (401, 429, 500)
MAX_DELAY_S = 60.0
MAX_AGE_S = 366 * 86400.0
JOURNAL_LENGTH = 100


@dataclass
class Fault:
    """Answer the next `times` requests to `path` ("*" = any) with `status`, or delay them."""

    path: str
    times: int
    status: int | None = None
    delay_s: float | None = None

    def matches(self, path: str) -> bool:
        return self.times > 0 and self.path in ("*", path)


class FaultInjector:
    """Armed faults (first armed, first used) and whether other sessions compete for the user."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.competing = False
        self.applied: deque[dict[str, Any]] = deque(maxlen=JOURNAL_LENGTH)

    def configure(self, body: Any) -> dict[str, Any]:
        """Apply one control request; ValueError says what is wrong with it."""
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        if body.get("clear") is True:
            self.faults.clear()
            self.competing = False
        elif "competing" in body:
            if not isinstance(body["competing"], bool):
                raise ValueError("'competing' must be true or false")
            self.competing = body["competing"]
        else:
            self.faults.append(_parse_fault(body))
        return self.describe()

    def describe(self) -> dict[str, Any]:
        return {"faults": [asdict(f) for f in self.faults if f.times > 0], "competing": self.competing}

    def journal(self) -> dict[str, Any]:
        """What is armed, and the faults applied so far (most recent last)."""
        return self.describe() | {"applied": list(self.applied)}

    def applied_to(self, path: str, fault: Fault) -> None:
        """Note that `fault` answered a request to `path` (a delay: that it held it back, then let it on)."""
        effect = {"status": fault.status} if fault.status is not None else {"delay_s": fault.delay_s}
        self.applied.append({"path": path, **effect})

    def take(self, path: str) -> Fault | None:
        """The fault that applies to this request, with one of its uses spent."""
        for fault in self.faults:
            if fault.matches(path):
                fault.times -= 1
                self.faults = [f for f in self.faults if f.times > 0]
                return fault
        return None


def fault_response(status: int, path: str) -> JSONResponse:
    """The body IBKR sends with each injectable status."""
    if status == 429:
        body: dict[str, Any] = {"error": "Too many requests", "statusCode": 429}
        return JSONResponse(body, status_code=429, headers={"Retry-After": "1"})
    if status == 500:
        message = "failed to generate sso dh token" if path == SSODH_INIT_PATH else "internal error"
        return JSONResponse({"error": message}, status_code=500)
    return JSONResponse({"error": "not authenticated (injected fault)", "statusCode": status}, status_code=status)


def _parse_fault(body: dict[str, Any]) -> Fault:
    path, times = body.get("path"), body.get("times", 1)
    if not isinstance(path, str) or not (path == "*" or path.startswith("/v1/api/")):
        raise ValueError("'path' must be '*' or a path under /v1/api/, e.g. /v1/api/tickle")
    if isinstance(times, bool) or not isinstance(times, int) or times < 1:
        raise ValueError("'times' must be a whole number of at least 1")
    status, delay = body.get("status"), body.get("delay_s")
    if (status is None) == (delay is None):
        raise ValueError("give exactly one of 'status' or 'delay_s'")
    if status is not None:
        if isinstance(status, bool) or status not in FAULT_STATUSES:
            raise ValueError(f"'status' must be one of {', '.join(map(str, FAULT_STATUSES))}")
        return Fault(path=path, times=times, status=status)
    if isinstance(delay, bool) or not isinstance(delay, int | float) or not math.isfinite(delay):
        raise ValueError("'delay_s' must be a number of seconds")
    if not 0 < delay <= MAX_DELAY_S:
        raise ValueError(f"'delay_s' must be more than 0 and at most {MAX_DELAY_S:g}")
    return Fault(path=path, times=times, delay_s=float(delay))


def consumer_report(consumer: Consumer, idle_timeout_s: float) -> dict[str, Any]:
    """The times the server holds for `consumer`: each kept LST (oldest first), and its session."""
    now, session = time.time(), consumer.session
    tokens = [
        {"issued_at": token.issued_at, "expires_at": token.expires_at, "live": token.expires_at > now}
        for token in consumer.tokens
    ]
    report: dict[str, Any] = {"consumer_key": consumer.consumer_key, "lst_lifetime_s": consumer.lst_lifetime_s}
    report |= {"idle_timeout_s": idle_timeout_s, "tokens": tokens, "session": None}
    if session is not None:
        idle = time.monotonic() - session.last_seen
        report["session"] = {"brokerage": session.brokerage, "idle_s": idle, "live": idle <= idle_timeout_s}
    return report


def _age_seconds(body: dict[str, Any]) -> float:
    value = body.get("seconds")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError("'seconds' must be a number of seconds")
    if not 0 < value <= MAX_AGE_S:
        raise ValueError(f"'seconds' must be more than 0 and at most {MAX_AGE_S:g}")
    return float(value)


async def _json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object; anything else reads as an empty one."""
    try:
        body = json.loads(await request.body())
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message, "statusCode": status}, status_code=status)


def control_routes(injector: FaultInjector, registry: ConsumerRegistry, idle_timeout_s: float) -> list[Route]:
    """The sandbox-only routes that arm faults and move a consumer's time on (never under /v1/api)."""

    def registered(key: Any) -> Consumer:
        consumer = registry.get(key) if isinstance(key, str) else None
        if consumer is None:
            raise LookupError(f"no consumer {key!r} is registered")
        return consumer

    async def faults(request: Request) -> JSONResponse:
        if request.method == "GET":
            return JSONResponse(injector.journal())
        try:
            return JSONResponse(injector.configure(json.loads(await request.body())))
        except ValueError as exc:  # json.JSONDecodeError is a ValueError too
            return _error(400, str(exc))

    async def expire(request: Request) -> JSONResponse:
        try:
            consumer = registered((await _json_object(request)).get("consumer_key"))
        except LookupError as exc:
            return _error(404, str(exc))
        return JSONResponse({"consumer_key": consumer.consumer_key, "expired": consumer.expire_tokens(time.time())})

    async def age(request: Request) -> JSONResponse:
        body = await _json_object(request)
        try:
            consumer = registered(body.get("consumer_key"))
            seconds = _age_seconds(body)
        except LookupError as exc:
            return _error(404, str(exc))
        except ValueError as exc:
            return _error(400, str(exc))
        consumer.age(seconds)
        return JSONResponse({"aged_s": seconds} | consumer_report(consumer, idle_timeout_s))

    async def report(request: Request) -> JSONResponse:
        try:
            consumer = registered(request.path_params["consumer_key"])
        except LookupError as exc:
            return _error(404, str(exc))
        return JSONResponse(consumer_report(consumer, idle_timeout_s))

    return [
        Route("/sandbox/ibkr/faults", faults, methods=["GET", "POST"]),
        Route("/sandbox/ibkr/expire", expire, methods=["POST"]),
        Route("/sandbox/ibkr/age", age, methods=["POST"]),
        Route("/sandbox/ibkr/consumers/{consumer_key}", report, methods=["GET"]),
    ]
