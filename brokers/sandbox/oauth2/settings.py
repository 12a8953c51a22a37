"""What a test may change about the sandbox's authorization server: lifetimes, refresh token
rotation, the `iss` parameter, the metadata document and token-endpoint faults.

`Authority` reads these settings on every request; `POST /sandbox/oauth2/settings` (see `control`)
changes them, all or nothing, and `POST /sandbox/oauth2/reset` brings back the defaults.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

ROTATIONS: tuple[str, ...] = ("rotate", "same", "omit")
MAX_TOKEN_DELAY_S = 30.0


@dataclass
class TokenFault:
    """Answer the next `times` token requests with `status` and {"error": error or "server_error"}."""

    status: int
    times: int = 1
    error: str | None = None


@dataclass
class Settings:
    """What a test may change about the server; `reset` brings back these defaults."""

    access_ttl_s: float = 3600.0
    refresh_ttl_s: float = 604800.0
    rotation: str = "rotate"
    any_port_loopback: bool = True
    omit_iss: bool = False
    iss_override: str | None = None
    issuer_override: str | None = None
    pkce_methods: list[str] | None = field(default_factory=lambda: ["S256"])
    token_fault: TokenFault | None = None
    token_delay_s: float = 0.0

    def update(self, body: Any) -> None:
        """Apply a subset of settings, all or nothing; ValueError says which value is wrong and why."""
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object of settings")
        unknown = sorted(set(body) - set(_PARSERS))
        if unknown:
            raise ValueError(f"unknown setting {unknown[0]!r}: the settings are {', '.join(_PARSERS)}")
        parsed = {key: _PARSERS[key](key, value) for key, value in body.items()}
        for key, value in parsed.items():
            setattr(self, key, value)

    def reset(self) -> None:
        fresh = Settings()
        for f in dataclasses.fields(self):
            setattr(self, f.name, getattr(fresh, f.name))

    def describe(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def take_token_fault(self) -> TokenFault | None:
        """The armed token fault with one use spent, or None."""
        fault = self.token_fault
        if fault is None:
            return None
        fault.times -= 1
        if fault.times <= 0:
            self.token_fault = None
        return fault


def _number(key: str, value: Any, low: float, high: float, *, low_inclusive: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{key!r} must be a number of seconds")
    if value > high or value < low or (value == low and not low_inclusive):
        bound = f"at least {low:g}" if low_inclusive else f"more than {low:g}"
        raise ValueError(f"{key!r} must be {bound} and at most {high:g}")
    return float(value)


def _ttl(key: str, value: Any) -> float:
    return _number(key, value, 0.0, 10 * 365 * 86400.0, low_inclusive=False)


def _delay(key: str, value: Any) -> float:
    return _number(key, value, 0.0, MAX_TOKEN_DELAY_S, low_inclusive=True)


def _flag(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{key!r} must be true or false")
    return value


def _text_or_null(key: str, value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{key!r} must be a string, or null for the server's own value")
    return value


def _rotation(key: str, value: Any) -> str:
    if value not in ROTATIONS:
        raise ValueError(f"{key!r} must be one of {', '.join(ROTATIONS)}")
    return str(value)


def _pkce_methods(key: str, value: Any) -> list[str] | None:
    if value is not None and (not isinstance(value, list) or not all(isinstance(m, str) for m in value)):
        raise ValueError(f"{key!r} must be a list of method names, or null to leave it out of the metadata")
    return value


def _token_fault(key: str, value: Any) -> TokenFault | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"status", "times", "error"}:
        raise ValueError(f"{key!r} must be an object with 'status', optional 'times' and 'error', or null")
    status, times, error = value.get("status"), value.get("times", 1), value.get("error")
    if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
        raise ValueError(f"{key!r}.status must be a whole number from 400 to 599")
    if isinstance(times, bool) or not isinstance(times, int) or times < 1:
        raise ValueError(f"{key!r}.times must be a whole number of at least 1")
    if error is not None and (not isinstance(error, str) or not error or " " in error):
        raise ValueError(f"{key!r}.error must be an OAuth error code such as 'temporarily_unavailable'")
    return TokenFault(status=status, times=times, error=error)


_PARSERS = {
    "access_ttl_s": _ttl,
    "refresh_ttl_s": _ttl,
    "rotation": _rotation,
    "any_port_loopback": _flag,
    "omit_iss": _flag,
    "iss_override": _text_or_null,
    "issuer_override": _text_or_null,
    "pkce_methods": _pkce_methods,
    "token_fault": _token_fault,
    "token_delay_s": _delay,
}
