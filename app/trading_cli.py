"""`brokerdeck mode`, `brokerdeck limits` and `brokerdeck audit verify`: the trading mode from a terminal.

The CLI reads and writes the same mode state as the window (in the data dir) and judges readiness itself:
it connects the profile as the window would, streams the instrument, and runs the same checklist before it
arms and before each LIVE order. Exit codes: 0 done, 1 failed (could not connect, a broken audit log),
2 the command or its profile is wrong, 3 refused (a checklist that fails, a wrong phrase).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from app.missing_profile import explain_missing

if TYPE_CHECKING:
    from app.context import AppContext
    from app.headless import HeadlessConnection
    from app.sandbox import SandboxEndpoints
    from brokers.core.connector import Connector
    from brokers.core.profiles import Profile
    from brokers.trading.gate import ModeGate
    from brokers.trading.readiness import Checklist

DONE, FAILED, WRONG, REFUSED = 0, 1, 2, 3


@dataclass(frozen=True)
class Found:
    profile: Profile
    connector: Connector[Profile]
    sandbox: SandboxEndpoints | None


def add_mode_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="mode_action", metavar="ACTION")
    live = actions.add_parser(
        "live",
        help="arm LIVE for one profile: prints the checklist and the phrase; --confirm PHRASE arms",
        description="Run the readiness checklist for PROFILE (connecting it as the window would). Without "
        "--confirm, print the checklist and the phrase to type; with --confirm and exactly that phrase, arm LIVE "
        "until the end of the exchange's trading day.",
    )
    live.add_argument("profile", help="a profile whose broker Brokerdeck can trade with")
    live.add_argument("--confirm", metavar="PHRASE", help="the phrase the previous run printed, typed exactly")
    _add_instrument(live)
    shadow = actions.add_parser("shadow", help="back to SHADOW: one profile, or every profile when none is named")
    shadow.add_argument("profile", nargs="?", help="the profile (default: every profile)")
    parser.add_argument("--json", action="store_true", help="machine-readable output for scripts")


def add_limits_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("profile", help="the profile whose limits to show or set")
    parser.add_argument("--per-order", metavar="AMOUNT", help="the most one order may be worth (quantity x price)")
    parser.add_argument("--daily", metavar="AMOUNT", help="the most a day's buys may add up to")


def add_audit_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="audit_action", metavar="ACTION", required=True)
    actions.add_parser("verify", help="check the audit log's hash chain, order and end; exit 1 when broken")


def _add_instrument(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--symbol", help="the instrument whose market data the checklist checks, e.g. AAPL")
    which.add_argument("--conid", type=int, help="the same, as the broker's contract id")


def gate_for(context: AppContext, who: str = "cli") -> ModeGate:
    from brokers.trading.audit import AuditLog
    from brokers.trading.gate import ModeGate
    from brokers.trading.mode_state import ModeStore

    data_dir = context.paths.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    return ModeGate(ModeStore(data_dir), AuditLog(data_dir), who)


def run_mode(context: AppContext, args: argparse.Namespace) -> int:
    gate = gate_for(context)
    if args.mode_action == "shadow":
        return _to_shadow(context, gate, args.profile)
    if args.mode_action == "live":
        found = find_profile(context, args.profile)
        if found is None:
            return WRONG
        return asyncio.run(_arm(context, gate, found, args.confirm, _instrument(args)))
    return asyncio.run(_show_modes(context, gate, as_json=args.json))


def run_limits(context: AppContext, args: argparse.Namespace) -> int:
    from brokers.trading.limits import LimitError, LimitsStore

    if find_profile(context, args.profile) is None:
        return WRONG
    store = LimitsStore(context.paths.data_dir)
    if args.per_order is not None or args.daily is not None:
        current = store.get(args.profile)
        try:
            limits = store.set(
                args.profile,
                args.per_order if args.per_order is not None else current.per_order,
                args.daily if args.daily is not None else current.daily,
            )
        except LimitError as exc:
            print(f"brokerdeck limits: {exc}")
            return REFUSED
        what = {"per_order": str(limits.per_order), "daily": str(limits.daily)}
        gate_for(context).audit.append("cli", "limits.set", args.profile, what, "set from the command line")
    limits = store.get(args.profile)
    print(f"{args.profile}: per-order cap {_amount(limits.per_order)}, daily limit {_amount(limits.daily)}")
    return DONE


def run_audit(context: AppContext, args: argparse.Namespace) -> int:
    from brokers.trading.audit import AuditLog

    log = AuditLog(context.paths.data_dir)
    verdict = log.verify()
    if verdict.ok:
        print(f"The audit log is intact: {verdict.records} record(s), {log.path}")
        return DONE
    print(f"The audit log is BROKEN ({log.path}):")
    for problem in verdict.problems:
        print(f"  {problem}")
    print("It is never rewritten: keep a copy for your records; new records continue after the break.")
    return FAILED


def find_profile(context: AppContext, name: str) -> Found | None:
    """The named profile and its connector; None (the reason printed) when there is none."""
    sandbox = context.sandbox()
    profiles = context.profiles(sandbox)
    profile = profiles.get(name)
    if profile is None:
        reason = explain_missing(name, profiles, sandbox) or f"no profile named {name!r} (see `brokerdeck status`)"
        print(f"brokerdeck: {reason}")
        return None
    return Found(profile, context.registry.of(profile), sandbox)


def checklist_of(connection: HeadlessConnection, context: AppContext) -> Checklist:
    from brokers.trading.limits import LimitsStore
    from brokers.trading.readiness import checklist, session_inputs

    name = connection.profile.name
    detail = connection.symbol or (f"contract {connection.conid}" if connection.conid else "")
    if connection.problem:
        detail = connection.problem
    facts = session_inputs(
        name,
        connection.connector.trades,
        connection.session,
        LimitsStore(context.paths.data_dir).get(name),
        connection.market_age(),
        detail,
        time.time(),
    )
    return checklist(facts)


def checklist_lines(checks: Checklist) -> list[str]:
    lines = []
    for item in checks.items:
        lines.append(f"  [{'ok' if item.ok else 'NO'}] {item.title}: {item.detail}")
        if not item.ok and item.fix:
            lines.append(f"       → {item.fix}")
    return lines


async def _arm(
    context: AppContext, gate: ModeGate, found: Found, phrase: str | None, instrument: int | str | None
) -> int:
    from app.headless import connected
    from brokers.trading.gate import ArmingRefused, WrongPhrase

    name = found.profile.name
    async with connected(found.connector, found.profile, context.vault(), found.sandbox, instrument) as connection:
        checks = checklist_of(connection, context)
        route = connection.route()
        print(f"Readiness checklist for {name}:")
        print("\n".join(checklist_lines(checks)))
        try:
            if phrase is None:
                arming = gate.begin_arming(name, checks, route.account if route is not None else "")
                print(f"\nTo arm LIVE for {name}, type this phrase within 10 minutes:")
                print(f"  brokerdeck mode live {name} --confirm '{arming.phrase}'")
                return DONE
            armed = gate.confirm(name, phrase, checks)
        except (ArmingRefused, WrongPhrase) as exc:
            print(f"\nRefused: {exc}")
            return REFUSED
    until = datetime.fromtimestamp(armed.until or 0).astimezone().strftime("%Y-%m-%d %H:%M %Z")
    print(f"\n{name} is LIVE: orders go to account {armed.account} until {until}.")
    print(f"Back to SHADOW at any time: brokerdeck mode shadow {name}")
    return DONE


def _to_shadow(context: AppContext, gate: ModeGate, name: str | None) -> int:
    if name is not None:
        if find_profile(context, name) is None:
            return WRONG
        gate.to_shadow(name, "the trader ran `brokerdeck mode shadow`")
        print(f"{name} is SHADOW.")
        return DONE
    gate.everything_to_shadow("the trader ran `brokerdeck mode shadow` for every profile")
    print("Every profile is SHADOW.")
    return DONE


async def _show_modes(context: AppContext, gate: ModeGate, *, as_json: bool) -> int:
    import json

    from app.headless import connected

    sandbox = context.sandbox()
    profiles = context.profiles(sandbox)
    verdict = gate.audit.verify()
    rows: list[dict[str, Any]] = []
    lines: list[str] = []
    for profile in profiles.profiles:
        connector = context.registry.of(profile)
        state = gate.state(profile.name)
        row: dict[str, Any] = {"profile": profile.name, "mode": state.mode.value, "until": state.until}
        line = f"{profile.name}: {state.mode.value}"
        if state.until is not None:
            line += f" until {datetime.fromtimestamp(state.until).astimezone():%Y-%m-%d %H:%M %Z} ({state.account})"
        lines.append(line)
        if connector.trades:
            async with connected(connector, profile, context.vault(), sandbox) as connection:
                checks = checklist_of(connection, context)
            row["checklist"] = [{"item": i.key, "ok": i.ok, "detail": i.detail, "fix": i.fix} for i in checks.items]
            lines.extend(checklist_lines(checks))
        else:
            lines.append("  cannot trade: Brokerdeck sends no orders to this broker (SHADOW only)")
        rows.append(row)
    audit = {"ok": verdict.ok, "records": verdict.records, "problems": list(verdict.problems)}
    if as_json:
        print(json.dumps({"profiles": rows, "audit": audit, "finding": gate.finding()}, indent=2))
    else:
        print("\n".join(lines) if lines else "No profiles yet (see the README).")
        if gate.finding():
            print(f"\nThe mode state could not be read: {gate.finding()} Every profile is SHADOW.")
        print("\n" + _audit_line(verdict.ok, verdict.records, verdict.problems))
    return DONE if verdict.ok else FAILED


def _audit_line(ok: bool, records: int, problems: Sequence[str]) -> str:
    if ok:
        return f"Audit log: intact ({records} record(s))."
    return "Audit log: BROKEN: " + "; ".join(problems) + " (see `brokerdeck audit verify`)"


def _instrument(args: argparse.Namespace) -> int | str | None:
    conid: int | None = args.conid
    symbol: str | None = args.symbol
    return conid if conid is not None else symbol


def _amount(value: object) -> str:
    return f"{value:,}" if value is not None else "not set"
