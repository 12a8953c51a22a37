"""The `brokerdeck` command: the GUI by default, and the commands that share its core."""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from app.context import AppContext
from app.display_check import can_load, display_problem
from app.logging_setup import setup_logging
from brokers.core.timefmt import countdown

if TYPE_CHECKING:
    from brokers.core.health import CredentialHealth
    from brokers.health.report import StatusReport

log = logging.getLogger(__name__)

_DESCRIPTION = """\
Brokerdeck: a control center for your broker connections.

With no command, opens the main window.
Config, data and logs live in the platform's user folders, or under $BROKERDECK_HOME when it is set.
"""


class _Parser(argparse.ArgumentParser):
    """A parser whose epilog can be written when help is shown, not before: `login`'s needs the connectors,
    which the window does not wait for."""

    def __init__(self, *args: Any, epilog_of: Callable[[], str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.epilog_of = epilog_of

    def format_help(self) -> str:
        if self.epilog_of is not None:
            self.epilog = self.epilog_of()
        return super().format_help()


class _WindowOnlyParser(argparse.ArgumentParser):
    """The window's options alone, for a quick first look at the command line: it raises rather than exits."""

    def error(self, message: str) -> NoReturn:
        raise argparse.ArgumentError(None, message)


def window_arguments(argv: Sequence[str] | None) -> argparse.Namespace | None:
    """The arguments when the command line asks for the window and nothing else (no command, no help, no
    mistake); None otherwise, and the full parser reads it. The window then opens without the commands'
    modules, which it does not need."""
    parser = _WindowOnlyParser(add_help=False, allow_abbrev=False, exit_on_error=False)
    _add_window_options(parser)
    try:
        args, rest = parser.parse_known_args(sys.argv[1:] if argv is None else list(argv))
    except argparse.ArgumentError:
        return None
    if rest:
        return None
    args.command = None
    return args


def _add_window_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="with the main window: start the local broker emulators too, and stop them on exit",
    )
    parser.add_argument(
        "--screenshot",
        type=Path,
        metavar="PNG",
        help="with the main window: save a picture of it once its status has loaded, then exit",
    )
    parser.add_argument(
        "--geometry",
        type=window_size,
        metavar="WxH",
        help="with the main window: open it at this size in pixels, e.g. 1280x720 (screenshots, checks)",
    )


def build_parser(context: AppContext) -> argparse.ArgumentParser:
    from app import account_cli, keys_cli, login_cli, mcp_cli, orders_cli, trading_cli
    from app import sandbox as sandbox_wiring

    parser = _Parser(prog="brokerdeck", description=_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_window_options(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    sandbox = commands.add_parser(
        "sandbox",
        help="run the local broker emulators on 127.0.0.1 (foreground; Ctrl+C stops them)",
        description="Serve the local, protocol-faithful broker emulators on 127.0.0.1.",
    )
    sandbox_wiring.add_command_arguments(sandbox)

    status = commands.add_parser(
        "status",
        help="show every profile: kind, state, expiry, reason and next action",
        description="Show every profile's credential health. Exit code 1 when profiles.toml has "
        "errors or the vault cannot be used.",
    )
    status.add_argument("--json", action="store_true", help="machine-readable output for scripts")

    keys = commands.add_parser(
        "keys",
        help="keys: `keys init PROFILE`, `keys rotate PROFILE start|confirm|abort|status`, `keys archive|restore`",
        description="Set up a profile's keys, rotate them by hand, list and restore the sets rotations archived.",
    )
    keys_cli.add_arguments(keys)

    login = commands.add_parser(
        "login",
        help="sign a profile in through the system browser (once; later runs refresh silently)",
        description="Open the broker's sign-in page in the system browser and wait for it to return to a "
        "listener on 127.0.0.1. The tokens are stored in the vault; Brokerdeck renews them silently afterwards. "
        "The address to open is printed on its own line.",
        epilog_of=lambda: login_cli.kinds_epilog(context.registry),
    )
    login_cli.add_login_arguments(login)
    logout = commands.add_parser(
        "logout",
        help="revoke a signed-in profile's tokens at the broker and delete them here",
        description="Revoke the profile's tokens (when the server offers revocation), then delete them and the "
        "client registration from the vault.",
    )
    login_cli.add_logout_arguments(logout)
    mcp = commands.add_parser(
        "mcp",
        help="a broker's MCP tools: `mcp tools PROFILE`, `mcp call PROFILE TOOL [JSON]` (read-only tools)",
        description="List the tools of a signed-in profile's MCP server, or call one of its read-only tools.",
    )
    mcp_cli.add_arguments(mcp)
    mode = commands.add_parser(
        "mode",
        help="every profile's trading mode and readiness checklist; `mode live PROFILE`, `mode shadow [PROFILE]`",
        description="Show every profile's trading mode (SHADOW or LIVE) with its readiness checklist, and the "
        "audit log's state. SHADOW records and simulates; LIVE sends real orders. Exit codes: 0 done, 1 failed, "
        "2 wrong command or profile, 3 refused.",
    )
    trading_cli.add_mode_arguments(mode)
    limits = commands.add_parser(
        "limits",
        help="show or set a profile's per-order cap and daily limit",
        description="Show or set the per-order cap (the most one order may be worth) and the daily limit (the "
        "most a day's buys may add up to). LIVE needs both.",
    )
    trading_cli.add_limits_arguments(limits)
    orders = commands.add_parser(
        "orders",
        help="`orders list`, `orders place PROFILE ...`, `orders modify KEY ...`, `orders cancel KEY`",
        description="Orders through the trading mode: SHADOW simulates against the live book, LIVE sends to the "
        "broker after the readiness checklist. Exit codes: 0 done, 1 failed, 2 wrong command, 3 refused.",
    )
    orders_cli.add_arguments(orders)
    account = commands.add_parser(
        "account",
        help="a profile's balances, positions and P&L, with its SHADOW book apart: `account PROFILE [--json]`",
        description="Show the profile's balances, positions and P&L as its broker reports them (from a running "
        "window when it has a fresh read, else by connecting the profile), and the SHADOW position book built "
        "from simulated fills, apart. Exit codes: 0 shown, 1 not read, 2 no such profile or no accounts.",
    )
    account_cli.add_arguments(account)
    audit = commands.add_parser(
        "audit",
        help="`audit verify`: check the trading audit log",
        description="Check the hash-chained trading audit log for edited, reordered, deleted or cut records.",
    )
    trading_cli.add_audit_arguments(audit)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    context = AppContext.from_environment()
    args = window_arguments(argv) or build_parser(context).parse_args(argv)
    setup_logging(context.paths.log_dir)
    if args.command is not None:
        return _run_command(context, args)
    problem = display_problem(os.environ, can_load, sys.platform)
    if problem:  # said before Qt loads: Qt's own message for this ends the process without a word of help
        log.error("The window cannot open: %s", problem)
        print(problem, file=sys.stderr)
        return 1
    from app.gui import run_gui  # Qt is imported only when a window is wanted

    return run_gui(context, start_sandbox=args.sandbox, screenshot=args.screenshot, size=args.geometry)


def _run_command(context: AppContext, args: argparse.Namespace) -> int:
    """Run the command the parser found; the commands' modules are imported only for a command."""
    from app import account_cli, keys_cli, login_cli, mcp_cli, orders_cli, trading_cli
    from app import sandbox as sandbox_wiring

    if args.command == "sandbox":
        return sandbox_wiring.run_command(args)
    if args.command == "status":
        return _status(context, as_json=args.json)
    if args.command == "keys":
        return keys_cli.run(context, args)
    if args.command == "login":
        return login_cli.run_login(context, args)
    if args.command == "logout":
        return login_cli.run_logout(context, args)
    if args.command == "mcp":
        return mcp_cli.run(context, args)
    if args.command == "mode":
        return trading_cli.run_mode(context, args)
    if args.command == "orders":
        return orders_cli.run(context, args)
    if args.command == "limits":
        return trading_cli.run_limits(context, args)
    if args.command == "account":
        return account_cli.run(context, args)
    return trading_cli.run_audit(context, args)  # "audit", the last command the parser knows


def window_size(text: str) -> tuple[int, int]:
    """`--geometry`'s WIDTHxHEIGHT, e.g. '1280x720'."""
    match = re.fullmatch(r"\s*(\d{3,5})\s*[xX]\s*(\d{3,5})\s*", text)
    if match is None:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT in pixels, e.g. 1280x720, not {text!r}")
    return int(match.group(1)), int(match.group(2))


def _status(context: AppContext, *, as_json: bool) -> int:
    from brokers.health.report import collect_status  # the vault and the connectors load only for this command

    sandbox = context.sandbox()
    profiles = context.profiles(sandbox)
    services = sandbox.services if sandbox else None
    live = context.published_sessions(profiles)
    accounts = context.published_accounts(profiles)
    report = collect_status(profiles, context.vault(), services, live, context.registry, accounts)
    if as_json:
        import json  # for this command alone: the window does not wait for it

        print(json.dumps(report.to_json(), indent=2))
    else:
        print(format_status(report))
    return 0 if report.healthy else 1


def format_status(report: StatusReport, now: datetime | None = None) -> str:
    """The human-readable status table, in the window's words and times (`--json` keeps the codes)."""
    from app.account_rows import accounts_lines  # with the widgets' formatting, which imports Qt

    now = now or datetime.now().astimezone()
    lines = [f"Profiles file: {report.profiles_file}"]
    vault = "ok" if report.vault.ok else f"PROBLEM: {report.vault.problem}"
    lines.append(f"Vault: {report.vault.backend}: {vault}")
    if report.sandbox:
        lines.append("Sandbox: " + ", ".join(f"{name} {url}" for name, url in report.sandbox.items()))
    lines.append("")
    unreadable = [e for e in report.profile_errors if e.unreadable]
    skipped = [e for e in report.profile_errors if not e.unreadable]
    if report.health:
        lines.extend(_health_table(report.health, now))
        if unreadable:
            lines.append("")
    elif not unreadable:
        lines.append(f"No profiles yet. Add them to {report.profiles_file} (see the README).")
    lines.extend(str(error) for error in unreadable)  # the file's profiles are unknown, not absent
    for name, accounts in report.accounts.items():
        lines.append("")
        lines.extend([f"{name}:", *(f"  {line}" for line in accounts_lines(accounts, now))])
    if skipped:
        lines.append("")
        lines.append("Problems in profiles.toml (these profiles were skipped):")
        lines.extend(f"  {error}" for error in skipped)
    return "\n".join(lines)


def _health_table(health: Sequence[CredentialHealth], now: datetime) -> list[str]:
    """One row per profile, its reason last; the next step on a line of its own when there is one."""
    rows = [("PROFILE", "KIND", "STATE", "EXPIRES")]
    rows += [(h.profile, h.kind, h.state.label, countdown(h.expires_at, now) or "-") for h in health]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    reasons = ["REASON", *(h.reason for h in health)]
    hints = ["", *(h.hint for h in health)]
    indent = " " * (sum(widths) + 2 * len(widths))
    lines = []
    for row, reason, hint in zip(rows, reasons, hints, strict=True):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) + "  " + reason)
        if hint:
            lines.append(f"{indent}→ {hint}")
    return lines
