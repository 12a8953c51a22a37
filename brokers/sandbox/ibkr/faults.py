"""Fault injection for the IBKR emulator: the failures a client must survive, on demand.

Tests arm a fault over `POST /sandbox/ibkr/faults`; the gateway asks `take()` before handling each
`/v1/api` request, and an armed fault answers (or delays) it instead, the way IBKR would.
`POST /sandbox/ibkr/expire` ages a consumer's LSTs out at once, so expiry needs no 24 h wait.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from brokers.sandbox.ibkr.consumers import ConsumerRegistry

SSODH_INIT_PATH = "/v1/api/iserver/auth/ssodh/init"
FAULT_STATUSES = (401, 429, 500)
MAX_DELAY_S = 60.0


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


def control_routes(injector: FaultInjector, registry: ConsumerRegistry) -> list[Route]:
    """The sandbox-only routes that arm faults and expire LSTs (never under /v1/api)."""

    async def faults(request: Request) -> JSONResponse:
        try:
            return JSONResponse(injector.configure(json.loads(await request.body())))
        except ValueError as exc:  # json.JSONDecodeError is a ValueError too
            return JSONResponse({"error": str(exc), "statusCode": 400}, status_code=400)

    async def expire(request: Request) -> JSONResponse:
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        key = body.get("consumer_key") if isinstance(body, dict) else None
        consumer = registry.get(key) if isinstance(key, str) else None
        if consumer is None:
            return JSONResponse({"error": f"no consumer {key!r} is registered", "statusCode": 404}, status_code=404)
        return JSONResponse({"consumer_key": key, "expired": consumer.expire_tokens(time.time())})

    return [
        Route("/sandbox/ibkr/faults", faults, methods=["POST"]),
        Route("/sandbox/ibkr/expire", expire, methods=["POST"]),
    ]
