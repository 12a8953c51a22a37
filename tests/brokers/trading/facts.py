"""Readiness facts for the trading tests: a profile that passes every item unless a test changes one."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from brokers.core.actions import NextAction
from brokers.core.health import ConnectionState, CredentialHealth
from brokers.trading.limits import Limits
from brokers.trading.readiness import Checklist, ReadinessInputs, checklist

NOW = 1_750_000_000.0  # 2025-06-15 15:06:40 UTC, a Sunday; 11:06 in New York
ACCOUNT = "DU1234567"


def health(state: ConnectionState = ConnectionState.ACTIVE, **changes: Any) -> CredentialHealth:
    base = CredentialHealth(
        profile="paper",
        kind="ibkr-oauth1a",
        state=state,
        reason="Live session token valid.",
        next_action=NextAction.NONE,
        expires_at=datetime.fromtimestamp(NOW + 86_400, UTC),
    )
    return replace(base, **changes)


def inputs(**changes: Any) -> ReadinessInputs:
    base = ReadinessInputs(
        profile="paper",
        can_trade=True,
        connected=True,
        health=health(),
        account=ACCOUNT,
        limits=Limits(Decimal("50000"), Decimal("200000")),
        market="live",
        market_detail="AAPL via IBKR WebSocket",
        clock_offset_s=0.3,
        now=NOW,
    )
    return replace(base, **changes)


def ready(**changes: Any) -> Checklist:
    return checklist(inputs(**changes))
