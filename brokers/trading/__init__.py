"""The trading core (next): the mode gate (SHADOW at every start, LIVE only through a typed confirmation
and a passing readiness checklist), the one order entry point (validation, per-order cap, daily notional
ledger, idempotency), the SHADOW fill simulator and the hash-chained audit log. Connectors that can trade
will plug in here; nothing else will send an order. Nothing lives here yet.
"""
