"""The trading core: whether an order goes to the broker, and the one path every order takes.

`gate` holds each profile's mode (SHADOW at every start; LIVE only through a passing `readiness` checklist
and the exact phrase it issued, until the end of the exchange's trading day) in one `mode_state` file the
window and the CLI share. `desk` is the one order entry point: validation, mode, per-order cap (`limits`),
daily notional `ledger`, idempotency (`idempotency`), then the simulator (SHADOW) or the connector's
`OrderRoute` (LIVE, `live_orders`); `order_book` keeps what happened. Structures (bracket, OCO, OTO) take
the same path as a whole (`structure_desk`, valued by `structures`, simulated by `shadow_structures`), and
`reconcile` compares, read-only, what the broker holds with what was intended. `audit` is the hash-chained
log of every transition and order decision. No Qt here, and no broker package: connectors plug in through
`brokers.core.orders` and `brokers.core.order_route`.
"""
